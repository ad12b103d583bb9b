package server

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/faults"
	"supervisord/internal/xmlrpc"
)

type fixture struct {
	srv      *Server
	backend  *memBackend
	url      string // http://127.0.0.1:port
	sock     string
	dir      string
	webLog   string
	mainLog  string
	cancel   context.CancelFunc
	serveErr chan error
}

// startServer serves a small configuration on a unix socket and a TCP
// port, with the given credentials on both.
func startServer(t *testing.T, user, pass string, opts Options) *fixture {
	t.Helper()
	dir := t.TempDir()
	f := &fixture{dir: dir, sock: filepath.Join(dir, "s.sock"),
		webLog: filepath.Join(dir, "web.log"), mainLog: filepath.Join(dir, "main.log")}
	for _, p := range []string{f.webLog, f.mainLog} {
		if err := os.WriteFile(p, []byte("line one\nline two\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fileLog := func(p string) config.StreamLog {
		return config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogFile, Path: p}}}
	}
	cfg := &config.Config{
		UnixServers: []config.UnixHTTPServer{{Section: "unix_http_server", File: f.sock, Chmod: 0o660, Username: user, Password: pass}},
		InetServers: []config.InetHTTPServer{{Section: "inet_http_server", Host: "127.0.0.1", Port: 0, Username: user, Password: pass}},
		Groups: []*config.Group{
			{Name: "web", Priority: 1, Processes: []*config.Process{{Name: "web", Group: "web", CommandLine: "sleep 100",
				Stdout: fileLog(f.webLog), ExitCodes: []int{0}, StopSignal: 15}}},
			{Name: "workers", Priority: 2, Processes: []*config.Process{
				{Name: "w0", Group: "workers", CommandLine: "sleep 100", ExitCodes: []int{0}, StopSignal: 15},
				{Name: "w1", Group: "workers", CommandLine: "sleep 100", ExitCodes: []int{0}, StopSignal: 15}}},
		},
	}
	f.backend = newMem(cfg, f.mainLog)
	srv, err := New(cfg, f.backend, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	f.srv = srv
	addrs := srv.Addrs()
	f.url = "http://" + addrs[1].String()
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.serveErr = make(chan error, 1)
	go func() { f.serveErr <- srv.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-f.serveErr:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return f
}

func call(t *testing.T, url, user, pass, method string, params ...any) (any, error) {
	t.Helper()
	var body bytes.Buffer
	if err := xmlrpc.EncodeCall(&body, method, params); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", url+"/RPC2", &body)
	req.Header.Set("Content-Type", "text/xml")
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return xmlrpc.DecodeResponse(resp.Body, xmlrpc.DefaultLimits())
}

func TestRPCOverTCPAndUnix(t *testing.T) {
	f := startServer(t, "", "", Options{})
	v, err := call(t, f.url, "", "", "supervisor.getState")
	if err != nil || v.(map[string]any)["statename"] != "RUNNING" {
		t.Fatalf("getState: %v %v", v, err)
	}
	if _, err := call(t, f.url, "", "", "supervisor.startProcess", "nope"); err == nil || err.(*xmlrpc.Fault).Code != int(faults.BadName) {
		t.Fatalf("BAD_NAME expected, got %v", err)
	}
	// Unix socket.
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", f.sock)
	}}}
	var body bytes.Buffer
	xmlrpc.EncodeCall(&body, "supervisor.getPID", nil)
	resp, err := c.Post("http://localhost/RPC2", "text/xml", &body)
	if err != nil {
		t.Fatal(err)
	}
	v, err = xmlrpc.DecodeResponse(resp.Body, xmlrpc.DefaultLimits())
	resp.Body.Close()
	if err != nil || v != 4242 {
		t.Fatalf("getPID over unix: %v %v", v, err)
	}
	st, err := os.Stat(f.sock)
	if err != nil || st.Mode().Perm() != 0o660 || st.Mode()&os.ModeSocket == 0 {
		t.Fatalf("socket mode: %v %v", st.Mode(), err)
	}
}

func TestAuthOnEveryRoute(t *testing.T) {
	extra := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "metrics") })
	f := startServer(t, "user", "{SHA}"+"5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", Options{Extra: map[string]http.Handler{"/metrics": extra}}) // sha1("password")
	routes := []struct{ method, path string }{
		{"POST", "/RPC2"}, {"GET", "/logtail/web"}, {"GET", "/mainlogtail"}, {"GET", "/ok.html"},
		{"GET", "/metrics"}, {"POST", "/"}, {"GET", "/anything"},
	}
	headers := []string{"", "Basic", "Basic !!!", "Basic " + "dXNlcjp3cm9uZw==", "Bearer x", "Basic dXNlcg==",
		"Basic " + strings.Repeat("A", 10000)}
	for _, r := range routes {
		for _, h := range headers {
			req, _ := http.NewRequest(r.method, f.url+r.path, strings.NewReader("<x/>"))
			if h != "" {
				req.Header.Set("Authorization", h)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Basic realm="default"` {
				t.Errorf("%s %s with %q: %d %q", r.method, r.path, h, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		}
	}
	if v, err := call(t, f.url, "user", "password", "supervisor.getPID"); err != nil || v != 4242 {
		t.Errorf("good credentials: %v %v", v, err)
	}
	req, _ := http.NewRequest("GET", f.url+"/metrics", nil)
	req.SetBasicAuth("user", "password")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "metrics" {
		t.Errorf("extra handler: %d %q", resp.StatusCode, b)
	}
}

func TestCredentials(t *testing.T) {
	for _, c := range []struct {
		stored, user, pass string
		ok                 bool
	}{
		{"secret", "u", "secret", true},
		{"secret", "u", "Secret", false},
		{"secret", "v", "secret", false},
		{"{SHA}5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", "u", "password", true},
		{"{SHA}5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", "u", "{SHA}5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", false},
		{"", "u", "", true},
	} {
		if got := (credentials{user: "u", pass: c.stored}).check(c.user, c.pass); got != c.ok {
			t.Errorf("%+v: got %v", c, got)
		}
	}
}

// post sends a raw body and returns the status and the decoded reply.
func post(t *testing.T, url string, body io.Reader, length int64) (int, any, error) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/RPC2", body)
	req.ContentLength = length
	req.Header.Set("Content-Type", "text/xml")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil, nil
	}
	v, err := xmlrpc.DecodeResponse(resp.Body, xmlrpc.DefaultLimits())
	return 200, v, err
}

// endless yields n bytes of an XML-RPC call that never closes, without
// building them in memory.
type endless struct{ n, sent int64 }

func (e *endless) Read(p []byte) (int, error) {
	if e.sent >= e.n {
		return 0, io.EOF
	}
	head := "<methodCall><methodName>"
	i := 0
	for ; i < len(p) && e.sent < e.n; i++ {
		if e.sent < int64(len(head)) {
			p[i] = head[e.sent]
		} else {
			p[i] = 'a'
		}
		e.sent++
	}
	return i, nil
}

func TestHostileInput(t *testing.T) {
	f := startServer(t, "", "", Options{})
	deep := "<methodCall><methodName>a.b</methodName><params><param><value>" +
		strings.Repeat("<array><data><value>", 100) + strings.Repeat("</value></data></array>", 100) +
		"</value></param></params></methodCall>"
	laughs := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">` +
		`<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><methodCall><methodName>&lol2;</methodName></methodCall>`
	for _, c := range []struct {
		name, body string
		status     int
		fault      int
	}{
		{"malformed", "<methodCall><methodName>", 400, 0},
		{"not xml", "hello", 400, 0},
		{"empty", "", 400, 0},
		{"deep", deep, 400, 0},
		{"billion laughs", laughs, 400, 0},
		{"invalid utf8", "<methodCall><methodName>supervisor.getProcessInfo</methodName><params><param><value>\xff\xfe</value></param></params></methodCall>", 400, 0},
		{"no method name", "<methodCall><params/></methodCall>", 400, 0},
		{"unknown method", "<methodCall><methodName>supervisor.nope</methodName></methodCall>", 200, 1},
		{"traversal", "<methodCall><methodName>supervisor.__init__.x</methodName></methodCall>", 200, 1},
		{"wrong type", "<methodCall><methodName>supervisor.getProcessInfo</methodName><params><param><value><int>1</int></value></param></params></methodCall>", 200, 2},
		{"wrong count", "<methodCall><methodName>supervisor.getProcessInfo</methodName></methodCall>", 200, 2},
	} {
		status, v, err := post(t, f.url, strings.NewReader(c.body), int64(len(c.body)))
		if err != nil && c.fault == 0 {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if status != c.status {
			t.Errorf("%s: status %d, want %d", c.name, status, c.status)
			continue
		}
		if c.fault != 0 {
			var fe *xmlrpc.Fault
			if !errors.As(err, &fe) || fe.Code != c.fault {
				t.Errorf("%s: got %v %v, want fault %d", c.name, v, err, c.fault)
			}
		}
	}

	// 100 MB announced: refused before it is read.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	status, _, err := post(t, f.url, &endless{n: 100 << 20}, 100<<20)
	if err == nil && status != 413 {
		t.Errorf("100 MB body: status %d", status)
	}
	// 100 MB chunked (no length): cut off at the limit.
	status, _, err = post(t, f.url, &endless{n: 100 << 20}, -1)
	if err == nil && status != 413 {
		t.Errorf("100 MB chunked body: status %d", status)
	}
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 48<<20 {
		t.Errorf("two 100 MB bodies allocated %d MB", grew>>20)
	}
	// The server still answers.
	if v, err := call(t, f.url, "", "", "supervisor.getPID"); err != nil || v != 4242 {
		t.Errorf("after hostile input: %v %v", v, err)
	}
	// GET on /RPC2 is a bad request, as in the reference.
	resp, err := http.Get(f.url + "/RPC2")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("GET /RPC2: %d", resp.StatusCode)
	}
}

func TestOKAndLogtail(t *testing.T) {
	f := startServer(t, "", "", Options{})
	resp, err := http.Get(f.url + "/ok.html")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != "OK" {
		t.Errorf("ok.html: %d %q", resp.StatusCode, b)
	}
	for _, p := range []string{"/logtail/nope", "/logtail/workers:w0", "/logtail/web/stderr", "/logtail/web/other"} {
		resp, err := http.Get(f.url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	for _, c := range []struct{ path, file string }{{"/logtail/web", f.webLog}, {"/logtail/web:web/stdout", f.webLog}, {"/mainlogtail", f.mainLog}} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", f.url+c.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("Content-Type") != "text/plain;charset=utf-8" {
			t.Errorf("%s: content type %q", c.path, resp.Header.Get("Content-Type"))
		}
		r := bufio.NewReader(resp.Body)
		for _, want := range []string{"line one\n", "line two\n"} {
			if line, err := r.ReadString('\n'); line != want {
				t.Fatalf("%s: got %q %v", c.path, line, err)
			}
		}
		fh, _ := os.OpenFile(c.file, os.O_APPEND|os.O_WRONLY, 0)
		fh.WriteString("appended\n")
		fh.Close()
		if line, err := r.ReadString('\n'); line != "appended\n" {
			t.Fatalf("%s: follow got %q %v", c.path, line, err)
		}
		cancel()
		resp.Body.Close()
	}
}

func TestShutdownEndsStreams(t *testing.T) {
	f := startServer(t, "", "", Options{})
	resp, err := http.Get(f.url + "/logtail/web")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done <- f.srv.Shutdown(ctx)
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown hung on a log stream")
	}
	io.Copy(io.Discard, resp.Body)
	if _, err := os.Stat(f.sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind: %v", err)
	}
}

func TestStaleAndLiveSockets(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "x.sock")
	// A stale socket: bound, then its listener gone without unlinking.
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	cfg := &config.Config{UnixServers: []config.UnixHTTPServer{{Section: "unix_http_server", File: sock}}}
	b := newMem(cfg, "")
	s1, err := New(cfg, b, nil, Options{})
	if err != nil {
		t.Fatalf("stale socket not replaced: %v", err)
	}
	st, _ := os.Stat(sock)
	if st.Mode().Perm() != 0o700 {
		t.Errorf("default mode %v", st.Mode().Perm())
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s1.Serve(ctx) }()
	// A live one: refused.
	if _, err := New(cfg, b, nil, Options{}); err == nil || !strings.Contains(err.Error(), "already listening") {
		t.Errorf("live socket: %v", err)
	}
	cancel()
	wg.Wait()
	// Not a socket: refused, left alone.
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("x"), 0o644)
	cfg.UnixServers[0].File = plain
	if _, err := New(cfg, b, nil, Options{}); err == nil {
		t.Error("regular file replaced")
	}
	// A port in use.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	cfg = &config.Config{InetServers: []config.InetHTTPServer{{Section: "inet_http_server", Host: "127.0.0.1", Port: port}}}
	if _, err := New(cfg, b, nil, Options{}); err == nil || !strings.Contains(err.Error(), "already listening") {
		t.Errorf("port in use: %v", err)
	}
}

func TestRateLimiter(t *testing.T) {
	r := newRateLimiter(3, time.Minute)
	t0 := time.Unix(0, 0)
	var allowed int
	for i := range 100 {
		if ok, _ := r.allow(t0.Add(time.Duration(i) * time.Millisecond)); ok {
			allowed++
		}
	}
	if allowed != 3 {
		t.Errorf("allowed %d", allowed)
	}
	ok, suppressed := r.allow(t0.Add(2 * time.Minute))
	if !ok || suppressed != 97 {
		t.Errorf("next period: %v %d", ok, suppressed)
	}
}
