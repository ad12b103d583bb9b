package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/faults"
	"supervisord/internal/rpc"
	"supervisord/internal/tlstest"
	"supervisord/internal/xmlrpc"
)

// logLines collects the messages a server logs.
type logLines struct {
	mu    sync.Mutex // guards lines
	lines []string
}

func (l *logLines) Enabled(context.Context, slog.Level) bool { return true }
func (l *logLines) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, r.Level.String()+" "+r.Message)
	return nil
}
func (l *logLines) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logLines) WithGroup(string) slog.Handler      { return l }

// find returns the lines holding every one of subs.
func (l *logLines) find(subs ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, line := range l.lines {
		ok := true
		for _, s := range subs {
			ok = ok && strings.Contains(line, s)
		}
		if ok {
			out = append(out, line)
		}
	}
	return out
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

type secureFixture struct {
	srv   *Server
	back  *memBackend
	log   *logLines
	tcp   string // host:port
	sock  string
	dir   string
	pages *pageRecorder
}

// pageRecorder stands for the web UI: it answers every page and counts
// what reached it.
type pageRecorder struct {
	mu   sync.Mutex // guards seen
	seen []string
}

func (p *pageRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	p.mu.Lock()
	p.seen = append(p.seen, r.Method+" "+r.URL.Path+" "+r.Form.Encode())
	p.mu.Unlock()
	io.WriteString(w, "page")
}

func (p *pageRecorder) reached(s string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Contains(p.seen, s)
}

// startSecure serves the fake backend on a unix socket and a TCP port,
// with an admin "admin"/"secret" and a read-only "viewer"/"look" on both,
// a stand-in web UI and metrics page, after edit changes the config.
func startSecure(t *testing.T, edit func(cfg *config.Config)) *secureFixture {
	t.Helper()
	dir := t.TempDir()
	f := &secureFixture{dir: dir, sock: filepath.Join(dir, "s.sock"), log: &logLines{}, pages: &pageRecorder{}}
	webLog := filepath.Join(dir, "web.log")
	mainLog := filepath.Join(dir, "main.log")
	for _, p := range []string{webLog, mainLog} {
		os.WriteFile(p, []byte("line one\n"), 0o644)
	}
	ro := config.ReadOnlyUser{Username: "viewer", Password: "look"}
	cfg := &config.Config{
		UnixServers: []config.UnixHTTPServer{{Section: "unix_http_server", File: f.sock, Chmod: 0o600, Username: "admin", Password: "secret", ReadOnly: ro}},
		InetServers: []config.InetHTTPServer{{Section: "inet_http_server", Host: "127.0.0.1", Port: 0, Username: "admin", Password: "secret", ReadOnly: ro}},
		Groups: []*config.Group{
			{Name: "web", Priority: 1, Processes: []*config.Process{{Name: "web", Group: "web", CommandLine: "sleep 100",
				Stdout: config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogFile, Path: webLog}}}, ExitCodes: []int{0}, StopSignal: 15}}},
		},
	}
	if edit != nil {
		edit(cfg)
	}
	f.back = newMem(cfg, mainLog)
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "metrics") })
	srv, err := New(cfg, f.back, slog.New(f.log), Options{Extra: map[string]http.Handler{"/": f.pages, "/metrics": metrics}})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	f.tcp = srv.Addrs()[1].String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return")
		}
	})
	return f
}

// rpcClient calls methods over hc at base (scheme://host) as user.
type rpcClient struct {
	hc         *http.Client
	base       string
	user, pass string
}

func (c rpcClient) call(method string, params ...any) (any, error) {
	var body strings.Builder
	if err := xmlrpc.EncodeCall(&body, method, params); err != nil {
		return nil, err
	}
	req, _ := http.NewRequest("POST", c.base+"/RPC2", strings.NewReader(body.String()))
	req.Header.Set("Content-Type", "text/xml")
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return xmlrpc.DecodeResponse(resp.Body, xmlrpc.DefaultLimits())
}

func unixHTTP(sock string) *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
}

// sampleArgs are arguments that reach each method's body.
var sampleArgs = map[string][]any{
	"supervisor.readLog":              {0, 10},
	"supervisor.readMainLog":          {0, 10},
	"supervisor.addProcessGroup":      {"web"},
	"supervisor.removeProcessGroup":   {"web"},
	"supervisor.startProcess":         {"web", false},
	"supervisor.startProcessGroup":    {"web", false},
	"supervisor.startAllProcesses":    {false},
	"supervisor.stopProcess":          {"web", false},
	"supervisor.stopProcessGroup":     {"web", false},
	"supervisor.stopAllProcesses":     {false},
	"supervisor.signalProcess":        {"web", "HUP"},
	"supervisor.signalProcessGroup":   {"web", "HUP"},
	"supervisor.signalAllProcesses":   {"HUP"},
	"supervisor.getProcessInfo":       {"web"},
	"supervisor.readProcessStdoutLog": {"web", 0, 10},
	"supervisor.readProcessLog":       {"web", 0, 10},
	"supervisor.readProcessStderrLog": {"web", 0, 10},
	"supervisor.tailProcessStdoutLog": {"web", 0, 10},
	"supervisor.tailProcessLog":       {"web", 0, 10},
	"supervisor.tailProcessStderrLog": {"web", 0, 10},
	"supervisor.clearProcessLogs":     {"web"},
	"supervisor.clearProcessLog":      {"web"},
	"supervisor.sendProcessStdin":     {"web", "hello"},
	"supervisor.sendRemoteCommEvent":  {"type", "data"},
	"system.methodHelp":               {"supervisor.getPID"},
	"system.methodSignature":          {"supervisor.getPID"},
	"system.multicall":                {[]any{}},
}

// readOnlyMethods is what the read-only user may call, written out so
// that a method added later must be classified here before this passes.
var readOnlyMethods = []string{
	"supervisor.getAPIVersion", "supervisor.getVersion", "supervisor.getSupervisorVersion",
	"supervisor.getIdentification", "supervisor.getState", "supervisor.getPID",
	"supervisor.readLog", "supervisor.readMainLog", "supervisor.getAllConfigInfo",
	"supervisor.getProcessInfo", "supervisor.getAllProcessInfo",
	"supervisor.readProcessStdoutLog", "supervisor.readProcessLog", "supervisor.readProcessStderrLog",
	"supervisor.tailProcessStdoutLog", "supervisor.tailProcessLog", "supervisor.tailProcessStderrLog",
	"system.listMethods", "system.methodHelp", "system.methodSignature", "system.multicall",
}

var writeMethods = []string{
	"supervisor.clearLog", "supervisor.shutdown", "supervisor.restart", "supervisor.reloadConfig",
	"supervisor.addProcessGroup", "supervisor.removeProcessGroup",
	"supervisor.startProcess", "supervisor.startProcessGroup", "supervisor.startAllProcesses",
	"supervisor.stopProcess", "supervisor.stopProcessGroup", "supervisor.stopAllProcesses",
	"supervisor.signalProcess", "supervisor.signalProcessGroup", "supervisor.signalAllProcesses",
	"supervisor.clearProcessLogs", "supervisor.clearProcessLog", "supervisor.clearAllProcessLogs",
	"supervisor.sendProcessStdin", "supervisor.sendRemoteCommEvent",
}

func isForbidden(err error) bool {
	var f *xmlrpc.Fault
	return errors.As(err, &f) && f.Code == int(faults.Failed) && strings.HasPrefix(f.String, rpc.ForbiddenPrefix)
}

func TestReadOnlyUserMethods(t *testing.T) {
	f := startSecure(t, nil)
	for _, transport := range []struct {
		name string
		c    rpcClient
	}{
		{"tcp", rpcClient{hc: http.DefaultClient, base: "http://" + f.tcp, user: "viewer", pass: "look"}},
		{"unix", rpcClient{hc: unixHTTP(f.sock), base: "http://localhost", user: "viewer", pass: "look"}},
	} {
		c := transport.c
		v, err := c.call("system.listMethods")
		if err != nil {
			t.Fatalf("%s: listMethods: %v", transport.name, err)
		}
		var listed []string
		for _, m := range v.([]any) {
			listed = append(listed, m.(string))
		}
		slices.Sort(listed)
		classified := slices.Sorted(slices.Values(append(slices.Clone(readOnlyMethods), writeMethods...)))
		if !slices.Equal(listed, classified) {
			t.Fatalf("methods listed and methods classified by this test differ:\nlisted %v\nclassified %v", listed, classified)
		}
		for _, m := range readOnlyMethods {
			if _, err := c.call(m, sampleArgs[m]...); isForbidden(err) || (err != nil && !errors.As(err, new(*xmlrpc.Fault))) {
				t.Errorf("%s: read-only %s: %v", transport.name, m, err)
			}
		}
		for _, m := range writeMethods {
			_, err := c.call(m, sampleArgs[m]...)
			if !isForbidden(err) {
				t.Errorf("%s: read-only %s: got %v, want FORBIDDEN", transport.name, m, err)
				continue
			}
			if want := "FAILED: forbidden: read-only users may not call " + m; err.(*xmlrpc.Fault).String != want {
				t.Errorf("%s: fault string %q, want %q", transport.name, err.(*xmlrpc.Fault).String, want)
			}
		}
		// A write wrapped in system.multicall is refused call by call.
		v, err = c.call("system.multicall", []any{
			map[string]any{"methodName": "supervisor.getPID", "params": []any{}},
			map[string]any{"methodName": "supervisor.stopProcess", "params": []any{"web", false}},
			map[string]any{"methodName": "supervisor.shutdown", "params": []any{}},
		})
		if err != nil {
			t.Fatalf("%s: multicall: %v", transport.name, err)
		}
		res := v.([]any)
		if res[0] != 4242 {
			t.Errorf("%s: multicall getPID: %v", transport.name, res[0])
		}
		for _, r := range res[1:] {
			if m, ok := r.(map[string]any); !ok || m["faultCode"] != int(faults.Failed) || !strings.HasPrefix(m["faultString"].(string), rpc.ForbiddenPrefix) {
				t.Errorf("%s: multicall write: %v", transport.name, r)
			}
		}
	}
	// Nothing was stopped or shut down by all that.
	if f.back.State() != 1 {
		t.Fatalf("state after read-only calls: %v", f.back.State())
	}
	info, _ := f.back.find("web", "web")
	if info.State.String() != "RUNNING" && info.State.String() != "STOPPED" {
		t.Logf("web: %v", info.State)
	}
	// The admin may call the same writes.
	admin := rpcClient{hc: http.DefaultClient, base: "http://" + f.tcp, user: "admin", pass: "secret"}
	if _, err := admin.call("supervisor.signalProcess", "web", "HUP"); isForbidden(err) {
		t.Fatalf("admin refused: %v", err)
	}
	// Every classified method agrees with the one classification.
	for _, m := range readOnlyMethods {
		if !rpc.IsReadOnly(m) {
			t.Errorf("rpc.IsReadOnly(%s) = false", m)
		}
	}
	for _, m := range writeMethods {
		if rpc.IsReadOnly(m) {
			t.Errorf("rpc.IsReadOnly(%s) = true", m)
		}
	}
}

func TestReadOnlyUserPages(t *testing.T) {
	f := startSecure(t, nil)
	for _, c := range []struct {
		method, path, body string
		status             int
		reaches            string // what the page handler must see, if anything
	}{
		{"GET", "/", "", 200, "GET / "},
		{"GET", "/index.html", "", 200, "GET /index.html "},
		{"GET", "/index.html?action=stop&processname=web", "", 200, "GET /index.html action=stop&processname=web"},
		{"GET", "/tail.html?processname=web", "", 200, "GET /tail.html processname=web"},
		{"GET", "/metrics", "", 200, ""},
		{"GET", "/ok.html", "", 200, ""},
		{"HEAD", "/index.html", "", 200, ""},
		{"POST", "/index.html", "action=stop&processname=web", 403, ""},
		{"POST", "/index.html", "action=stopall", 403, ""},
		{"POST", "/", "action=restartall", 403, ""},
		{"PUT", "/index.html", "", 403, ""},
		{"DELETE", "/", "", 403, ""},
		{"PATCH", "/RPC2/x", "", 400, ""},
	} {
		req, _ := http.NewRequest(c.method, "http://"+f.tcp+c.path, strings.NewReader(c.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("viewer", "look")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("read-only %s %s: %d, want %d", c.method, c.path, resp.StatusCode, c.status)
		}
		if c.reaches != "" && !f.pages.reached(c.reaches) {
			t.Errorf("read-only %s %s did not reach the page as %q", c.method, c.path, c.reaches)
		}
	}
	if f.pages.reached("POST /index.html action=stop&processname=web") {
		t.Fatal("a read-only POST reached the page")
	}
	// Log tails stream to the read-only user too.
	for _, p := range []string{"/logtail/web", "/mainlogtail"} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+f.tcp+p, nil)
		req.SetBasicAuth("viewer", "look")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		line, _ := bufio.NewReader(resp.Body).ReadString('\n')
		resp.Body.Close()
		cancel()
		if resp.StatusCode != 200 || line != "line one\n" {
			t.Errorf("read-only %s: %d %q", p, resp.StatusCode, line)
		}
	}
	// The admin's POST reaches the page, with its form intact, and is
	// audited.
	req, _ := http.NewRequest("POST", "http://"+f.tcp+"/index.html", strings.NewReader("action=stop&processname=web"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("admin", "secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || !f.pages.reached("POST /index.html action=stop&processname=web") {
		t.Fatalf("admin POST: %d", resp.StatusCode)
	}
	if len(f.log.find(`INFO audit: user "admin" (admin) from 127.0.0.1:`, `POST "/index.html" action="stop" processname="web"`)) != 1 {
		t.Errorf("no audit line for the admin's page action:\n%s", f.log)
	}
	if len(f.log.find(`refused POST "/index.html" to read-only user "viewer" from 127.0.0.1:`)) != 2 {
		t.Errorf("refused page actions not logged:\n%s", f.log)
	}
}

func TestAuditTrail(t *testing.T) {
	f := startSecure(t, nil)
	for _, transport := range []struct {
		name, peer string
		c          rpcClient
	}{
		{"tcp", "from 127.0.0.1:", rpcClient{hc: http.DefaultClient, base: "http://" + f.tcp, user: "admin", pass: "secret"}},
		{"unix", fmt.Sprintf("from unix socket (uid %d, pid %d)", os.Getuid(), os.Getpid()),
			rpcClient{hc: unixHTTP(f.sock), base: "http://localhost", user: "admin", pass: "secret"}},
	} {
		for _, m := range writeMethods {
			if m == "supervisor.shutdown" || m == "supervisor.restart" {
				continue // would end the fake's state for the next calls; checked below
			}
			want := []string{`INFO audit: user "admin" (admin) ` + transport.peer, "calls " + m + "("}
			before := len(f.log.find(want...))
			transport.c.call(m, sampleArgs[m]...)
			lines := f.log.find(want...)
			if len(lines) != before+1 {
				t.Errorf("%s: %s: audit lines %d→%d:\n%s", transport.name, m, before, len(lines), f.log)
			}
		}
		// Reads are not audited.
		transport.c.call("supervisor.getAllProcessInfo")
		if n := len(f.log.find("audit:", "getAllProcessInfo")); n != 0 {
			t.Errorf("a read was audited: %d", n)
		}
	}
	// Arguments are shown, long ones cut short.
	c := rpcClient{hc: http.DefaultClient, base: "http://" + f.tcp, user: "admin", pass: "secret"}
	c.call("supervisor.sendProcessStdin", "web", strings.Repeat("x", 5000))
	if len(f.log.find(`calls supervisor.sendProcessStdin("web", "`+strings.Repeat("x", 64)+`"...(5000 bytes))`)) != 1 {
		t.Errorf("long argument not cut short:\n%s", f.log)
	}
	// Writes inside system.multicall are audited one by one; the
	// read-only user's attempts too, with its role.
	ro := rpcClient{hc: http.DefaultClient, base: "http://" + f.tcp, user: "viewer", pass: "look"}
	ro.call("system.multicall", []any{map[string]any{"methodName": "supervisor.stopProcess", "params": []any{"web", true}}})
	if len(f.log.find(`audit: user "viewer" (read-only) from 127.0.0.1:`, `calls system.multicall: supervisor.stopProcess("web", true)`)) != 1 {
		t.Errorf("multicall write not audited:\n%s", f.log)
	}
	// Failed logins are logged with the peer.
	bad := rpcClient{hc: http.DefaultClient, base: "http://" + f.tcp, user: "mallory", pass: "guess"}
	bad.call("supervisor.getPID")
	if len(f.log.find(`login failed for user "mallory" from 127.0.0.1:`)) != 1 {
		t.Errorf("failed login not logged:\n%s", f.log)
	}
	c.call("supervisor.shutdown")
	if len(f.log.find(`audit: user "admin" (admin) from 127.0.0.1:`, "calls supervisor.shutdown()")) != 1 {
		t.Errorf("shutdown not audited:\n%s", f.log)
	}
}

// rawExchange writes all of req to a new connection before reading
// anything, as Python's http.client does, and returns the status line.
func rawExchange(t *testing.T, addr string, parts ...func(w io.Writer) error) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	for _, p := range parts {
		if err := p(conn); err != nil {
			t.Fatalf("writing the request: %v (the server did not let the client finish)", err)
		}
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the reply: %v", err)
	}
	return strings.TrimSpace(line)
}

func TestEveryRequestAnswered(t *testing.T) {
	f := startSecure(t, nil)
	const size = 50 << 20
	status := rawExchange(t, f.tcp, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\nContent-Length: %d\r\nAuthorization: Basic YWRtaW46c2VjcmV0\r\n\r\n", size)
		return err
	}, func(w io.Writer) error {
		_, err := io.CopyN(w, &endless{n: size}, size)
		return err
	})
	if status != "HTTP/1.1 413 Request Entity Too Large" {
		t.Errorf("50 MB body: %q", status)
	}
	status = rawExchange(t, f.tcp, func(w io.Writer) error {
		_, err := io.WriteString(w, strings.Repeat("\r\n", 10000))
		return err
	})
	if status != "HTTP/1.1 400 Bad Request" {
		t.Errorf("10,000 blank lines: %q", status)
	}
	// And on the unix socket.
	conn, err := net.Dial("unix", f.sock)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(conn, strings.Repeat("\n", 10000)); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 400") {
		t.Errorf("unix socket, blank lines: %q %v", line, err)
	}
	c := rpcClient{hc: http.DefaultClient, base: "http://" + f.tcp, user: "admin", pass: "secret"}
	if v, err := c.call("supervisor.getPID"); err != nil || v != 4242 {
		t.Fatalf("after: %v %v", v, err)
	}
}

// tlsFiles writes a CA, a server certificate, a client certificate and
// a second CA under dir.
type tlsFiles struct {
	ca, other                                        *tlstest.CA
	caFile, certFile, keyFile, clientCert, clientKey string
}

func newTLSFiles(t *testing.T, dir string) *tlsFiles {
	ca := tlstest.NewCA(t, "test CA")
	srvLeaf := ca.Server(t, "server")
	cl := ca.Client(t, "ops laptop")
	return &tlsFiles{ca: ca, other: tlstest.NewCA(t, "other CA"),
		caFile:     tlstest.Write(t, dir, "ca.pem", ca.CertPEM),
		certFile:   tlstest.Write(t, dir, "server.pem", srvLeaf.CertPEM),
		keyFile:    tlstest.Write(t, dir, "server.key", srvLeaf.KeyPEM),
		clientCert: tlstest.Write(t, dir, "client.pem", cl.CertPEM),
		clientKey:  tlstest.Write(t, dir, "client.key", cl.KeyPEM),
	}
}

func httpsClient(pool *x509.CertPool, certs ...tls.Certificate) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: certs},
		DisableKeepAlives: true}}
}

func TestHTTPS(t *testing.T) {
	tf := newTLSFiles(t, t.TempDir())
	f := startSecure(t, func(cfg *config.Config) {
		cfg.InetServers[0].TLS = &config.TLSFiles{CertFile: tf.certFile, KeyFile: tf.keyFile}
	})
	good := rpcClient{hc: httpsClient(tlstest.Pool(tf.ca)), base: "https://" + f.tcp, user: "admin", pass: "secret"}
	if v, err := good.call("supervisor.getPID"); err != nil || v != 4242 {
		t.Fatalf("HTTPS: %v %v", v, err)
	}
	// A client trusting another CA refuses the server.
	wrong := rpcClient{hc: httpsClient(tlstest.Pool(tf.other)), base: "https://" + f.tcp, user: "admin", pass: "secret"}
	var unknown x509.UnknownAuthorityError
	if _, err := wrong.call("supervisor.getPID"); !errors.As(err, &unknown) {
		t.Errorf("wrong CA: %v", err)
	}
	// Plain HTTP to the TLS port gets nothing from the API.
	resp, err := http.Get("http://" + f.tcp + "/RPC2")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("plain HTTP to the HTTPS port: %d", resp.StatusCode)
		}
	}
	// TLS 1.1 is refused.
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: tlstest.Pool(tf.ca), MaxVersion: tls.VersionTLS11}}}
	if _, err := (rpcClient{hc: old, base: "https://" + f.tcp}).call("supervisor.getPID"); err == nil {
		t.Error("TLS 1.1 accepted")
	}
	// The unix socket stays plain HTTP.
	if v, err := (rpcClient{hc: unixHTTP(f.sock), base: "http://localhost", user: "admin", pass: "secret"}).call("supervisor.getPID"); err != nil || v != 4242 {
		t.Errorf("unix socket: %v %v", v, err)
	}
}

func TestMutualTLS(t *testing.T) {
	tf := newTLSFiles(t, t.TempDir())
	f := startSecure(t, func(cfg *config.Config) {
		cfg.InetServers[0].TLS = &config.TLSFiles{CertFile: tf.certFile, KeyFile: tf.keyFile, ClientCAFile: tf.caFile}
	})
	none := rpcClient{hc: httpsClient(tlstest.Pool(tf.ca)), base: "https://" + f.tcp, user: "admin", pass: "secret"}
	if _, err := none.call("supervisor.getPID"); err == nil {
		t.Fatal("a client without a certificate was served")
	}
	// A certificate from another CA is refused too.
	otherLeaf := tf.other.Client(t, "stranger")
	otherCert, _ := tls.X509KeyPair(otherLeaf.CertPEM, otherLeaf.KeyPEM)
	if _, err := (rpcClient{hc: httpsClient(tlstest.Pool(tf.ca), otherCert), base: "https://" + f.tcp, user: "admin", pass: "secret"}).call("supervisor.getPID"); err == nil {
		t.Fatal("a client certificate from another CA was accepted")
	}
	cert, err := tls.LoadX509KeyPair(tf.clientCert, tf.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	c := rpcClient{hc: httpsClient(tlstest.Pool(tf.ca), cert), base: "https://" + f.tcp, user: "admin", pass: "secret"}
	if v, err := c.call("supervisor.getPID"); err != nil || v != 4242 {
		t.Fatalf("with a client certificate: %v %v", v, err)
	}
	c.call("supervisor.signalProcess", "web", "HUP")
	if len(f.log.find(`(certificate "CN=ops laptop")`, "calls supervisor.signalProcess")) != 1 {
		t.Errorf("the audit line does not name the client certificate:\n%s", f.log)
	}
}

// TestCertificateRotation swaps the server's certificate while a client
// keeps making new connections: every call succeeds, and new handshakes
// see the new certificate; a broken file on reload keeps the current one.
func TestCertificateRotation(t *testing.T) {
	dir := t.TempDir()
	tf := newTLSFiles(t, dir)
	f := startSecure(t, func(cfg *config.Config) {
		cfg.InetServers[0].TLS = &config.TLSFiles{CertFile: tf.certFile, KeyFile: tf.keyFile}
	})
	ca2 := tlstest.NewCA(t, "next CA")
	var mu sync.Mutex // guards serials, failures
	serials := map[string]int{}
	var failures []error
	hc := httpsClient(tlstest.Pool(tf.ca, ca2))
	hc.Transport.(*http.Transport).TLSClientConfig.VerifyConnection = func(cs tls.ConnectionState) error {
		mu.Lock()
		serials[cs.PeerCertificates[0].Issuer.CommonName]++
		mu.Unlock()
		return nil
	}
	c := rpcClient{hc: hc, base: "https://" + f.tcp, user: "admin", pass: "secret"}
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.call("supervisor.getState"); err != nil {
				mu.Lock()
				failures = append(failures, err)
				mu.Unlock()
			}
		}
	}()
	seen := func(issuer string) int {
		mu.Lock()
		defer mu.Unlock()
		return serials[issuer]
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("polls with the first certificate", func() bool { return seen("test CA") >= 5 })

	next := ca2.Server(t, "server")
	os.WriteFile(tf.certFile, next.CertPEM, 0o600)
	os.WriteFile(tf.keyFile, next.KeyPEM, 0o600)
	cfg := &config.Config{InetServers: []config.InetHTTPServer{{Section: "inet_http_server",
		TLS: &config.TLSFiles{CertFile: tf.certFile, KeyFile: tf.keyFile}}}}
	if err := f.srv.ReloadTLS(cfg); err != nil {
		t.Fatal(err)
	}
	waitFor("polls with the new certificate", func() bool { return seen("next CA") >= 5 })

	// A key that does not match: the reload fails and says why; the
	// current certificate stays.
	other := ca2.Server(t, "server")
	os.WriteFile(tf.keyFile, other.KeyPEM, 0o600)
	err := f.srv.ReloadTLS(cfg)
	if err == nil || !strings.Contains(err.Error(), "keeping the current certificate") || !strings.Contains(err.Error(), "private key does not match public key") {
		t.Fatalf("reload with a mismatched key: %v", err)
	}
	n := seen("next CA")
	waitFor("polls after the failed reload", func() bool { return seen("next CA") >= n+5 })
	close(stop)
	<-polled
	mu.Lock()
	defer mu.Unlock()
	if len(failures) > 0 {
		t.Fatalf("%d polls failed during rotation, first: %v", len(failures), failures[0])
	}
	if len(f.log.find("ERROR [inet_http_server]: keeping the current certificate")) != 1 {
		t.Errorf("failed reload not logged:\n%s", f.log)
	}
}
