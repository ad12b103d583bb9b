package web

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"supervisord/internal/faults"
	"supervisord/internal/process"
	"supervisord/internal/rpc"
)

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		host, origin, referer string
		tls                   bool
		want                  bool
	}{
		{host: "127.0.0.1:9001", origin: "http://127.0.0.1:9001", want: true},
		{host: "127.0.0.1:9001", referer: "http://127.0.0.1:9001/index.html?x=1", want: true},
		{host: "Example.COM", origin: "http://example.com:80", want: true},
		{host: "example.com:443", origin: "https://example.com", tls: true, want: true},
		{host: "example.com", origin: "https://example.com", want: true}, // TLS ended by a proxy
		{host: "[::1]:9001", origin: "http://[::1]:9001", want: true},
		{host: "[::1]:80", origin: "http://[::1]", want: true},
		{host: "127.0.0.1:9001", want: false},
		{host: "127.0.0.1:9001", origin: "null", want: false},
		{host: "127.0.0.1:9001", origin: "http://127.0.0.1:9002", want: false},
		{host: "127.0.0.1:9001", origin: "http://evil.example", referer: "http://127.0.0.1:9001/", want: false},
		{host: "127.0.0.1:9001", referer: "http://evil.example/127.0.0.1:9001", want: false},
		{host: "127.0.0.1:9001", origin: "file://127.0.0.1:9001", want: false},
		{host: "", origin: "http://", want: false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(http.MethodPost, "/index.html", nil)
		r.Host = tt.host
		if tt.tls {
			r.TLS = &tls.ConnectionState{}
		}
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if tt.referer != "" {
			r.Header.Set("Referer", tt.referer)
		}
		if got := sameOrigin(r); got != tt.want {
			t.Errorf("host %q origin %q referer %q tls %v: %v, want %v", tt.host, tt.origin, tt.referer, tt.tls, got, tt.want)
		}
	}
}

func TestSplitNamespec(t *testing.T) {
	tests := []struct{ spec, group, name string }{
		{"web", "web", "web"},
		{"grp:web", "grp", "web"},
		{"grp:*", "grp", ""},
		{"grp:", "grp", ""},
		{"a:b:c", "a", "b:c"},
	}
	for _, tt := range tests {
		if g, n := splitNamespec(tt.spec); g != tt.group || n != tt.name {
			t.Errorf("%q: (%q, %q), want (%q, %q)", tt.spec, g, n, tt.group, tt.name)
		}
	}
	if namespec("web", "web") != "web" || namespec("grp", "web") != "grp:web" {
		t.Error("namespec")
	}
}

// fake is a Backend whose calls fail as told.
type fake struct {
	mu                  sync.Mutex // guards started, stopped
	groups              []rpc.GroupSnapshot
	startErr, stopErr   error
	clearErr            error
	started, stopped    []string
	tailPath            string
	tailOffset, tailLen int64
}

func (f *fake) Identifier() string                 { return "fake" }
func (f *fake) State() process.SupervisorState     { return process.SupervisorRunning }
func (f *fake) Groups() []rpc.GroupSnapshot        { return f.groups }
func (f *fake) ClearProcessLogs(_, _ string) error { return f.clearErr }
func (f *fake) StartProcess(_ context.Context, g, n string, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, g+":"+n)
	return f.startErr
}
func (f *fake) StopProcess(_ context.Context, g, n string, _ bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = append(f.stopped, g+":"+n)
	return f.stopErr
}

func newFake() *fake {
	return &fake{groups: []rpc.GroupSnapshot{
		{Name: "web", Processes: []process.Info{{Group: "web", Name: "web", State: process.Running, StdoutLogfile: "/logs/web.out"}}},
		{Name: "pool", Processes: []process.Info{
			{Group: "pool", Name: "b", State: process.Stopped},
			{Group: "pool", Name: "a", State: process.Fatal},
		}},
	}}
}

func TestMessages(t *testing.T) {
	now := time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC)
	tests := []struct {
		verb, spec string
		setup      func(*fake)
		want       string
	}{
		{"refresh", "", nil, "Page refreshed at Tue Mar  5 07:08:09 2024"},
		{"stopall", "", nil, "All stopped at Tue Mar  5 07:08:09 2024"},
		{"restartall", "", nil, "All restarted at Tue Mar  5 07:08:09 2024"},
		{"start", "pool:a", nil, "Process pool:a started"},
		{"start", "pool", nil, "No such process named pool"},
		{"start", "pool:*", nil, "No such process named pool:*"},
		{"start", "pool:a", func(f *fake) { f.startErr = faults.New(faults.NoFile, "/x") }, "ERROR: Process pool:a: no such file"},
		{"start", "pool:a", func(f *fake) { f.startErr = faults.New(faults.NotExecutable, "/x") }, "ERROR: Process pool:a: file not executable"},
		{"start", "pool:a", func(f *fake) { f.startErr = faults.New(faults.AlreadyStarted, "x") }, "ERROR: Process pool:a: already started"},
		{"start", "pool:a", func(f *fake) { f.startErr = faults.New(faults.SpawnError, "x") }, "ERROR: Process pool:a: spawn error"},
		{"start", "pool:a", func(f *fake) { f.startErr = faults.New(faults.AbnormalTermination, "x") }, "ERROR: Process pool:a: abnormal termination"},
		{"start", "pool:a", func(f *fake) { f.startErr = faults.New(faults.ShutdownState, "") }, "ERROR: Process pool:a: unexpected rpc fault [6] SHUTDOWN_STATE"},
		{"start", "pool:a", func(f *fake) { f.startErr = errors.New("boom") }, "ERROR: Process pool:a: unexpected rpc fault [30] FAILED: boom"},
		{"stop", "web", nil, "Process web stopped"},
		{"stop", "web", func(f *fake) { f.stopErr = faults.New(faults.NotRunning, "web:web") }, "unexpected rpc fault [70] NOT_RUNNING: web"},
		{"restart", "web", func(f *fake) { f.stopErr = faults.New(faults.NotRunning, "") }, "Process web restarted"},
		{"restart", "web", func(f *fake) { f.startErr = faults.New(faults.SpawnError, "") }, "ERROR: Process web: spawn error"},
		{"clearlog", "web", nil, "Log for web cleared"},
		{"clearlog", "web", func(f *fake) { f.clearErr = faults.New(faults.Failed, "disk") }, "unexpected rpc fault [30] FAILED: disk"},
	}
	for _, tt := range tests {
		f := newFake()
		if tt.setup != nil {
			tt.setup(f)
		}
		h := Handler(f, Options{Now: func() time.Time { return now }}).(*handler)
		if got := h.perform(context.Background(), tt.verb, tt.spec); got != tt.want {
			t.Errorf("%s %s: %q, want %q", tt.verb, tt.spec, got, tt.want)
		}
	}
}

func TestAllActsOnTheRightProcesses(t *testing.T) {
	f := newFake()
	h := Handler(f, Options{}).(*handler)
	h.perform(context.Background(), "restartall", "")
	if strings.Join(f.stopped, ",") != "web:web" {
		t.Errorf("stopped %v", f.stopped)
	}
	// The fake's states do not change, so start all picks the stopped
	// ones; without BatchBackend they start concurrently.
	sort.Strings(f.started)
	if strings.Join(f.started, ",") != "pool:a,pool:b" {
		t.Errorf("started %v", f.started)
	}
}

func TestTailLimit(t *testing.T) {
	tests := []struct {
		query string
		want  int64
	}{
		{"", 1024},
		{"&limit=10", 1024},
		{"&limit=4096", 4096},
		{"&limit=-5", 1024},
		{"&limit=abc", 1024},
		{"&limit=99999999999999999999999", maxTailBytes},
		{"&limit=5000000", maxTailBytes},
	}
	for _, tt := range tests {
		f := newFake()
		h := Handler(f, Options{Tail: func(path string, off, n int64) ([]byte, int64, bool, error) {
			f.tailPath, f.tailOffset, f.tailLen = path, off, n
			return []byte("line <b>\xff\n"), 0, false, nil
		}})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/tail.html?processname=web"+tt.query, nil))
		if f.tailPath != "/logs/web.out" || f.tailOffset != 0 || f.tailLen != tt.want {
			t.Errorf("%q: Tail(%q, %d, %d), want length %d", tt.query, f.tailPath, f.tailOffset, f.tailLen, tt.want)
		}
		if body := rec.Body.String(); !strings.Contains(body, "line &lt;b&gt;\uFFFD\n</pre>") {
			t.Errorf("%q: body\n%s", tt.query, body)
		}
	}
	rec := httptest.NewRecorder()
	Handler(newFake(), Options{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/tail.html?processname=pool:a", nil))
	if !strings.Contains(rec.Body.String(), "No file for pool:a") {
		t.Errorf("no log file:\n%s", rec.Body.String())
	}
}

func TestStatusRowsSortedAndActionsByState(t *testing.T) {
	h := Handler(newFake(), Options{}).(*handler)
	rows := h.rows()
	var got []string
	for _, r := range rows {
		got = append(got, r.Spec+"/"+r.Class)
	}
	if strings.Join(got, " ") != "pool:a/bad pool:b/idle web/good" {
		t.Fatalf("rows %v", got)
	}
	if !rows[0].CanStart || rows[0].CanStop || !rows[2].CanStop || rows[2].CanStart {
		t.Fatalf("actions %+v", rows)
	}
}

// FuzzIndexQuery feeds arbitrary query strings and form bodies to the
// pages: they must never fail with a server error or echo markup.
func FuzzIndexQuery(f *testing.F) {
	f.Add("/index.html", "action=stop&processname=web", "message=<b>")
	f.Add("/tail.html", "processname=web&limit=99999999999", "")
	f.Add("/", "action=restartall", "action=refresh")
	f.Add("/", "%zz", "processname=%00")
	f.Add("/index.html", "", "act1=stop:web&processname=pool:a")
	f.Add("/index.html", "", "act1=signal:pool:*&signal=<b>")
	f.Add("/api/action", "", "action=signal&processname=web&processname=pool:*&signal=KILL")
	f.Add("/logstream", "processname=web&channel=<b>", "")
	f.Add("/logfile", "processname=web", "")
	f.Add("/index.html", "filter=state:running+<b>", "")
	f.Add("/", "0", "action=<b>")
	f.Add("/events", "snapshot=1", "")
	f.Fuzz(func(t *testing.T, path, query, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path+query, " #\r\n\t") {
			return
		}
		if _, err := url.ParseRequestURI(path + "?" + query); err != nil {
			return
		}
		fb := newFake()
		h := Handler(fb, Options{Tail: func(string, int64, int64) ([]byte, int64, bool, error) { return []byte(query), 0, false, nil }})
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			r := httptest.NewRequest(method, path+"?"+query, strings.NewReader(body))
			// A client that has already gone: the event and log streams
			// return after their first frame instead of following forever.
			gone, cancel := context.WithCancel(context.Background())
			cancel()
			r = r.WithContext(gone)
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			r.Header.Set("Origin", "http://example.com")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code >= 500 {
				t.Fatalf("%s %s?%s: %d %s", method, path, query, rec.Code, rec.Body.String())
			}
			// Markup matters only where a browser would render it: a
			// page. Plain-text errors may quote the input (an unknown
			// action's name) because they are served as text/plain with
			// nosniff, which the check below holds them to.
			ctype := rec.Header().Get("Content-Type")
			switch {
			case strings.HasPrefix(ctype, "text/html"):
				if strings.Contains(rec.Body.String(), "<b>") {
					t.Fatalf("%s %s?%s echoed markup", method, path, query)
				}
			case rec.Body.Len() > 0 && rec.Header().Get("X-Content-Type-Options") != "nosniff":
				t.Fatalf("%s %s?%s: %s without nosniff", method, path, query, ctype)
			}
		}
	})
}

// Usage shows when measured, with a sparkline once the hub has sampled
// CPU time twice.
func TestUsageAndSparkline(t *testing.T) {
	f := newFake()
	web := &f.groups[0].Processes[0]
	web.Usage = process.Usage{Measured: true, CPUSeconds: 1, MemoryBytes: 12 << 20, Tasks: 3}
	h := Handler(f, Options{}).(*handler)
	get := func() string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		return rec.Body.String()
	}
	if body := get(); !strings.Contains(body, "12.0 MiB") || strings.Contains(body, `class="spark"`) {
		t.Fatalf("first render:\n%s", body)
	}
	h.hub.refresh(nil)
	h.hub.sample()
	web.Usage.CPUSeconds = 1.5
	frame := string(h.hub.sample())
	if !strings.Contains(frame, `"spec":"web"`) || !strings.Contains(frame, `"measured":true`) || !strings.Contains(frame, `"spark":[0,`) {
		t.Fatalf("sample frame %s", frame)
	}
	body := get()
	if !strings.Contains(body, `<svg class="spark"`) || !strings.Contains(body, "<polyline points=") {
		t.Fatalf("no sparkline:\n%s", body)
	}
	// Processes without usage show none.
	if strings.Count(body, "MiB") != 1 {
		t.Fatalf("usage shown for unmeasured processes")
	}
}
