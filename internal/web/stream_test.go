package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/internal/authz"
	"supervisord/internal/config"
	"supervisord/internal/process"
)

// sseReader reads the JSON objects of an event stream.
type sseReader struct {
	t    *testing.T
	body io.ReadCloser
	sc   *bufio.Scanner
}

func (f *fixture) stream(path string) *sseReader {
	f.t.Helper()
	resp, err := http.Get(f.srv.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		f.t.Fatalf("GET %s: %s %s", path, resp.Status, resp.Header.Get("Content-Type"))
	}
	f.t.Cleanup(func() { resp.Body.Close() })
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 4<<20)
	return &sseReader{t: f.t, body: resp.Body, sc: sc}
}

// next returns the next event's JSON object.
func (s *sseReader) next() map[string]any {
	s.t.Helper()
	for s.sc.Scan() {
		line, ok := strings.CutPrefix(s.sc.Text(), "data: ")
		if !ok {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			s.t.Fatalf("event %q: %v", line, err)
		}
		return m
	}
	s.t.Fatalf("stream ended: %v", s.sc.Err())
	return nil
}

// until returns the first event for which match holds.
func (s *sseReader) until(match func(map[string]any) bool) map[string]any {
	s.t.Helper()
	for {
		if m := s.next(); match(m) {
			return m
		}
	}
}

func TestEventsStreamTransitionsAndRows(t *testing.T) {
	f := newFixture(t, twoPrograms)
	web := f.waitState("web", process.Running)
	s := f.stream("/events?snapshot=1")
	if m := s.next(); m["type"] != "hello" || m["identifier"] != "websup" || m["daemon"] != "RUNNING" {
		t.Fatalf("first event %v", m)
	}
	snap := s.next()
	rows, _ := snap["rows"].([]any)
	if snap["type"] != "snapshot" || len(rows) != 2 {
		t.Fatalf("snapshot %v", snap)
	}
	if r := rows[0].(map[string]any); r["spec"] != "web" || r["state"] != "RUNNING" || int(r["pid"].(float64)) != web.Pid {
		t.Fatalf("snapshot row %v", r)
	}
	// A kill from outside reaches the stream as a transition and a row.
	if err := syscall.Kill(web.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	c := s.until(func(m map[string]any) bool { return m["type"] == "change" })
	if c["name"] != "web" || c["from"] != "RUNNING" || c["to"] != "EXITED" || c["expected"] != false {
		t.Fatalf("change %v", c)
	}
	row := s.until(func(m map[string]any) bool { return m["type"] == "process" })["row"].(map[string]any)
	// It may have been restarted already: then it has a new pid.
	if row["spec"] != "web" || (row["state"] == "RUNNING" && int(row["pid"].(float64)) == web.Pid) {
		t.Fatalf("row %v", row)
	}
}

func TestReadOnlySeesNoActions(t *testing.T) {
	f := newFixture(t, twoPrograms)
	f.waitState("web", process.Running)
	ro := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.srv.Config.Handler.ServeHTTP(w, r.WithContext(authz.WithRole(r.Context(), authz.ReadOnly)))
	}))
	defer ro.Close()
	resp, err := http.Get(ro.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	for _, bad := range []string{`name="act1"`, `name="action"`, `type="checkbox"`, `id="confirm"`} {
		if strings.Contains(body, bad) {
			t.Errorf("read-only page has %q", bad)
		}
	}
	if !strings.Contains(body, `data-spec="web"`) || !strings.Contains(body, "read-only") {
		t.Errorf("read-only page lacks the table or the role")
	}
	for _, path := range []string{"/index.html", "/api/action"} {
		req, _ := http.NewRequest(http.MethodPost, ro.URL+path, strings.NewReader("action=stop&processname=web"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", ro.URL)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("read-only POST %s: %s", path, resp.Status)
		}
	}
	if got := f.info("web").State; got != process.Running {
		t.Fatalf("web is %s after refused actions", got)
	}
}

func (f *fixture) api(origin string, form url.Values) (*http.Response, string) {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/api/action", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := f.cli.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, readBody(f.t, resp)
}

func TestActionAPI(t *testing.T) {
	f := newFixture(t, func(dir string) []*config.Group {
		g := prog(dir, "pool", "exec sleep 60", true)
		for _, n := range []string{"b", "c"} {
			p := *g.Processes[0]
			p.Name = n
			g.Processes = append(g.Processes, &p)
		}
		g.Processes[0].Name = "a"
		return []*config.Group{g}
	})
	for _, n := range []string{"a", "b", "c"} {
		f.waitState(n, process.Running)
	}
	if resp, _ := f.api("http://evil.example", url.Values{"action": {"stop"}, "processname": {"pool:a"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin API call: %s", resp.Status)
	}
	resp, body := f.api(f.srv.URL, url.Values{"action": {"stop"}, "processname": {"pool:a", "pool:c", "nope"}})
	if resp.StatusCode != 200 {
		t.Fatalf("stop: %s %s", resp.Status, body)
	}
	var out struct{ Results []result }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	want := []result{{"nope", false, "No such process named nope"}, {"pool:a", true, "Process pool:a stopped"}, {"pool:c", true, "Process pool:c stopped"}}
	if fmt.Sprint(out.Results) != fmt.Sprint(want) {
		t.Fatalf("results %v, want %v", out.Results, want)
	}
	for n, st := range map[string]process.State{"a": process.Stopped, "b": process.Running, "c": process.Stopped} {
		if got := f.info(n).State; got != st {
			t.Errorf("%s is %s, want %s", n, got, st)
		}
	}
	// A group at once, and a signal.
	if _, body := f.api(f.srv.URL, url.Values{"action": {"start"}, "processname": {"pool:*"}}); !strings.Contains(body, `"Process pool:a started"`) || !strings.Contains(body, `already started`) {
		t.Fatalf("group start: %s", body)
	}
	b := f.info("b")
	if _, body := f.api(f.srv.URL, url.Values{"action": {"signal"}, "processname": {"pool:b"}, "signal": {"KILL"}}); !strings.Contains(body, "sent SIGKILL") {
		t.Fatalf("signal: %s", body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for alive(b.Pid) {
		if time.Now().After(deadline) {
			t.Fatalf("pid %d survived SIGKILL", b.Pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, body := f.api(f.srv.URL, url.Values{"action": {"signal"}, "processname": {"pool:c"}, "signal": {"BOGUS"}}); !strings.Contains(body, "unknown signal") {
		t.Fatalf("bad signal: %s", body)
	}
}

func TestLogStreamAndDownload(t *testing.T) {
	f := newFixture(t, func(dir string) []*config.Group {
		return []*config.Group{prog(dir, "bin", `printf '\000\377<b>x</b>\342\202'; printf '\254 euro\n'; exec sleep 60`, true)}
	})
	f.waitState("bin", process.Running)
	info := f.info("bin")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, _ := os.ReadFile(info.StdoutLogfile); strings.Contains(string(b), "euro") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no output")
		}
		time.Sleep(10 * time.Millisecond)
	}
	s := f.stream("/logstream?processname=bin")
	if m := s.next(); m["type"] != "reset" {
		t.Fatalf("first %v", m)
	}
	var text string
	for !strings.Contains(text, "euro") {
		m := s.next()
		text += m["text"].(string)
	}
	if text != "\x00\uFFFD<b>x</b>€ euro\n" {
		t.Fatalf("text %q", text)
	}
	resp, err := http.Get(f.srv.URL + "/logfile?processname=bin")
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, resp)
	want, _ := os.ReadFile(info.StdoutLogfile)
	if body != string(want) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="`+filepath.Base(info.StdoutLogfile)) {
		t.Fatalf("download %q %q", body, resp.Header.Get("Content-Disposition"))
	}
	if resp, _ := http.Get(f.srv.URL + "/logfile?processname=nope"); resp.StatusCode != 404 {
		t.Fatalf("unknown process: %s", resp.Status)
	}
}

// smallBuffers is a listener whose connections have tiny send buffers, so
// that a client that does not read is noticed after a few kilobytes.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

func TestStreamDropsAClientThatNeverReads(t *testing.T) {
	f := newFixture(t, twoPrograms)
	f.waitState("web", process.Running)
	srv := httptest.NewUnstartedServer(f.srv.Config.Handler)
	srv.Listener = smallBuffers{srv.Listener}
	srv.Start()
	defer srv.Close()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1024) })
		return nil
	}}
	conn, err := d.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
	// A reader that keeps up, to see that it is not held back.
	good := f.stream("/events")
	good.next()
	h := f.srv.Config.Handler.(*handler)
	ctx := context.Background()
	for i := 0; h.hub.dropped.Load() == 0; i++ {
		if i == 2000 {
			t.Fatal("the client that never reads was not dropped")
		}
		start := time.Now()
		if err := f.sup.StopProcess(ctx, "web", "web", true); err != nil {
			t.Fatal(err)
		}
		if err := f.sup.StartProcess(ctx, "web", "web", true); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("a stop and start took %v", d)
		}
		good.until(func(m map[string]any) bool { return m["type"] == "change" && m["to"] == "RUNNING" })
	}
	if m := f.stream("/events").next(); m["droppedClients"] != 1.0 {
		t.Fatalf("hello %v", m)
	}
}
