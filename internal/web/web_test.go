package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/logfile"
	"supervisord/internal/process"
	"supervisord/internal/supervisor"
)

// prog is a /bin/sh -c program in a group of its own, logging to dir.
func prog(dir, name, cmd string, autostart bool) *config.Group {
	p := &config.Process{
		Name: name, Group: name, ProgramSec: name,
		Command: []string{"/bin/sh", "-c", cmd}, CommandLine: cmd,
		Priority: 999, Autostart: autostart, Startsecs: 0, Startretries: 3,
		AutoRestart: config.RestartUnexpected, ExitCodes: []int{0},
		StopSignal: syscall.SIGTERM, StopWaitSecs: 10 * time.Second,
	}
	safe := url.PathEscape(name)
	p.Stdout = config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogFile, Path: filepath.Join(dir, safe+".out")}}}
	p.Stderr = config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogFile, Path: filepath.Join(dir, safe+".err")}}}
	return &config.Group{Name: name, Priority: p.Priority, Processes: []*config.Process{p}}
}

type fixture struct {
	t   *testing.T
	sup *supervisor.Supervisor
	srv *httptest.Server
	cli *http.Client
}

// newFixture runs a real supervisor over groups and serves the web UI
// for it; both stop when the test ends.
func newFixture(t *testing.T, groups func(dir string) []*config.Group) *fixture {
	t.Helper()
	dir := t.TempDir()
	cfg := &config.Config{File: filepath.Join(dir, "supervisord.conf"), Groups: groups(dir)}
	cfg.Supervisord.Identifier = "websup"
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { devnull.Close() })
	sup := supervisor.New(cfg, supervisor.Options{
		Reload:  func() (*config.Config, error) { return cfg, nil },
		Outputs: logfile.NewOutputs(devnull, devnull, logfile.OutputsOptions{}),
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { sup.Run(ctx); close(done) }()
	srv := httptest.NewServer(Handler(sup, Options{Version: "test-1"}))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Errorf("supervisor did not stop")
		}
	})
	cli := &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &fixture{t: t, sup: sup, srv: srv, cli: cli}
}

func twoPrograms(dir string) []*config.Group {
	return []*config.Group{
		prog(dir, "web", "echo hello from web; exec sleep 60", true),
		prog(dir, "worker", "exec sleep 60", false),
	}
}

func (f *fixture) info(name string) process.Info {
	for _, g := range f.sup.Groups() {
		for _, p := range g.Processes {
			if p.Name == name {
				return p
			}
		}
	}
	f.t.Fatalf("no process %q", name)
	return process.Info{}
}

// waitState waits until name is in state, checking the supervisor's
// snapshot until a deadline.
func (f *fixture) waitState(name string, want process.State) process.Info {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		info := f.info(name)
		if info.State == want {
			return info
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%s is %s, want %s", name, info.State, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (f *fixture) get(path string) (*http.Response, string) {
	f.t.Helper()
	resp, err := f.cli.Get(f.srv.URL + path)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, readBody(f.t, resp)
}

// post sends a form as a browser on the page would, with the Origin
// header given ("" for none).
func (f *fixture) post(path string, form url.Values, origin string) (*http.Response, string) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodPost, f.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		f.t.Fatal(err)
	}
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

// act posts an action from the page and returns the message it
// redirects to.
func (f *fixture) act(action, name string) string {
	f.t.Helper()
	form := url.Values{"action": {action}}
	if name != "" {
		form.Set("processname", name)
	}
	resp, body := f.post("/index.html", form, f.srv.URL)
	if resp.StatusCode != http.StatusSeeOther {
		f.t.Fatalf("POST %s %s: %s\n%s", action, name, resp.Status, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Path != "index.html" {
		f.t.Fatalf("redirect to %q", resp.Header.Get("Location"))
	}
	return loc.Query().Get("message")
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var rowRE = regexp.MustCompile(`(?s)<tr class="proc".*?</tr>`)

// row returns the table row whose name cell shows spec (as HTML).
func rowFor(t *testing.T, body, spec string) string {
	t.Helper()
	for _, r := range rowRE.FindAllString(body, -1) {
		if strings.Contains(r, ">"+spec+"</a>") {
			return r
		}
	}
	t.Fatalf("no row for %s in\n%s", spec, body)
	return ""
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestStatusListsProcessesWithStates(t *testing.T) {
	f := newFixture(t, twoPrograms)
	web := f.waitState("web", process.Running)
	resp, body := f.get("/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	r := rowFor(t, body, "web")
	// Which buttons show is up to the stylesheet, by data-state.
	for _, want := range []string{`data-state="RUNNING"`, `badge-good">running<`, "pid " + strconv.Itoa(web.Pid), `value="stop:web"`, `value="restart:web"`, `tail.html?processname=web`} {
		if !strings.Contains(r, want) {
			t.Errorf("web row lacks %q:\n%s", want, r)
		}
	}
	r = rowFor(t, body, "worker")
	for _, want := range []string{`data-state="STOPPED"`, `badge-idle">stopped<`, "Not started", `value="start:worker"`} {
		if !strings.Contains(r, want) {
			t.Errorf("worker row lacks %q:\n%s", want, r)
		}
	}
	for _, want := range []string{"websup", "test-1", `value="stopall"`, `value="restartall"`, `href="stylesheets/supervisor.css"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if _, same := f.get("/index.html"); !strings.Contains(same, ">worker</a>") {
		t.Errorf("/index.html does not show the table")
	}
}

func TestPostStopAndStart(t *testing.T) {
	f := newFixture(t, twoPrograms)
	web := f.waitState("web", process.Running)
	if msg := f.act("stop", "web"); msg != "Process web stopped" {
		t.Fatalf("stop message %q", msg)
	}
	if got := f.info("web").State; got != process.Stopped {
		t.Fatalf("web is %s after stop", got)
	}
	if alive(web.Pid) {
		t.Fatalf("pid %d still alive after stop", web.Pid)
	}
	if msg := f.act("start", "worker"); msg != "Process worker started" {
		t.Fatalf("start message %q", msg)
	}
	worker := f.info("worker")
	if worker.State != process.Running || !alive(worker.Pid) {
		t.Fatalf("worker after start: %+v", worker)
	}
	if msg := f.act("stop", "web"); msg != "unexpected rpc fault [70] NOT_RUNNING: web" {
		t.Fatalf("second stop message %q", msg)
	}
	if msg := f.act("start", "worker"); msg != "ERROR: Process worker: already started" {
		t.Fatalf("second start message %q", msg)
	}
	if msg := f.act("start", "nope"); msg != "No such process named nope" {
		t.Fatalf("unknown name message %q", msg)
	}
	// The message is shown, escaped, on the page the redirect leads to.
	_, body := f.get("/index.html?message=" + url.QueryEscape("Process web stopped"))
	if !strings.Contains(body, "Process web stopped</p>") {
		t.Fatalf("message not shown:\n%s", body)
	}
}

func TestRestartAndAll(t *testing.T) {
	f := newFixture(t, twoPrograms)
	web := f.waitState("web", process.Running)
	if msg := f.act("restart", "web"); msg != "Process web restarted" {
		t.Fatalf("restart message %q", msg)
	}
	again := f.info("web")
	if again.State != process.Running || again.Pid == web.Pid || alive(web.Pid) {
		t.Fatalf("after restart %+v (old pid %d)", again, web.Pid)
	}
	if msg := f.act("restartall", ""); !strings.HasPrefix(msg, "All restarted at ") {
		t.Fatalf("restartall message %q", msg)
	}
	for _, n := range []string{"web", "worker"} {
		if got := f.info(n).State; got != process.Running {
			t.Fatalf("%s is %s after restart all", n, got)
		}
	}
	pids := []int{f.info("web").Pid, f.info("worker").Pid}
	if msg := f.act("stopall", ""); !strings.HasPrefix(msg, "All stopped at ") {
		t.Fatalf("stopall message %q", msg)
	}
	for i, n := range []string{"web", "worker"} {
		if got := f.info(n).State; got != process.Stopped || alive(pids[i]) {
			t.Fatalf("%s is %s (pid %d alive %v) after stop all", n, got, pids[i], alive(pids[i]))
		}
	}
}

func TestGetWithActionOnlyAsks(t *testing.T) {
	f := newFixture(t, twoPrograms)
	web := f.waitState("web", process.Running)
	for _, a := range []string{"stop", "restart", "clearlog", "stopall", "restartall"} {
		resp, body := f.get("/index.html?processname=web&action=" + a)
		if resp.StatusCode != 200 {
			t.Fatalf("GET action=%s: %s", a, resp.Status)
		}
		for _, want := range []string{`method="post"`, `name="action" value="` + a + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("confirmation for %s lacks %q:\n%s", a, want, body)
			}
		}
	}
	if got := f.info("web"); got.State != process.Running || got.Pid != web.Pid {
		t.Fatalf("a GET acted: %+v (pid was %d)", got, web.Pid)
	}
	// Refresh changes nothing, so it needs no confirmation.
	resp, _ := f.get("/index.html?action=refresh")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "Page+refreshed+at+") {
		t.Fatalf("refresh: %s %q", resp.Status, loc)
	}
	if resp, _ := f.get("/index.html?action=explode"); resp.StatusCode != 400 {
		t.Fatalf("unknown action: %s", resp.Status)
	}
}

func TestPostNeedsSameOrigin(t *testing.T) {
	f := newFixture(t, twoPrograms)
	web := f.waitState("web", process.Running)
	form := url.Values{"action": {"stop"}, "processname": {"web"}}
	for _, origin := range []string{"", "http://evil.example", "null", "http://127.0.0.1:1"} {
		resp, _ := f.post("/index.html", form, origin)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("origin %q: %s", origin, resp.Status)
		}
	}
	// A matching Referer is enough when the browser sends no Origin.
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/index.html", strings.NewReader(url.Values{"action": {"clearlog"}, "processname": {"web"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Referer", f.srv.URL+"/index.html")
	resp, err := f.cli.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "Log+for+web+cleared") {
		t.Fatalf("same-origin referer: %s %q", resp.Status, resp.Header.Get("Location"))
	}
	if got := f.info("web"); got.State != process.Running || got.Pid != web.Pid {
		t.Fatalf("a refused POST acted: %+v", got)
	}
}

func TestNamesAndMessagesAreEscaped(t *testing.T) {
	const evil = `<script>alert(1)</script>`
	f := newFixture(t, func(dir string) []*config.Group {
		return []*config.Group{prog(dir, evil, "exec sleep 60", false)}
	})
	_, body := f.get("/")
	if strings.Contains(body, "<script>") {
		t.Fatalf("unescaped name in page:\n%s", body)
	}
	if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Fatalf("escaped name missing:\n%s", body)
	}
	_, body = f.get("/index.html?message=" + url.QueryEscape(evil))
	if strings.Contains(body, "<script>") {
		t.Fatalf("unescaped message:\n%s", body)
	}
	_, body = f.get("/tail.html?processname=" + url.QueryEscape(evil))
	if strings.Contains(body, "<script>") {
		t.Fatalf("unescaped tail page:\n%s", body)
	}
	if msg := f.act("start", evil); msg != "Process "+evil+" started" {
		t.Fatalf("start message %q", msg)
	}
}

func TestTailShowsOutput(t *testing.T) {
	f := newFixture(t, twoPrograms)
	f.waitState("web", process.Running)
	deadline := time.Now().Add(10 * time.Second)
	var body string
	for {
		var resp *http.Response
		resp, body = f.get("/tail.html?processname=web")
		if resp.StatusCode != 200 {
			t.Fatalf("tail: %s", resp.Status)
		}
		if strings.Contains(body, "hello from web\n</pre>") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tail never showed the output:\n%s", body)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, want := range []string{`http-equiv="refresh"`, "auto=0", "Last 1024 bytes"} {
		if !strings.Contains(body, want) {
			t.Errorf("tail page lacks %q", want)
		}
	}
	_, body = f.get("/tail.html?processname=web&limit=5000&auto=0")
	if strings.Contains(body, `http-equiv="refresh"`) || !strings.Contains(body, "Last 5000 bytes") {
		t.Errorf("paused tail page:\n%s", body)
	}
	if _, body = f.get("/tail.html"); !strings.Contains(body, "No process name found") {
		t.Errorf("tail without a name:\n%s", body)
	}
	if _, body = f.get("/tail.html?processname=nope"); !strings.Contains(body, "BAD_NAME: nope") {
		t.Errorf("tail of an unknown name:\n%s", body)
	}
}

func TestStaticAndUnknownPaths(t *testing.T) {
	f := newFixture(t, func(string) []*config.Group { return nil })
	resp, body := f.get("/stylesheets/supervisor.css")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") || !strings.Contains(body, ".badge") {
		t.Fatalf("css: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	if resp, _ := f.get("/nothing.html"); resp.StatusCode != 404 {
		t.Fatalf("unknown page: %s", resp.Status)
	}
	if _, body := f.get("/"); !strings.Contains(body, "No programs to manage") {
		t.Fatalf("empty page:\n%s", body)
	}
	req, _ := http.NewRequest(http.MethodDelete, f.srv.URL+"/", nil)
	resp, err := f.cli.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE: %s", resp.Status)
	}
}

// Without the script, a group's buttons and a selection post the form.
func TestFormGroupAndSelection(t *testing.T) {
	f := newFixture(t, twoPrograms)
	f.waitState("web", process.Running)
	post := func(form url.Values) string {
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/index.html", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", f.srv.URL)
		resp, err := f.cli.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		return loc.Query().Get("message")
	}
	if msg := post(url.Values{"act1": {"stop:web:*"}}); msg != "Process web stopped" {
		t.Fatalf("group stop: %q", msg)
	}
	if msg := post(url.Values{"action": {"start"}, "processname": {"web", "worker"}}); msg != "Process web started; Process worker started" {
		t.Fatalf("selection start: %q", msg)
	}
	for _, n := range []string{"web", "worker"} {
		if got := f.info(n).State; got != process.Running {
			t.Fatalf("%s is %s", n, got)
		}
	}
}
