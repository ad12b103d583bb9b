package health

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"supervisord/internal/config"
)

func TestTracker(t *testing.T) {
	type step struct {
		pass    bool
		want    Status
		changed bool
	}
	P := func(want Status, changed bool) step { return step{true, want, changed} }
	F := func(want Status, changed bool) step { return step{false, want, changed} }
	tests := []struct {
		name             string
		success, failure int
		steps            []step
	}{
		{"defaults of one", 1, 1, []step{P(Healthy, true), P(Healthy, false), F(Unhealthy, true), F(Unhealthy, false), P(Healthy, true)}},
		{"failure threshold 3", 1, 3, []step{
			P(Healthy, true), F(Healthy, false), F(Healthy, false), F(Unhealthy, true), F(Unhealthy, false),
		}},
		{"a pass resets the failure count", 1, 2, []step{
			F(Unknown, false), P(Healthy, true), F(Healthy, false), P(Healthy, false), F(Healthy, false), F(Unhealthy, true),
		}},
		{"success threshold 2 from unhealthy", 2, 1, []step{
			F(Unhealthy, true), P(Unhealthy, false), F(Unhealthy, false), P(Unhealthy, false), P(Healthy, true),
		}},
		{"unknown until a threshold", 3, 3, []step{
			P(Unknown, false), P(Unknown, false), F(Unknown, false), F(Unknown, false), F(Unhealthy, true),
		}},
		{"zero thresholds mean one", 0, 0, []step{F(Unhealthy, true), P(Healthy, true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := Tracker{SuccessThreshold: tt.success, FailureThreshold: tt.failure}
			for i, s := range tt.steps {
				got, changed := tr.Observe(s.pass)
				if got != s.want || changed != s.changed {
					t.Fatalf("step %d (pass=%v): got %v changed=%v, want %v changed=%v", i, s.pass, got, changed, s.want, s.changed)
				}
			}
		})
	}
}

// waitTransition waits for the next transition with a deadline.
func waitTransition(t *testing.T, ch <-chan Transition, want Status) Transition {
	t.Helper()
	select {
	case tr := <-ch:
		if tr.Status != want {
			t.Fatalf("got transition to %v (err %v), want %v", tr.Status, tr.Err, want)
		}
		return tr
	case <-time.After(10 * time.Second):
		t.Fatalf("no transition to %v within 10s", want)
	}
	return Transition{}
}

func fastSpec(kind, target string) config.Liveness {
	return config.Liveness{
		Kind: kind, Target: target, Period: 5 * time.Millisecond, Timeout: 2 * time.Second,
		SuccessThreshold: 2, FailureThreshold: 3,
	}
}

func TestHTTPCheckerThresholds(t *testing.T) {
	var failing atomic.Bool
	var okServed, failServed atomic.Int64
	var mu sync.Mutex
	var lastReq struct{ method, body, header, host string }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		lastReq.method, lastReq.body, lastReq.header, lastReq.host = r.Method, string(b), r.Header.Get("X-Check"), r.Host
		mu.Unlock()
		if failing.Load() {
			failServed.Add(1)
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		okServed.Add(1)
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/elsewhere-that-fails", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	spec := fastSpec("http", srv.URL+"/moved")
	spec.Method = "post"
	spec.Data = "ping"
	spec.Headers = []config.EnvVar{{Key: "X-Check", Value: "yes"}, {Key: "Host", Value: "app.example"}}
	p, err := NewProbe(&spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan Transition, 8)
	c := Start(context.Background(), "web", spec, p, Options{Notify: ch})
	defer c.Stop()

	tr := waitTransition(t, ch, Healthy)
	if tr.Consecutive != 2 || tr.Probes != 2 || tr.Process != "web" {
		t.Errorf("healthy after %d passes in %d probes (%q), want 2 in 2", tr.Consecutive, tr.Probes, tr.Process)
	}
	mu.Lock()
	if lastReq.method != "POST" || lastReq.body != "ping" || lastReq.header != "yes" || lastReq.host != "app.example" {
		t.Errorf("request was %+v", lastReq)
	}
	mu.Unlock()

	failing.Store(true)
	tr = waitTransition(t, ch, Unhealthy)
	if tr.Consecutive != 3 {
		t.Errorf("unhealthy after %d failures, want 3", tr.Consecutive)
	}
	if want := int(okServed.Load()) + 3; tr.Probes != want {
		t.Errorf("unhealthy at probe %d, want %d (exactly the failure threshold after the last pass)", tr.Probes, want)
	}
	if tr.Err == nil || !strings.Contains(tr.Err.Error(), "503") {
		t.Errorf("error = %v, want the status", tr.Err)
	}
	if c.Status() != Unhealthy {
		t.Errorf("Status() = %v", c.Status())
	}

	failing.Store(false)
	tr = waitTransition(t, ch, Healthy)
	if tr.Consecutive != 2 {
		t.Errorf("healthy again after %d passes, want 2", tr.Consecutive)
	}
	if want := int(okServed.Load()+failServed.Load()) - 0; tr.Probes > want {
		t.Errorf("probes %d exceed requests served %d", tr.Probes, want)
	}
	c.Stop()
	c.Stop() // idempotent
	if c.Dropped() != 0 {
		t.Errorf("dropped %d transitions", c.Dropped())
	}
}

func TestHTTPTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)

	spec := fastSpec("http", srv.URL)
	spec.Timeout = 50 * time.Millisecond
	spec.FailureThreshold = 1
	p, err := NewProbe(&spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan Transition, 4)
	c := Start(context.Background(), "slow", spec, p, Options{Notify: ch})
	defer c.Stop()
	tr := waitTransition(t, ch, Unhealthy)
	if !errors.Is(tr.Err, ErrTimeout) {
		t.Errorf("error = %v, want a timeout", tr.Err)
	}
}

func TestTCPChecker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	var accepted atomic.Int64
	serve := func(ln net.Listener) {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}
	go serve(ln)

	spec := fastSpec("tcp", addr)
	p, err := NewProbe(&spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan Transition, 8)
	c := Start(context.Background(), "db", spec, p, Options{Notify: ch})
	defer c.Stop()
	waitTransition(t, ch, Healthy)

	ln.Close() // stops answering: connections are refused
	tr := waitTransition(t, ch, Unhealthy)
	if tr.Consecutive != 3 {
		t.Errorf("unhealthy after %d failures, want 3", tr.Consecutive)
	}
	// Every probe before the failures connected; the server may not have
	// accepted the last ones before closing, so compare with an upper bound.
	if tr.Probes-3 < 2 || int64(tr.Probes-3) < accepted.Load() {
		t.Errorf("unhealthy at probe %d with %d accepted", tr.Probes, accepted.Load())
	}

	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen again on %s: %v", addr, err)
	}
	defer ln2.Close()
	go serve(ln2)
	tr = waitTransition(t, ch, Healthy)
	if tr.Consecutive != 2 {
		t.Errorf("healthy again after %d passes, want 2", tr.Consecutive)
	}
}

func TestInitialDelayAndStop(t *testing.T) {
	var calls atomic.Int64
	p := probeFunc(func(context.Context) error { calls.Add(1); return nil })
	spec := config.Liveness{Kind: "tcp", InitialDelay: time.Hour, Period: time.Millisecond}
	c := Start(context.Background(), "x", spec, p, Options{})
	c.Stop()
	if n := calls.Load(); n != 0 {
		t.Errorf("probe ran %d times during the initial delay", n)
	}
	if c.Status() != Unknown {
		t.Errorf("status %v, want unknown", c.Status())
	}
}

func TestFullChannelCountsDrops(t *testing.T) {
	var n atomic.Int64
	// Alternate pass and fail so every probe is a transition.
	p := probeFunc(func(context.Context) error {
		if n.Add(1)%2 == 0 {
			return errors.New("down")
		}
		return nil
	})
	spec := config.Liveness{Kind: "tcp", Period: time.Millisecond, SuccessThreshold: 1, FailureThreshold: 1}
	ch := make(chan Transition) // never read: every send would block
	results := make(chan error, 64)
	c := Start(context.Background(), "x", spec, p, Options{Notify: ch, Result: func(err error) {
		select {
		case results <- err:
		default:
		}
	}})
	for i := 0; i < 5; i++ {
		select {
		case <-results:
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d probes ran; the checker must keep going past a full channel", i)
		}
	}
	c.Stop()
	if c.Dropped() < 4 {
		t.Fatalf("dropped %d transitions, want at least 4", c.Dropped())
	}
}

type probeFunc func(context.Context) error

func (f probeFunc) Probe(ctx context.Context) error { return f(ctx) }

type fakeRunner struct {
	mu    sync.Mutex
	argv  []string
	code  int
	err   error
	block bool
}

func (r *fakeRunner) Run(ctx context.Context, argv []string) (int, error) {
	r.mu.Lock()
	r.argv = argv
	code, err, block := r.code, r.err, r.block
	r.mu.Unlock()
	if block {
		<-ctx.Done()
		return -1, ctx.Err()
	}
	return code, err
}

func TestScriptProbe(t *testing.T) {
	r := &fakeRunner{}
	spec := config.Liveness{Kind: "script", Target: "/bin/check", Args: []string{"-q", "db"}}
	p, err := NewProbe(&spec, r)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := runProbe(ctx, p, time.Second); err != nil {
		t.Errorf("exit 0: %v", err)
	}
	if strings.Join(r.argv, " ") != "/bin/check -q db" {
		t.Errorf("argv = %q", r.argv)
	}
	r.code = 2
	if err := runProbe(ctx, p, time.Second); err == nil || !strings.Contains(err.Error(), "exit status 2") {
		t.Errorf("exit 2: %v", err)
	}
	r.code, r.err = 0, errors.New("no such file")
	if err := runProbe(ctx, p, time.Second); err == nil {
		t.Error("run error must fail the check")
	}
	r.err, r.block = nil, true
	if err := runProbe(ctx, p, 20*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Errorf("blocked script: %v, want a timeout", err)
	}
}

func TestNewProbeErrors(t *testing.T) {
	tests := []struct {
		spec config.Liveness
		want string
	}{
		{config.Liveness{Kind: "smoke"}, "unknown kind"},
		{config.Liveness{Kind: "tcp", Target: "nocolon"}, "missing port"},
		{config.Liveness{Kind: "http", Target: "ftp://x/"}, "not an http"},
		{config.Liveness{Kind: "script", Target: "/bin/true"}, "no script runner"},
		{config.Liveness{Kind: "http", Target: "https://x/", CAFile: "/nonexistent/ca.pem"}, "ca file"},
		{config.Liveness{Kind: "http", Target: "https://x/", CertFile: "/c.pem"}, "go together"},
	}
	for _, tt := range tests {
		_, err := NewProbe(&tt.spec, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("NewProbe(%+v) = %v, want %q", tt.spec, err, tt.want)
		}
	}
}

func TestHTTPSWithTestCA(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCert(t, nil, nil, "test CA", true)
	srvCert, srvKey := newCert(t, ca, caKey, "server", false)
	cliCert, cliKey := newCert(t, ca, caKey, "client", false)
	caFile := writePEM(t, dir, "ca.pem", ca.Raw, nil)
	cliCertFile := writePEM(t, dir, "client.pem", cliCert.Raw, nil)
	cliKeyFile := writePEM(t, dir, "client.key", nil, cliKey)

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{srvCert.Raw}, PrivateKey: srvKey}},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
	}
	srv.Config.ErrorLog = nil
	srv.StartTLS()
	defer srv.Close()

	tests := []struct {
		name string
		spec config.Liveness
		ok   bool
	}{
		{"CA and client certificate", config.Liveness{Kind: "http", Target: srv.URL, CAFile: caFile, CertFile: cliCertFile, KeyFile: cliKeyFile}, true},
		{"no client certificate", config.Liveness{Kind: "http", Target: srv.URL, CAFile: caFile}, false},
		{"server not trusted", config.Liveness{Kind: "http", Target: srv.URL, CertFile: cliCertFile, KeyFile: cliKeyFile}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := NewProbe(&tt.spec, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer p.(*HTTPProbe).Close()
			err = runProbe(context.Background(), p, 5*time.Second)
			if (err == nil) != tt.ok {
				t.Errorf("probe error = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func newCert(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, cn string, isCA bool) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	if isCA {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
		tmpl.ExtKeyUsage, tmpl.IPAddresses = nil, nil
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func writePEM(t *testing.T, dir, name string, certDER []byte, key *ecdsa.PrivateKey) string {
	t.Helper()
	var block *pem.Block
	if key != nil {
		der, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		block = &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	} else {
		block = &pem.Block{Type: "CERTIFICATE", Bytes: certDER}
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
