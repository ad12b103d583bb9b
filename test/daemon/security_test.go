package daemon_test

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"supervisord/internal/tlstest"
	"supervisord/test/harness"
)

const referenceCtl = "/usr/bin/supervisorctl"

// ctlAs runs our client with explicit arguments (no config file).
func ctlAs(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(bin, append([]string{"ctl"}, args...)...).CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("ctl %v: %v", args, err)
	}
	return string(out), code
}

// pyCall calls one method through Python's xmlrpc.client over HTTPS,
// trusting cafile, with an optional client certificate.
const pyHTTPS = `
import ssl, sys, xmlrpc.client
url, cafile, cert, key, method = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=cafile)
if cert:
    ctx.load_cert_chain(cert, key)
proxy = xmlrpc.client.ServerProxy(url, context=ctx)
fn = proxy
for part in method.split("."):
    fn = getattr(fn, part)
try:
    print("ok", fn())
except xmlrpc.client.Fault as f:
    print("fault", f.faultCode, f.faultString)
except ssl.SSLError as e:
    print("ssl", e.reason)
except OSError as e:
    print("oserror", e)
`

func pyHTTPSCall(t *testing.T, url, cafile, cert, key, method string) string {
	t.Helper()
	out, err := exec.Command("/usr/bin/python3", "-c", pyHTTPS, url, cafile, cert, key, method).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}

type e2eCerts struct {
	dir                                                 string
	ca, next                                            *tlstest.CA
	caFile, otherFile, bothFile, cert, key, ccert, ckey string
}

func makeCerts(t *testing.T) *e2eCerts {
	dir := t.TempDir()
	ca, other, next := tlstest.NewCA(t, "test CA"), tlstest.NewCA(t, "other CA"), tlstest.NewCA(t, "next CA")
	srv, cl := ca.Server(t, "server"), ca.Client(t, "ops laptop")
	return &e2eCerts{dir: dir, ca: ca, next: next,
		caFile:    tlstest.Write(t, dir, "ca.pem", ca.CertPEM),
		otherFile: tlstest.Write(t, dir, "other.pem", other.CertPEM),
		bothFile:  tlstest.Write(t, dir, "both.pem", append(append([]byte{}, ca.CertPEM...), next.CertPEM...)),
		cert:      tlstest.Write(t, dir, "server.pem", srv.CertPEM),
		key:       tlstest.Write(t, dir, "server.key", srv.KeyPEM),
		ccert:     tlstest.Write(t, dir, "client.pem", cl.CertPEM),
		ckey:      tlstest.Write(t, dir, "client.key", cl.KeyPEM),
	}
}

// TestHTTPSReadOnlyAndAudit runs the daemon with an HTTPS port and a
// read-only user on both servers, and uses it with our client, Python's
// xmlrpc.client and the reference's supervisorctl.
func TestHTTPSReadOnlyAndAudit(t *testing.T) {
	c := makeCerts(t)
	port := harness.FreePort(t)
	accounts := "username=admin\npassword=secret\nreadonly_username=viewer\nreadonly_password=look\n"
	d := start(t, fmt.Sprintf("[unix_http_server]\n%s\n[inet_http_server]\nport=127.0.0.1:%d\n%scertfile=%s\nkeyfile=%s\n\n"+
		"[program:sleeper]\ncommand=sleep 300\nstartsecs=0\nprogram:typo]\n", accounts, port, accounts, c.cert, c.key))
	d.waitLog("success: sleeper", 1)
	url := fmt.Sprintf("https://127.0.0.1:%d", port)
	sock := "unix://" + d.Paths.Socket

	// The broken header is warned about at start-up, with file and line.
	d.waitLog(fmt.Sprintf("supervisord.conf:%d: line 'program:typo]' looks like", lineOf(t, d.conf, "program:typo]"))+" a section header without its opening bracket: read as option 'program' = 'typo]' in [program:sleeper]", 1)

	// Our client over HTTPS.
	if out, code := ctlAs(t, "-s", url, "--cafile", c.caFile, "-u", "admin", "-p", "secret", "status"); code != 0 || !strings.Contains(out, "RUNNING") {
		t.Fatalf("ctl over https: %d %s", code, out)
	}
	// Fails closed with a wrong CA, and with the system's CAs.
	for _, args := range [][]string{{"--cafile", c.otherFile}, {}} {
		out, code := ctlAs(t, append(append([]string{"-s", url}, args...), "-u", "admin", "-p", "secret", "status")...)
		if code == 0 || !strings.Contains(out, "ERROR: cannot talk securely to "+url) || !strings.Contains(out, "certificate signed by unknown authority") ||
			!strings.Contains(out, "--cafile") {
			t.Errorf("ctl with CA %v: %d %s", args, code, out)
		}
	}
	// A CA file that is not one is refused before connecting.
	if out, code := ctlAs(t, "-s", url, "--cafile", c.cert+".missing", "status"); code == 0 || !strings.Contains(out, "cannot read the CA file") {
		t.Errorf("ctl with a missing CA file: %d %s", code, out)
	}
	// Python's xmlrpc.client over HTTPS.
	if out := pyHTTPSCall(t, fmt.Sprintf("https://admin:secret@127.0.0.1:%d/RPC2", port), c.caFile, "", "", "supervisor.getState"); !strings.HasPrefix(out, "ok {'statecode': 1") {
		t.Errorf("python over https: %s", out)
	}
	if out := pyHTTPSCall(t, fmt.Sprintf("https://admin:secret@127.0.0.1:%d/RPC2", port), c.otherFile, "", "", "supervisor.getState"); !strings.HasPrefix(out, "ssl CERTIFICATE_VERIFY_FAILED") {
		t.Errorf("python with the wrong CA: %s", out)
	}
	// Plain HTTP to the HTTPS port gets no API.
	if resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/RPC2", port), "text/xml", strings.NewReader("<methodCall/>")); err == nil {
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("plain HTTP to the HTTPS port: %d", resp.StatusCode)
		}
	}

	// The read-only user looks but cannot touch, with our client...
	if out, code := ctlAs(t, "-s", sock, "-u", "viewer", "-p", "look", "status"); code != 0 || !strings.Contains(out, "RUNNING") {
		t.Errorf("read-only status: %d %s", code, out)
	}
	out, code := ctlAs(t, "-s", url, "--cafile", c.caFile, "-u", "viewer", "-p", "look", "stop", "sleeper")
	if code == 0 || strings.TrimSpace(out) != "sleeper: ERROR (forbidden: read-only users may not call supervisor.stopProcess)" {
		t.Errorf("read-only stop: %d %q", code, out)
	}
	out, code = ctlAs(t, "-s", sock, "-u", "viewer", "-p", "look", "shutdown")
	if code == 0 || strings.TrimSpace(out) != "ERROR: FAILED: forbidden: read-only users may not call supervisor.shutdown" {
		t.Errorf("read-only shutdown: %d %q", code, out)
	}
	// ... and with the reference's supervisorctl, which prints the
	// reason as it is for a single process, and in its error line for
	// the rest.
	if _, err := os.Stat(referenceCtl); err == nil {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"stop", "sleeper"}, "FAILED: forbidden: read-only users may not call supervisor.stopProcess\n"},
			{[]string{"signal", "HUP", "sleeper"}, "FAILED: forbidden: read-only users may not call supervisor.signalProcess\n"},
			{[]string{"clear", "sleeper"}, "sleeper: ERROR (failed)\n"},
			{[]string{"stop", "all"}, "FAILED: forbidden: read-only users may not call supervisor.stopAllProcesses"},
			{[]string{"shutdown"}, "FAILED: forbidden: read-only users may not call supervisor.shutdown"},
			{[]string{"reread"}, "FAILED: forbidden: read-only users may not call supervisor.reloadConfig"},
			{[]string{"start", "sleeper"}, "Unknown result code 30 for sleeper"},
		} {
			out, _ := exec.Command(referenceCtl, append([]string{"-s", sock, "-u", "viewer", "-p", "look"}, c.args...)...).CombinedOutput()
			t.Logf("reference supervisorctl %v as the read-only user:\n%s", c.args, out)
			if !strings.Contains(string(out), c.want) {
				t.Errorf("reference supervisorctl %v: got %q, want %q", c.args, out, c.want)
			}
		}
		out, _ := exec.Command(referenceCtl, "-s", sock, "-u", "viewer", "-p", "look", "status").CombinedOutput()
		if !strings.Contains(string(out), "RUNNING") {
			t.Errorf("reference supervisorctl status as the read-only user: %s", out)
		}
	}
	if out, _ := ctlAs(t, "-s", sock, "-u", "viewer", "-p", "look", "status", "sleeper"); !strings.Contains(out, "RUNNING") {
		t.Fatalf("sleeper stopped by the read-only user: %s", out)
	}

	// The admin's changes are audited, with the peer.
	if out, code := ctlAs(t, "-s", sock, "-u", "admin", "-p", "secret", "signal", "HUP", "sleeper"); code != 0 {
		t.Fatalf("admin signal: %d %s", code, out)
	}
	if out, code := ctlAs(t, "-s", url, "--cafile", c.caFile, "-u", "admin", "-p", "secret", "restart", "sleeper"); code != 0 {
		t.Fatalf("admin restart: %d %s", code, out)
	}
	log := d.log()
	for _, re := range []string{
		`INFO audit: user "admin" \(admin\) from unix socket \(uid \d+, pid \d+\) calls supervisor.signalProcess\("sleeper", "HUP"\)`,
		`INFO audit: user "admin" \(admin\) from 127\.0\.0\.1:\d+ calls supervisor.stopProcess\("sleeper"`,
		`INFO audit: user "admin" \(admin\) from 127\.0\.0\.1:\d+ calls supervisor.startProcess\("sleeper"`,
		`INFO audit: user "viewer" \(read-only\) from 127\.0\.0\.1:\d+ calls supervisor.stopProcess\("sleeper"`,
	} {
		if !regexp.MustCompile(re).MatchString(log) {
			t.Errorf("no audit line matching %s in:\n%s", re, log)
		}
	}
}

// TestCertificateReloadWhileServing swaps the certificate with reread
// while a client keeps connecting; then a reread with a mismatched key
// is refused and the certificate in use stays.
func TestCertificateReloadWhileServing(t *testing.T) {
	c := makeCerts(t)
	port := harness.FreePort(t)
	d := start(t, fmt.Sprintf("[inet_http_server]\nport=127.0.0.1:%d\ncertfile=%s\nkeyfile=%s\n[program:sleeper]\ncommand=sleep 300\nstartsecs=0\n", port, c.cert, c.key))
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var mu sync.Mutex // guards issuers, failures
	issuers := map[string]int{}
	var failures []string
	stop, done := make(chan struct{}), make(chan struct{})
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{
		RootCAs: tlstest.Pool(c.ca, c.next),
		VerifyConnection: func(cs tls.ConnectionState) error {
			mu.Lock()
			issuers[cs.PeerCertificates[0].Issuer.CommonName]++
			mu.Unlock()
			return nil
		}}}}
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := hc.Post("https://"+addr+"/RPC2", "text/xml", strings.NewReader("<methodCall><methodName>supervisor.getState</methodName></methodCall>"))
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = fmt.Errorf("HTTP %d", resp.StatusCode)
				}
			}
			if err != nil {
				mu.Lock()
				failures = append(failures, err.Error())
				mu.Unlock()
			}
		}
	}()
	count := func(issuer string) int {
		mu.Lock()
		defer mu.Unlock()
		return issuers[issuer]
	}
	d.WaitFor(t, "polls with the first certificate", func() bool { return count("test CA") >= 5 })
	leaf := c.next.Server(t, "server")
	os.WriteFile(c.cert, leaf.CertPEM, 0o600)
	os.WriteFile(c.key, leaf.KeyPEM, 0o600)
	if out, code := d.ctl("reread"); code != 0 {
		t.Fatalf("reread: %d %s", code, out)
	}
	d.waitLog("[inet_http_server]: loaded certificate "+c.cert, 1)
	d.WaitFor(t, "polls with the new certificate", func() bool { return count("next CA") >= 5 })

	// A key that does not match the certificate: refused with file and
	// line; the certificate in use stays.
	other := c.next.Server(t, "server")
	os.WriteFile(c.key, other.KeyPEM, 0o600)
	out, code := d.ctl("reread")
	if code == 0 || !strings.Contains(out, "supervisord.conf:") || !strings.Contains(out, "private key does not match public key") {
		t.Errorf("reread with a mismatched key: %d %s", code, out)
	}
	n := count("next CA")
	d.WaitFor(t, "polls after the refused reread", func() bool { return count("next CA") >= n+5 })
	close(stop)
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(failures) > 0 {
		t.Fatalf("%d of the polls failed, first: %s", len(failures), failures[0])
	}
}

// TestMutualTLSEndToEnd requires client certificates signed by the
// client CA.
func TestMutualTLSEndToEnd(t *testing.T) {
	c := makeCerts(t)
	port := harness.FreePort(t)
	d := start(t, fmt.Sprintf("[inet_http_server]\nport=127.0.0.1:%d\ncertfile=%s\nkeyfile=%s\nclientcafile=%s\n[program:sleeper]\ncommand=sleep 300\nstartsecs=0\n",
		port, c.cert, c.key, c.caFile))
	url := fmt.Sprintf("https://127.0.0.1:%d/RPC2", port)
	if out := pyHTTPSCall(t, url, c.caFile, "", "", "supervisor.getState"); strings.HasPrefix(out, "ok") {
		t.Errorf("served a client without a certificate: %s", out)
	}
	if out := pyHTTPSCall(t, url, c.caFile, c.ccert, c.ckey, "supervisor.getState"); !strings.HasPrefix(out, "ok {'statecode': 1") {
		t.Errorf("with a client certificate: %s", out)
	}
	if out := pyHTTPSCall(t, url, c.caFile, c.ccert, c.ckey, "supervisor.startAllProcesses"); !strings.HasPrefix(out, "ok") {
		t.Errorf("startAllProcesses with a client certificate: %s", out)
	}
	d.waitLog(`(certificate "CN=ops laptop") calls supervisor.startAllProcesses()`, 1)
}

// TestHUPKeepsListeners restarts the daemon with HUP while a client keeps
// connecting over TCP: no connection is refused, the unix socket is the
// same one, and the certificate is read again.
func TestHUPKeepsListeners(t *testing.T) {
	c := makeCerts(t)
	port := harness.FreePort(t)
	d := start(t, fmt.Sprintf("[inet_http_server]\nport=127.0.0.1:%d\ncertfile=%s\nkeyfile=%s\n[program:sleeper]\ncommand=sleep 300\nstartsecs=0\nstopwaitsecs=1\n", port, c.cert, c.key))
	d.waitLog("success: sleeper", 1)
	sockPath := filepath.Join(d.dir, "s.sock")
	inode := func() uint64 {
		st, err := os.Stat(sockPath)
		if err != nil {
			t.Fatal(err)
		}
		return st.Sys().(*syscall.Stat_t).Ino
	}
	before := inode()
	var mu sync.Mutex // guards issuers, failures, ok
	issuers := map[string]int{}
	var failures []string
	okCalls := 0
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{
		RootCAs: tlstest.Pool(c.ca, c.next),
		VerifyConnection: func(cs tls.ConnectionState) error {
			mu.Lock()
			issuers[cs.PeerCertificates[0].Issuer.CommonName]++
			mu.Unlock()
			return nil
		}}}}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := hc.Post(fmt.Sprintf("https://127.0.0.1:%d/RPC2", port), "text/xml",
				strings.NewReader("<methodCall><methodName>supervisor.getPID</methodName></methodCall>"))
			mu.Lock()
			if err != nil {
				failures = append(failures, time.Now().Format("15:04:05.000000")+" "+err.Error())
			} else {
				resp.Body.Close()
				okCalls++
			}
			mu.Unlock()
		}
	}()
	count := func(issuer string) int {
		mu.Lock()
		defer mu.Unlock()
		return issuers[issuer]
	}
	d.WaitFor(t, "polls with the first certificate", func() bool { return count("test CA") >= 5 })
	leaf := c.next.Server(t, "server")
	os.WriteFile(c.cert, leaf.CertPEM, 0o600)
	os.WriteFile(c.key, leaf.KeyPEM, 0o600)
	d.Signal(t, syscall.SIGHUP)
	d.waitLog("supervisord started with pid", 2)
	d.WaitFor(t, "polls with the new certificate", func() bool { return count("next CA") >= 5 })
	close(stop)
	<-done
	mu.Lock()
	defer mu.Unlock()
	if issuers["next CA"] < 5 {
		t.Fatalf("the new certificate was not served after HUP: %v", issuers)
	}
	if len(failures) > 0 {
		t.Fatalf("%d of %d calls failed across the HUP, first: %s\n%s", len(failures), len(failures)+okCalls, failures[0], d.log())
	}
	if after := inode(); after != before {
		t.Fatalf("the unix socket was replaced (inode %d → %d)", before, after)
	}
	if out, code := d.ctl("status", "sleeper"); code != 0 || !strings.Contains(out, "RUNNING") {
		t.Fatalf("status after HUP: %d %s", code, out)
	}
}
