package supervisor

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/metrics"
	"supervisord/internal/process"
)

// indexOf is the position of the first logged line containing sub, -1
// when none.
func indexOf(lines []string, sub string) int {
	for i, l := range lines {
		if strings.Contains(l, sub) {
			return i
		}
	}
	return -1
}

func count(lines []string, sub string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

// waitInfo waits until the row of name satisfies ok.
func (h *harness) waitInfo(name string, ok func(process.Info) bool, timeout time.Duration) process.Info {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		info := h.info(name)
		if ok(info) {
			return info
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting on %s: %+v\nlog:\n%s", name, info, strings.Join(h.log.snapshot(), "\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDependsOnWaitsForRunning(t *testing.T) {
	a := prog("a", "exec sleep 30", func(p *config.Process) { p.DependsOn = []string{"b"} })
	b := prog("b", "exec sleep 30", func(p *config.Process) { p.Startsecs = 500 * time.Millisecond })
	h := start(t, a, b)
	h.log.waitFor(t, "spawned: 'b'", 1, 5*time.Second)
	if info := h.info("a"); info.State != process.Stopped || info.Description != "waiting for b" {
		t.Fatalf("a while b starts: %+v", info)
	}
	h.log.waitFor(t, "success: a", 1, 5*time.Second)
	lines := h.log.snapshot()
	if indexOf(lines, "spawned: 'a'") < indexOf(lines, "success: b") {
		t.Fatalf("a started before b was RUNNING:\n%s", strings.Join(lines, "\n"))
	}
	// Shutdown stops the dependent first.
	h.shutdown()
	lines = h.log.snapshot()
	if indexOf(lines, "stopped: a") > indexOf(lines, "stopped: b") {
		t.Fatalf("b stopped before a:\n%s", strings.Join(lines, "\n"))
	}
}

func TestDependsOnFailedDependency(t *testing.T) {
	a := prog("a", "exec sleep 30", func(p *config.Process) { p.DependsOn = []string{"b"} })
	b := prog("b", "exit 1", func(p *config.Process) { p.Startsecs = time.Second; p.Startretries = 0 })
	h := start(t, a, b)
	h.log.waitFor(t, "gave up: b", 1, 5*time.Second)
	info := h.waitInfo("a", func(i process.Info) bool { return i.Description == "dependency b failed (FATAL)" }, 5*time.Second)
	if info.State != process.Stopped || count(h.log.snapshot(), "spawned: 'a'") != 0 {
		t.Fatalf("a: %+v", info)
	}
}

func TestStartStartsDependenciesFirst(t *testing.T) {
	a := prog("a", "exec sleep 30", func(p *config.Process) { p.DependsOn = []string{"b"}; p.Autostart = false })
	b := prog("b", "exec sleep 30", func(p *config.Process) { p.Autostart = false; p.Startsecs = 200 * time.Millisecond })
	h := start(t, a, b)
	if err := h.sup.StartProcess(context.Background(), "a", "a", true); err != nil {
		t.Fatal(err)
	}
	if info := h.info("a"); info.State != process.Running {
		t.Fatalf("a after start with wait: %+v", info)
	}
	lines := h.log.snapshot()
	if i, j := indexOf(lines, "success: b"), indexOf(lines, "spawned: 'a'"); i < 0 || j < i {
		t.Fatalf("order:\n%s", strings.Join(lines, "\n"))
	}
}

func TestEnvFilesThenEnvironment(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env")
	h := start(t, prog("envy", "env > "+out+".tmp; mv "+out+".tmp "+out+"; exec sleep 30", func(p *config.Process) {
		p.EnvFromFiles = []config.EnvVar{{Key: "FROM_FILE", Value: "file"}, {Key: "BOTH", Value: "file"}}
		p.Environment = []config.EnvVar{{Key: "BOTH", Value: "environment"}}
	}))
	h.log.waitFor(t, "success: envy", 1, 5*time.Second)
	waitFile(t, out, "FROM_FILE=file\n")
	waitFile(t, out, "BOTH=environment\n")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	tmp := to + ".new"
	if err := os.WriteFile(tmp, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, to); err != nil {
		t.Fatal(err)
	}
}

func TestBinaryReplacedRestarts(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "mysleep")
	copyFile(t, "/bin/sleep", bin)
	h := start(t, prog("bin", "", func(p *config.Process) {
		p.Command = []string{bin, "30"}
		p.RestartWhenBinaryChanged = true
	}))
	h.log.waitFor(t, "success: bin", 1, 5*time.Second)
	copyFile(t, "/bin/sleep", bin)
	h.log.waitFor(t, "binary of 'bin' changed", 1, 5*time.Second)
	h.log.waitFor(t, "success: bin", 2, 5*time.Second)
}

func TestWatchedFileBurstRestartsOnce(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.conf")
	os.WriteFile(file, []byte("x"), 0o644)
	watching := func(pattern string) func(*config.Process) {
		return func(p *config.Process) {
			p.RestartDirectoryMonitor = dir
			p.RestartFilePattern = pattern
		}
	}
	// probe watches the same directory for another pattern: its restart
	// is the signal that a late restart of web would have come by.
	h := start(t, prog("web", "exec sleep 30", watching("*.conf")), prog("probe", "exec sleep 30", watching("*.probe")))
	h.log.waitFor(t, "success: web", 1, 5*time.Second)
	h.log.waitFor(t, "success: probe", 1, 5*time.Second)
	end := time.Now().Add(100 * time.Millisecond)
	for i := 0; i < 50; i++ {
		now := time.Now()
		os.Chtimes(file, now, now)
		time.Sleep(time.Until(end) / time.Duration(50-i)) // spread the touches over 100ms
	}
	h.log.waitFor(t, "success: web", 2, 5*time.Second)
	// A second restart of web would come from a change seen before the
	// probe's, whose debounce timer was armed earlier and so fires first,
	// through the same queue: once the probe has restarted, it would
	// have.
	os.WriteFile(filepath.Join(dir, "x.probe"), []byte("x"), 0o644)
	h.log.waitFor(t, "spawned: 'probe'", 2, 5*time.Second)
	if n := count(h.log.snapshot(), "spawned: 'web'"); n != 2 {
		t.Fatalf("%d spawns, want 2:\n%s", n, strings.Join(h.log.snapshot(), "\n"))
	}
}

func liveness(kind, target string) func(*config.Process) {
	return func(p *config.Process) {
		p.Liveness = &config.Liveness{
			Kind: kind, Target: target,
			Period: 50 * time.Millisecond, Timeout: 500 * time.Millisecond,
			SuccessThreshold: 1, FailureThreshold: 2, FailureAction: "restart",
		}
	}
}

func TestLivenessHTTPRestartsWhenUnanswered(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer srv.Close()
	h := start(t, prog("web", "exec sleep 30", liveness("http", srv.URL)))
	h.log.waitFor(t, "liveness check of 'web': healthy", 1, 5*time.Second)
	if info := h.info("web"); info.Health != "healthy" {
		t.Fatalf("health %q", info.Health)
	}
	srv.Close()
	h.log.waitFor(t, "liveness check of 'web' failed 2 times in a row", 1, 5*time.Second)
	h.log.waitFor(t, "stopped: web", 1, 5*time.Second)
	h.log.waitFor(t, "spawned: 'web'", 2, 5*time.Second)
}

func TestLivenessTCPRestartsWhenUnanswered(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	h := start(t, prog("db", "exec sleep 30", liveness("tcp", ln.Addr().String())))
	h.log.waitFor(t, "liveness check of 'db': healthy", 1, 5*time.Second)
	ln.Close()
	h.log.waitFor(t, "liveness check of 'db' failed 2 times in a row", 1, 5*time.Second)
	h.log.waitFor(t, "spawned: 'db'", 2, 5*time.Second)
	if info := h.info("db"); info.Health == "healthy" {
		t.Fatalf("health %q after the server went away", info.Health)
	}
}

func TestLivenessScript(t *testing.T) {
	flag := filepath.Join(t.TempDir(), "ok")
	os.WriteFile(flag, nil, 0o644)
	h := start(t, prog("job", "exec sleep 30", func(p *config.Process) {
		liveness("script", "/bin/sh")(p)
		p.Liveness.Args = []string{"-c", "test -e " + flag}
		p.Liveness.FailureAction = "stop"
	}))
	h.log.waitFor(t, "liveness check of 'job': healthy", 1, 5*time.Second)
	os.Remove(flag)
	h.log.waitFor(t, "stopped: job", 1, 5*time.Second)
	if info := h.info("job"); info.State != process.Stopped || info.Health != "unknown" {
		t.Fatalf("info %+v", info)
	}
}

func TestPreStartHookRunsFirst(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "hook")
	h := start(t, prog("app", "test -e "+marker+" && exec sleep 30", func(p *config.Process) {
		p.PreStartHook = []string{"/bin/sh", "-c", "echo hook-output; touch " + marker}
		p.Startsecs = 200 * time.Millisecond
	}))
	h.log.waitFor(t, "success: app", 1, 5*time.Second)
	lines := h.log.snapshot()
	if i, j := indexOf(lines, "pre_start_hook for 'app' succeeded"), indexOf(lines, "spawned: 'app'"); i < 0 || j < i {
		t.Fatalf("order:\n%s", strings.Join(lines, "\n"))
	}
	waitFile(t, filepath.Join(h.dir, "app.out"), "hook-output\n")
}

func TestPreStartHookFailsOrHangs(t *testing.T) {
	tests := []struct {
		name    string
		hook    string
		timeout time.Duration
		logged  string
	}{
		{"failing", "exit 3", 0, "pre_start_hook for 'app' failed (exit status 3)"},
		{"hanging", "exec sleep 30", 200 * time.Millisecond, "pre_start_hook for 'app' timed out after 200ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, prog("app", "exec sleep 30", func(p *config.Process) {
				p.PreStartHook = []string{"/bin/sh", "-c", tt.hook}
				p.PreStartHookTimeout = tt.timeout
				p.Startsecs = time.Second
				p.Startretries = 0
			}))
			h.log.waitFor(t, tt.logged, 1, 5*time.Second)
			h.log.waitFor(t, "gave up: app", 1, 5*time.Second)
			if n := count(h.log.snapshot(), "spawned: 'app'"); n != 0 {
				t.Fatalf("command spawned %d times", n)
			}
			if info := h.info("app"); info.State != process.Fatal {
				t.Fatalf("info %+v", info)
			}
		})
	}
}

func TestPreStopHookRunsBeforeSignal(t *testing.T) {
	out := filepath.Join(t.TempDir(), "order")
	h := start(t, prog("app", fmt.Sprintf("trap 'echo term >> %s; exit 0' TERM; while :; do sleep 0.05; done", out), func(p *config.Process) {
		p.PreStopHook = []string{"/bin/sh", "-c", "sleep 0.2; echo hook >> " + out}
		p.PreStopHookTimeout = 5 * time.Second
	}))
	h.log.waitFor(t, "success: app", 1, 5*time.Second)
	if err := h.sup.StopProcess(context.Background(), "app", "app", true); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if string(b) != "hook\nterm\n" {
		t.Fatalf("order %q", b)
	}
}

func TestMetricsMatchProcesses(t *testing.T) {
	h := start(t,
		prog("up", "exec sleep 30", func(p *config.Process) { p.AutoRestart = config.RestartAlways }),
		prog("idle", "exec sleep 30", func(p *config.Process) { p.Autostart = false }),
	)
	h.log.waitFor(t, "success: up", 1, 5*time.Second)
	pid := h.info("up").Pid
	if err := h.sup.SignalProcess("up", "up", 9); err != nil {
		t.Fatal(err)
	}
	h.waitInfo("up", func(i process.Info) bool { return i.State == process.Running && i.Pid != pid }, 5*time.Second)
	srv := httptest.NewServer(metrics.Handler(h.sup, metrics.Options{NoRuntimeMetrics: true}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`supervisord_up{group="up",name="up"} 1`,
		`supervisord_up{group="idle",name="idle"} 0`,
		`supervisord_process_restarts_total{group="up",name="up"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("missing %s in\n%s", want, body)
		}
	}
}

func TestStopCancelsPendingStart(t *testing.T) {
	a := prog("a", "exec sleep 30", func(p *config.Process) { p.DependsOn = []string{"b"}; p.Autostart = false })
	b := prog("b", "exec sleep 30", func(p *config.Process) { p.Autostart = false; p.Startsecs = 30 * time.Second })
	h := start(t, a, b)
	if err := h.sup.StartProcess(context.Background(), "a", "a", false); err != nil {
		t.Fatal(err)
	}
	h.log.waitFor(t, "spawned: 'b'", 1, 5*time.Second)
	if err := h.sup.StopProcess(context.Background(), "a", "a", true); err != nil {
		t.Fatalf("stop pending a: %v", err)
	}
	if err := h.sup.StopProcess(context.Background(), "b", "b", true); err != nil {
		t.Fatal(err)
	}
	if info := h.info("a"); info.State != process.Stopped || info.Description != "Not started" {
		t.Fatalf("a: %+v", info)
	}
}
