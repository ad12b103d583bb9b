//go:build linux

// Package browser drives the web console in a real headless Chromium
// (Debian's chromium, through chromedp) against a real daemon: the page
// must list the programs, follow state changes live, filter, act on a
// selection, follow a log, work without JavaScript, log no errors, and
// stay quick with 1,000 programs.
package browser

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/chromedp"

	"supervisord/test/harness"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

func TestMain(m *testing.M) { harness.Main(m, nil) }

// needChromium skips the test when there is no browser, unless CI or the
// reference-required switch says every test must run.
func needChromium(t *testing.T) string {
	t.Helper()
	path := os.Getenv("SUPERVISORD_CHROMIUM")
	if path == "" {
		path = chromiumPath
	}
	if _, err := exec.LookPath(path); err != nil {
		if os.Getenv("CI") == "" && os.Getenv(harness.EnvRequireReference) == "" {
			t.Skipf("no chromium (%v); install Debian's chromium package", err)
		}
		t.Fatalf("chromium is needed in CI: %v", err)
	}
	return path
}

type daemon struct {
	*harness.Daemon
	URL string
	rpc *harness.Client // with a timeout for calls on 1,000 programs
}

// startDaemon runs our daemon on programs (config sections) with its web
// console on a loopback port, and waits until it answers.
func startDaemon(t *testing.T, programs string) *daemon {
	t.Helper()
	p := harness.TempPaths(t)
	port := harness.FreePort(t)
	d := harness.Launch(t, harness.Spec{Paths: p, StopTimeout: 60 * time.Second,
		Config: fmt.Sprintf("[inet_http_server]\nport=127.0.0.1:%d\n\n", port) + p.Header() + programs})
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	d.WaitFor(t, url+" to answer", func() bool {
		resp, err := http.Get(url + "ok.html")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil
	})
	c := harness.NewUnixClient(p.Socket, 60*time.Second)
	t.Cleanup(c.Close)
	return &daemon{Daemon: d, URL: url, rpc: c}
}

// waitAll waits until n processes are in state, by XML-RPC.
func (d *daemon) waitAll(t *testing.T, state string, n int, timeout time.Duration) {
	t.Helper()
	got := 0
	d.WaitUntil(t, fmt.Sprintf("%d processes %s", n, state), timeout, func() bool {
		got = 0
		for _, s := range d.States(t) {
			if s == state {
				got++
			}
		}
		return got == n
	}, func() string { return fmt.Sprintf("%d were", got) })
}

type browser struct {
	ctx     context.Context
	mu      sync.Mutex // guards console, seen
	console []string   // errors the page logged
	seen    map[string]bool
	allow   func(string) bool // errors expected from now on
}

// newBrowser starts a headless chromium for the test.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := needChromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.WindowSize(1400, 900),
	}
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	// Chromium leaves its singleton socket's directory in $TMPDIR; give it
	// one that goes once the browser has (cleanups run last first).
	tmp, err := os.MkdirTemp("", "chromium")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	opts = append(opts, chromedp.Env("TMPDIR="+tmp))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	b := &browser{ctx: ctx, seen: map[string]bool{}}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			b.mu.Lock()
			if m.Type == chromedp.ConsoleError || m.IsException() {
				b.console = append(b.console, m.String()+" ("+m.URL+")")
			}
			b.seen[m.Text] = true
			b.mu.Unlock()
		}
	}()
	return b
}

func (b *browser) do(t *testing.T, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func eval[T any](t *testing.T, b *browser, js string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return v
}

// poll waits until js is truthy in the page, or fails after timeout.
func (b *browser) poll(t *testing.T, js string, timeout time.Duration) {
	t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool](js, chromedp.WithPollingTimeout(timeout))); err != nil {
		t.Fatalf("waiting %v for %s: %v", timeout, js, err)
	}
}

// noConsoleErrors checks the console once a marker logged now has come
// through, so that every earlier message has been seen.
func (b *browser) noConsoleErrors(t *testing.T) {
	t.Helper()
	marker := fmt.Sprintf("console check %d", time.Now().UnixNano())
	eval[bool](t, b, `console.info(`+strconv.Quote(marker)+`), true`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		b.mu.Lock()
		ok := b.seen[marker]
		b.mu.Unlock()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the console marker never came through")
		}
		time.Sleep(10 * time.Millisecond)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var bad []string
	for _, m := range b.console {
		if b.allow == nil || !b.allow(m) {
			bad = append(bad, m)
		}
	}
	if len(bad) > 0 {
		t.Errorf("the page logged errors:\n%s", strings.Join(bad, "\n"))
	}
	b.console = nil
}

// shot saves a screenshot under docs/web when SUPERVISORD_SCREENSHOTS
// names the repository's root.
func (b *browser) shot(t *testing.T, name string) {
	t.Helper()
	root := os.Getenv("SUPERVISORD_SCREENSHOTS")
	if root == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "docs", "web"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "docs", "web", name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

const evilName = "<img\tsrc=x\tonerror=alert(1)>"

// consolePrograms is the small scenario: a pool of five, a victim to kill,
// a ticker, binary output, and a name made of markup.
const consolePrograms = `
[group:pool]
programs=p1,p2,p3,p4,p5

[program:p1]
command=sleep 1000
startsecs=0
[program:p2]
command=sleep 1000
startsecs=0
[program:p3]
command=sleep 1000
startsecs=0
[program:p4]
command=sleep 1000
startsecs=0
[program:p5]
command=sleep 1000
startsecs=0

[program:victim]
command=sleep 1000
startsecs=0
autorestart=false

[program:ticker]
command=/bin/sh -c 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.2; done'
startsecs=0

[program:binary]
command=/bin/sh -c 'printf "\000\001\377\376 <b>bold</b><script>alert(2)</script>\n"; exec sleep 1000'
startsecs=0

[program:` + evilName + `]
command=sleep 1000
startsecs=0
`

func TestConsole(t *testing.T) {
	d := startDaemon(t, consolePrograms)
	d.waitAll(t, "RUNNING", 9, 30*time.Second)
	b := newBrowser(t)
	b.do(t, chromedp.Navigate(d.URL))

	t.Run("ListsPrograms", func(t *testing.T) {
		specs := eval[[]string](t, b, `Array.from(document.querySelectorAll("tr.proc")).map(tr => tr.dataset.spec)`)
		want := []string{evilName, "binary", "pool:p1", "pool:p2", "pool:p3", "pool:p4", "pool:p5", "ticker", "victim"}
		if strings.Join(specs, ",") != strings.Join(want, ",") {
			t.Fatalf("rows %q, want %q", specs, want)
		}
		b.poll(t, `document.querySelector("#live").dataset.state === "on"`, 5*time.Second)
	})

	t.Run("BadNameIsText", func(t *testing.T) {
		if n := eval[int](t, b, `document.querySelectorAll("#procs-table img").length`); n != 0 {
			t.Fatalf("%d img elements in the table", n)
		}
		got := eval[string](t, b, `document.querySelector("tr.proc .name a").textContent`)
		if got != evilName {
			t.Fatalf("name shown as %q", got)
		}
	})

	t.Run("KilledFromOutside", func(t *testing.T) {
		eval[bool](t, b, `window.notReloaded = true`)
		pid := eval[int](t, b, `+document.querySelector('tr[data-spec="victim"] .c-pid').textContent`)
		if pid <= 0 || !harness.Alive(pid) {
			t.Fatalf("victim pid %d from the page", pid)
		}
		start := time.Now()
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		b.poll(t, `document.querySelector('tr[data-spec="victim"]').dataset.state === "EXITED"`, time.Second)
		t.Logf("row changed %v after the kill", time.Since(start).Round(time.Millisecond))
		if !eval[bool](t, b, `window.notReloaded === true`) {
			t.Fatal("the page reloaded")
		}
		if txt := eval[string](t, b, `document.querySelector('tr[data-spec="victim"] .badge').textContent`); txt != "exited" {
			t.Fatalf("badge %q", txt)
		}
	})

	t.Run("Filter", func(t *testing.T) {
		b.do(t, chromedp.SendKeys(chromedp.CSS("#filter"), "pool"))
		b.poll(t, `document.querySelectorAll("tr.proc:not([hidden])").length === 5`, 5*time.Second)
		b.shot(t, "filter")
		b.do(t, chromedp.Evaluate[chromedp.Void](`(() => { const f = document.querySelector("#filter"); f.value = "state:exited"; f.dispatchEvent(new Event("input")); })()`))
		b.poll(t, `document.querySelectorAll("tr.proc:not([hidden])").length === 1 && !document.querySelector('tr[data-spec="victim"]').hidden`, 5*time.Second)
		b.do(t, chromedp.Evaluate[chromedp.Void](`(() => { const f = document.querySelector("#filter"); f.value = ""; f.dispatchEvent(new Event("input")); })()`))
		b.poll(t, `document.querySelectorAll("tr.proc:not([hidden])").length === 9`, 5*time.Second)
	})

	t.Run("BatchStopOfThree", func(t *testing.T) {
		for _, s := range []string{"pool:p1", "pool:p3", "pool:p5"} {
			b.do(t, chromedp.Click(chromedp.CSS(`input[name=processname][value="`+s+`"]`)))
		}
		b.poll(t, `document.querySelector("#selected").textContent === "Selected: 3"`, 2*time.Second)
		b.do(t, chromedp.Click(chromedp.CSS(`.batch button[value=stop]`)))
		b.poll(t, `document.querySelector("#confirm").open`, 2*time.Second)
		b.shot(t, "confirm")
		b.do(t, chromedp.Click(chromedp.CSS(`#confirm-ok`)))
		b.poll(t, `["pool:p1","pool:p3","pool:p5"].every(s => document.querySelector('tr[data-spec="'+s+'"]').dataset.state === "STOPPED")`, 10*time.Second)
		b.poll(t, `document.querySelector("#msg").textContent.startsWith("3 of 3 done")`, 5*time.Second)
		st := d.States(t)
		for spec, want := range map[string]string{"pool:p1": "STOPPED", "pool:p3": "STOPPED", "pool:p5": "STOPPED", "pool:p2": "RUNNING", "pool:p4": "RUNNING", "ticker:ticker": "RUNNING", "binary:binary": "RUNNING"} {
			if st[spec] != want {
				t.Errorf("%s is %s, want %s", spec, st[spec], want)
			}
		}
		b.shot(t, "status")
	})

	t.Run("Dark", func(t *testing.T) {
		if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
			t.Fatal(err)
		}
		bg := eval[string](t, b, `getComputedStyle(document.body).backgroundColor`)
		if bg != "rgb(18, 23, 29)" {
			t.Errorf("dark background %q", bg)
		}
		b.shot(t, "status-dark")
		if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("KeyboardAndLabels", func(t *testing.T) {
		// Every control has a name a screen reader can say.
		unnamed := eval[[]string](t, b, `Array.from(document.querySelectorAll("input, select, button")).filter(e => !e.hidden && !e.closest("[hidden], dialog:not([open])") && !(e.getAttribute("aria-label") || e.labels?.length || e.textContent.trim())).map(e => e.outerHTML)`)
		if len(unnamed) > 0 {
			t.Errorf("controls without a name: %q", unnamed)
		}
		// The filter is reached from the keyboard and filters.
		b.do(t, chromedp.Focus(chromedp.CSS("#filter")), chromedp.KeyEvent("ticker"))
		b.poll(t, `document.activeElement.id === "filter" && document.querySelectorAll("tr.proc:not([hidden])").length === 1`, 5*time.Second)
		b.do(t, chromedp.Evaluate[chromedp.Void](`(() => { const f = document.querySelector("#filter"); f.value = ""; f.dispatchEvent(new Event("input")); })()`))
		b.poll(t, `document.querySelectorAll("tr.proc:not([hidden])").length === 9`, 5*time.Second)
	})

	t.Run("TailFollows", func(t *testing.T) {
		b.do(t, chromedp.Navigate(d.URL+"tail.html?processname=ticker"))
		b.poll(t, `/line \d+/.test(document.querySelector("#log").textContent) && document.querySelector("#tail-state").dataset.state === "on"`, 5*time.Second)
		last := eval[int](t, b, `Math.max(...document.querySelector("#log").textContent.match(/line (\d+)/g).map(s => +s.slice(5)))`)
		b.poll(t, fmt.Sprintf(`document.querySelector("#log").textContent.includes("line %d\n")`, last+3), 5*time.Second)
		b.do(t, chromedp.SendKeys(chromedp.CSS("#search"), "line 1"))
		b.poll(t, `document.querySelectorAll("#log mark").length > 0`, 2*time.Second)
		b.shot(t, "tail")
		// Pause stops the stream; Follow starts it again.
		b.do(t, chromedp.Click(chromedp.CSS("#follow")))
		b.poll(t, `document.querySelector("#tail-state").dataset.state === "off"`, 2*time.Second)
		b.do(t, chromedp.Click(chromedp.CSS("#follow")))
		b.poll(t, `document.querySelector("#tail-state").dataset.state === "on"`, 5*time.Second)
	})

	t.Run("BinaryTail", func(t *testing.T) {
		b.do(t, chromedp.Navigate(d.URL+"tail.html?processname=binary"))
		b.poll(t, `document.querySelector("#log").textContent.includes("<script>alert(2)</script>")`, 5*time.Second)
		if n := eval[int](t, b, `document.querySelectorAll("#log *, body script:not([src])").length`); n != 0 {
			t.Fatalf("%d elements came out of the log", n)
		}
	})

	t.Run("NoConsoleErrors", func(t *testing.T) { b.noConsoleErrors(t) })

	t.Run("ReconnectsAfterDaemonRestart", func(t *testing.T) {
		b.do(t, chromedp.Navigate(d.URL))
		b.poll(t, `document.querySelector("#live").dataset.state === "on" && document.querySelector('tr[data-spec="victim"]').dataset.state === "EXITED"`, 5*time.Second)
		eval[bool](t, b, `window.notReloaded = true`)
		if _, err := d.rpc.Call(context.Background(), "supervisor.restart"); err != nil {
			t.Fatal(err)
		}
		// The victim exited before the restart; the new daemon starts it,
		// and the page hears of it on its new stream.
		b.poll(t, `document.querySelector('tr[data-spec="victim"]').dataset.state === "RUNNING" && document.querySelector("#live").dataset.state === "on"`, 30*time.Second)
		if !eval[bool](t, b, `window.notReloaded === true`) {
			t.Fatal("the page reloaded")
		}
		d.waitAll(t, "RUNNING", 9, 30*time.Second)
		// The old daemon cut its streams when it went away; the browser
		// reports that as a network error of the stream, and only that.
		b.mu.Lock()
		b.allow = func(m string) bool {
			return strings.Contains(m, "net::ERR_") && strings.Contains(m, "/events")
		}
		b.mu.Unlock()
		b.noConsoleErrors(t)
	})

	t.Run("WithoutJavaScript", func(t *testing.T) {
		nb := newBrowser(t)
		if _, err := chromedp.Call(nb.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
		nb.do(t, chromedp.Navigate(d.URL))
		if n := eval[int](t, nb, `document.querySelectorAll("#procs-table tr.proc").length`); n != 9 {
			t.Fatalf("%d rows without JavaScript", n)
		}
		// The script did not run: the live marker still says static.
		if s := eval[string](t, nb, `document.querySelector("#live").textContent`); s != "static" {
			t.Fatalf("live marker %q: the script ran", s)
		}
		nb.shot(t, "nojs")
		nb.noConsoleErrors(t)
	})
}

// A stream client that never reads is dropped without holding the daemon.
func TestStreamClientThatNeverReads(t *testing.T) {
	var progs strings.Builder
	for i := range 50 {
		fmt.Fprintf(&progs, "[program:s%02d]\ncommand=sleep 1000\nstartsecs=0\n", i)
	}
	d := startDaemon(t, progs.String())
	d.waitAll(t, "RUNNING", 50, 30*time.Second)
	// A client with a tiny receive window that reads nothing.
	dialer := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 1024) })
		return serr
	}}
	conn, err := dialer.Dial("tcp", strings.TrimPrefix(strings.TrimSuffix(d.URL, "/"), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /events?snapshot=1 HTTP/1.1\r\nHost: x\r\n\r\n")
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	for round := 0; ; round++ {
		start := time.Now()
		if _, err := d.rpc.Call(ctx, "supervisor.stopAllProcesses", true); err != nil {
			t.Fatal(err)
		}
		if _, err := d.rpc.Call(ctx, "supervisor.startAllProcesses", true); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 20*time.Second {
			t.Fatalf("round %d took %v: the daemon waited for someone", round, took)
		}
		// A fresh client learns how many were dropped.
		resp, err := http.Get(d.URL + "events")
		if err != nil {
			t.Fatal(err)
		}
		line := ""
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "data: ") {
				line = sc.Text()
				break
			}
		}
		resp.Body.Close()
		if strings.Contains(line, `"droppedClients":`) {
			t.Logf("dropped after %d rounds: %s", round+1, line)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client that never reads was not dropped; last hello %s", line)
		}
	}
}

// renderCPU bounds the renderer's main-thread CPU time for the first
// render of 1,000 programs, from the start of the navigation to the load
// event. The console's goal is that render in under 1.5 s of wall clock
// on a 2-core CI machine. The wall clock is logged but not asserted: it
// moves with whatever else the machine runs, while the main thread's CPU
// time is the work the page itself costs and barely moves (0.33-0.42 s,
// whether the machine was quiet or had a load average of 30). The main
// thread is the render's critical path; the rest of the wall clock is the
// server's answer, the browser's other threads and waits for a core. On
// a 2-core machine shared with other test runs the load event came 1.7
// to 3 times the main thread's CPU time after the navigation started
// (2.5 times at the median, 5 times at a load average of 30), so 0.6 s of
// CPU is what fits 1.5 s there. (Before the rows were laid out as grids
// and skipped out of view, the render used 1.1-1.6 s of CPU and loaded in
// 1.6-3.9 s on the same machine; it now loads in 0.6-1.4 s.)
const renderCPU = 600 * time.Millisecond

// blockedLimit bounds the longest main-thread task (wall clock) during a
// burst of state changes: a gross-regression check, since a task on a
// loaded machine takes longer than its CPU time.
const blockedLimit = 3 * time.Second

// mainThreadCPU is the CPU time the main thread of the page's renderer
// has spent in tasks since performance metrics were enabled in thread
// ticks (the TaskDuration metric). Chromium counts it per document, so a
// navigation may start it again from zero.
func (b *browser) mainThreadCPU(t *testing.T) time.Duration {
	t.Helper()
	var secs float64
	b.do(t, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		r, err := chromedp.Call(ctx, performance.GetMetrics, cdp.Empty{})
		if err != nil {
			return err
		}
		for _, m := range r.Metrics {
			if m.Name == "TaskDuration" {
				secs = m.Value
			}
		}
		return nil
	}))
	return time.Duration(secs * float64(time.Second))
}

// axRoles checks that the page's accessibility tree, as Chromium hands it
// to assistive technology, has at least the given number of nodes of each
// role.
func (b *browser) axRoles(t *testing.T, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	b.do(t, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		r, err := chromedp.Call(ctx, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		if err != nil {
			return err
		}
		for _, n := range r.Nodes {
			if n.Role != nil && !n.Ignored {
				got[strings.Trim(string(n.Role.Value), `"`)]++
			}
		}
		return nil
	}))
	for role, n := range want {
		if got[role] < n {
			t.Errorf("accessibility tree: %d nodes of role %s, want %d", got[role], role, n)
		}
	}
}

// measureRender loads url from a blank page and returns the main thread's
// CPU time for it, the wall clock seen from here and the page's own
// navigation timings (ms after navigation start).
func (b *browser) measureRender(t *testing.T, url string) (cpu, wall time.Duration, nav map[string]float64) {
	t.Helper()
	b.do(t, chromedp.Navigate("about:blank"))
	before := b.mainThreadCPU(t)
	start := time.Now()
	b.do(t, chromedp.Navigate(url))
	wall = time.Since(start)
	cpu = b.mainThreadCPU(t)
	if cpu >= before {
		// The counter went on from the blank page's (a few ms).
		cpu -= before
	}
	nav = eval[map[string]float64](t, b, `(() => { const n = performance.getEntriesByType("navigation")[0]; return {response: n.responseEnd, dcl: n.domContentLoadedEventEnd, load: n.loadEventEnd}; })()`)
	return cpu, wall, nav
}

// TestThousandPrograms checks the first render of 1,000 programs and a
// burst of state changes reaching the page while it stays responsive.
func TestThousandPrograms(t *testing.T) {
	needChromium(t)
	var progs strings.Builder
	for g := range 10 {
		fmt.Fprintf(&progs, "[program:g%d]\ncommand=sleep 1000\nnumprocs=100\nprocess_name=%%(program_name)s_%%(process_num)03d\nstartsecs=0\n\n", g)
	}
	d := startDaemon(t, progs.String())
	d.waitAll(t, "RUNNING", 1000, 2*time.Minute)
	b := newBrowser(t)
	// The page once first, so that the renders measured below find the
	// browser started and its caches warm.
	b.do(t, chromedp.Navigate(d.URL), chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, performance.Enable, performance.EnableParams{TimeDomain: performance.EnableTimeDomainThreadTicks})
		return err
	}))
	// Two renders; the bound holds for the better one, since a burst of
	// load elsewhere only ever adds to a figure.
	var best time.Duration
	for i := range 2 {
		cpu, wall, nav := b.measureRender(t, d.URL)
		t.Logf("1,000 programs, render %d: main-thread CPU %v; wall clock: response %.0f ms, DOMContentLoaded %.0f ms, load %.0f ms after navigation start (seen from Go: %v)", i+1, cpu.Round(time.Millisecond), nav["response"], nav["dcl"], nav["load"], wall.Round(time.Millisecond))
		if cpu <= 0 {
			t.Fatalf("no main-thread CPU time measured (%v)", cpu)
		}
		if i == 0 || cpu < best {
			best = cpu
		}
	}
	if best > renderCPU {
		t.Errorf("first render used %v of the main thread, want under %v", best, renderCPU)
	}
	if n := eval[int](t, b, `document.querySelectorAll("tr.proc").length`); n != 1000 {
		t.Fatalf("%d rows", n)
	}
	// Rows out of view were skipped by that render; once the page is idle
	// the script renders them all (checked below).
	ts := time.Now()
	b.poll(t, `document.querySelectorAll("tr.proc:not(.rendered)").length === 0`, 10*time.Second)
	t.Logf("every row rendered %v after the load event", time.Since(ts).Round(time.Millisecond))
	b.poll(t, `document.querySelector("#live").dataset.state === "on"`, 10*time.Second)
	eval[bool](t, b, `window.longest = 0, new PerformanceObserver(l => l.getEntries().forEach(e => window.longest = Math.max(window.longest, e.duration))).observe({type: "longtask"}), window.notReloaded = true`)

	// The burst: every program stops (2,000 transitions).
	if _, err := d.rpc.Call(context.Background(), "supervisor.stopAllProcesses", true); err != nil {
		t.Fatal(err)
	}
	burst := time.Now()
	b.poll(t, `document.querySelectorAll('tr.proc[data-state="STOPPED"]').length === 1000`, 15*time.Second)
	t.Logf("the page showed all 1,000 stopped %v after stopAllProcesses returned", time.Since(burst).Round(time.Millisecond))
	if got := eval[string](t, b, `document.querySelector('.count[data-state="STOPPED"] strong').textContent`); got != "1000" {
		t.Errorf("stopped count %q", got)
	}

	// Still responsive: a filter applies at once.
	tf := time.Now()
	b.do(t, chromedp.Evaluate[chromedp.Void](`(() => { const f = document.querySelector("#filter"); f.value = "g3_"; f.dispatchEvent(new Event("input")); })()`))
	b.poll(t, `document.querySelectorAll("tr.proc:not([hidden])").length === 100`, 5*time.Second)
	t.Logf("filter over 1,000 rows applied in %v; longest main-thread task %.0f ms", time.Since(tf).Round(time.Millisecond), eval[float64](t, b, `window.longest`))
	if longest := eval[float64](t, b, `window.longest`); longest > float64(blockedLimit.Milliseconds()) {
		t.Errorf("the page was blocked for %.0f ms", longest)
	}
	b.do(t, chromedp.Evaluate[chromedp.Void](`(() => { const f = document.querySelector("#filter"); f.value = ""; f.dispatchEvent(new Event("input")); })()`))

	// And back: every program starts again.
	if _, err := d.rpc.Call(context.Background(), "supervisor.startAllProcesses", true); err != nil {
		t.Fatal(err)
	}
	b.poll(t, `document.querySelectorAll('tr.proc[data-state="RUNNING"]').length === 1000`, 15*time.Second)
	if !eval[bool](t, b, `window.notReloaded === true`) {
		t.Fatal("the page reloaded")
	}
	// A screen reader finds every row's cells and controls. (Last, since
	// an accessibility tree makes every later change cost more.)
	b.axRoles(t, map[string]int{"row": 1000 + 1 + 10, "cell": 1000 * 11, "checkbox": 1000 + 1, "link": 1000})
	// A group folds.
	b.do(t, chromedp.Click(chromedp.CSS(`tbody[data-group="g0"] .toggle`)))
	b.poll(t, `document.querySelector('tbody[data-group="g0"] tr.proc').offsetParent === null && document.querySelector('tbody[data-group="g0"] .toggle').getAttribute("aria-expanded") === "false"`, 2*time.Second)
	b.do(t, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`))
	b.shot(t, "thousand")
	b.noConsoleErrors(t)
}
