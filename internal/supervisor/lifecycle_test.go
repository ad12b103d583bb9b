package supervisor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/process"
)

// timesOf returns when each line containing sub was logged, in order.
func (r *logRecorder) timesOf(sub string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Time
	for i, l := range r.lines {
		if strings.Contains(l, sub) {
			out = append(out, r.times[i])
		}
	}
	return out
}

// result waits for Run to return by itself and leaves the result for the
// harness's cleanup.
func (h *harness) result(timeout time.Duration) Result {
	h.t.Helper()
	select {
	case r := <-h.res:
		h.res <- r
		return r
	case <-time.After(timeout):
		h.t.Fatalf("the daemon did not shut down; log:\n%s", strings.Join(h.log.snapshot(), "\n"))
	}
	return Result{}
}

func TestShutdownWhenFatalExitsWithTheProgramsStatus(t *testing.T) {
	first := prog("first", "exec sleep 30", func(p *config.Process) { p.Priority = 1 })
	second := prog("second", "exec sleep 30", func(p *config.Process) { p.Priority = 2 })
	main := prog("main", "sleep 0.3; exit 7", func(p *config.Process) {
		p.Priority = 3
		p.Startsecs = 5 * time.Second
		p.Startretries = 1
		p.ShutdownWhen = config.ShutdownFatal
	})
	h := start(t, first, second, main)
	res := h.result(30 * time.Second)
	if res.ExitStatus != 7 || res.Restart {
		t.Fatalf("result %+v, want exit status 7", res)
	}
	lines := h.log.snapshot()
	cause := indexOf(lines, "shutdown_when=fatal: 'main' entered FATAL state, shutting down with exit status 7")
	s1, s2 := indexOf(lines, "stopped: first"), indexOf(lines, "stopped: second")
	if cause < 0 || s1 < 0 || s2 < 0 || !(cause < s2 && s2 < s1) || count(lines, "spawned: 'main'") != 2 {
		t.Fatalf("want main retried once, the cause logged, then second and first stopped in that order:\n%s", strings.Join(lines, "\n"))
	}
}

func TestShutdownWhenFatalNeverRan(t *testing.T) {
	h := start(t, prog("ghost", "exit 0", func(p *config.Process) {
		p.Command = []string{"/nonexistent/ghost"}
		p.Startretries = 0
		p.ShutdownWhen = config.ShutdownFatal
	}))
	if res := h.result(20 * time.Second); res.ExitStatus != 1 {
		t.Fatalf("result %+v, want 1 for a program that never ran", res)
	}
}

func TestShutdownWhenExited(t *testing.T) {
	for _, tc := range []struct {
		name, cmd string
		mod       func(*config.Process)
		want      int
	}{
		{"clean end", "sleep 0.2; exit 0", nil, 0},
		{"unexpected end with no restart", "sleep 0.2; exit 5", func(p *config.Process) { p.AutoRestart = config.RestartNever }, 5},
		{"killed by a signal", "sleep 0.2; kill -KILL $$", func(p *config.Process) { p.AutoRestart = config.RestartNever }, 128 + 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			other := prog("other", "exec sleep 30", func(p *config.Process) { p.Priority = 1 })
			job := prog("job", tc.cmd, func(p *config.Process) {
				p.ShutdownWhen = config.ShutdownExited
				if tc.mod != nil {
					tc.mod(p)
				}
			})
			h := start(t, other, job)
			if res := h.result(20 * time.Second); res.ExitStatus != tc.want {
				t.Fatalf("result %+v, want %d; log:\n%s", res, tc.want, strings.Join(h.log.snapshot(), "\n"))
			}
			if lines := h.log.snapshot(); indexOf(lines, "stopped: other") < indexOf(lines, "shutdown_when=exited: 'job' exited") {
				t.Fatalf("other not stopped after the cause:\n%s", strings.Join(lines, "\n"))
			}
		})
	}
}

func TestShutdownWhenExitedWaitsForTheEndForGood(t *testing.T) {
	// An unexpected exit with autorestart=unexpected is restarted, not
	// an end: the daemon goes down only at the expected exit.
	marker := filepath.Join(t.TempDir(), "ran")
	h := start(t, prog("job", fmt.Sprintf("if [ -e %s ]; then sleep 0.2; exit 0; fi; touch %s; sleep 0.2; exit 3", marker, marker), func(p *config.Process) {
		p.ShutdownWhen = config.ShutdownExited
	}))
	if res := h.result(20 * time.Second); res.ExitStatus != 0 {
		t.Fatalf("result %+v", res)
	}
	if n := count(h.log.snapshot(), "spawned: 'job'"); n != 2 {
		t.Fatalf("%d spawns, want 2", n)
	}
}

func TestShutdownWhenNeverKeepsRunning(t *testing.T) {
	h := start(t, prog("job", "exit 4", func(p *config.Process) { p.Startretries = 0; p.Startsecs = time.Second }),
		prog("witness", "exec sleep 30"))
	h.log.waitFor(t, "gave up: job", 1, 10*time.Second)
	select {
	case r := <-h.res:
		h.res <- r
		t.Fatalf("the daemon shut down: %+v", r)
	default:
	}
	if info := h.info("witness"); info.State != process.Running {
		t.Fatalf("witness %+v", info)
	}
}

func TestExponentialBackoffSpawnIntervals(t *testing.T) {
	h := startWith(t, func(o *Options) { o.Jitter = func() float64 { return 0 } },
		prog("flap", "exit 1", func(p *config.Process) {
			p.Startsecs = time.Second
			p.Startretries = 5
			p.Backoff, p.BackoffMax, p.ShowRetry = config.BackoffExponential, 4*time.Second, true
		}))
	h.log.waitFor(t, "gave up: flap", 1, 40*time.Second)
	// The daemon's own records of each exit and spawn, not the test's
	// clock. The delay runs from a failure to the next spawn; the spawn
	// intervals add the child's own short life to it.
	spawns, exits := h.log.timesOf("spawned: 'flap'"), h.log.timesOf("exited: flap")
	want := []float64{1, 2, 4, 4, 4}
	if len(spawns) != len(want)+1 || len(exits) != len(want)+1 {
		t.Fatalf("%d spawns, %d exits, want %d", len(spawns), len(exits), len(want)+1)
	}
	var got []string
	for i, w := range want {
		d := spawns[i+1].Sub(exits[i]).Seconds()
		got = append(got, fmt.Sprintf("%.3f", spawns[i+1].Sub(spawns[i]).Seconds()))
		if d < w*0.75 || d > w*1.25 {
			t.Errorf("retry %d came %.3fs after the failure, want %v s ±25%%", i+1, d, w)
		}
	}
	t.Logf("spawn intervals (s): %s", strings.Join(got, " "))
}

func TestBackoffStatusShowsTheNextRetry(t *testing.T) {
	h := startWith(t, func(o *Options) { o.Jitter = func() float64 { return 0 } },
		prog("flap", "exit 1", func(p *config.Process) {
			p.Startsecs = time.Second
			p.Startretries = 10
			p.Backoff, p.BackoffMax, p.ShowRetry = config.BackoffExponential, 60*time.Second, true
		}))
	h.log.waitFor(t, "spawned: 'flap'", 4, 20*time.Second)
	// The fourth failure waits 8 s.
	info := h.waitInfo("flap", func(i process.Info) bool { return i.State == process.Backoff }, 10*time.Second)
	if !strings.HasPrefix(info.Description, "Exited too quickly (process log may have details); retry in ") {
		t.Fatalf("description %q", info.Description)
	}
	var secs int
	fmt.Sscanf(info.Description[strings.LastIndex(info.Description, "retry in ")+len("retry in "):], "%ds", &secs)
	if secs < 6 || secs > 8 {
		t.Fatalf("description %q: want a retry in about 8s", info.Description)
	}
}

func TestInfiniteRetriesKeepRetrying(t *testing.T) {
	h := start(t, prog("flap", "exit 1", func(p *config.Process) {
		p.Startsecs = time.Second
		p.Startretries = config.InfiniteRetries
		p.Backoff, p.BackoffMax = config.BackoffExponential, 50*time.Millisecond
	}))
	h.log.waitFor(t, "spawned: 'flap'", 12, 30*time.Second)
	if n := count(h.log.snapshot(), "gave up"); n != 0 {
		t.Fatal("gave up with startretries=infinite")
	}
	if st := h.info("flap").State; st != process.Backoff && st != process.Starting {
		t.Fatalf("state %s after 11 failures", st)
	}
}

// notifyScript writes a sender of sd_notify messages and returns the
// shell command that runs it with its message as the argument.
func notifyScript(t *testing.T) string {
	t.Helper()
	// The system's interpreter, not a version manager's shim: a shim
	// adds processes and seconds of start-up on a busy machine.
	py, err := exec.LookPath("/usr/bin/python3")
	if err != nil {
		py, err = exec.LookPath("python3")
	}
	if err != nil {
		t.Skip("python3 is needed to send notify messages")
	}
	path := filepath.Join(t.TempDir(), "notify.py")
	// After its messages it waits on a barrier, as systemd-notify does,
	// so that it is still alive when the daemon looks up who sent them.
	src := `import os, socket, sys
addr = os.environ["NOTIFY_SOCKET"]
if addr.startswith("@"):
    addr = "\0" + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for msg in sys.argv[1:]:
    s.sendto(msg.encode(), addr)
r, w = os.pipe()
s.sendmsg([b"BARRIER=1"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, w.to_bytes(4, sys.byteorder))], 0, addr)
os.close(w)
os.read(r, 1)
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return py + " " + path
}

func TestNotifyReadyBeforeStartsecs(t *testing.T) {
	send := notifyScript(t)
	// The sender is a grandchild of the process (sh → python3): it is
	// mapped to the process by its process group.
	h := start(t, prog("svc", fmt.Sprintf("%s 'STATUS=warming up'; sleep 2; %s 'READY=1\nSTATUS=serving'; exec sleep 30", send, send), func(p *config.Process) {
		p.Startsecs = 10 * time.Second
		p.ReadyWhen = config.ReadyWhen{Kind: config.ReadyNotify, Text: "notify"}
	}))
	h.waitInfo("svc", func(i process.Info) bool { return i.Description == "warming up" }, 5*time.Second)
	h.log.waitFor(t, "success: svc entered RUNNING state, process reported ready (READY=1)", 1, 15*time.Second)
	spawned, ready := h.log.timesOf("spawned: 'svc'")[0], h.log.timesOf("success: svc")[0]
	// RUNNING only comes from READY=1 here (startsecs passing would stop
	// it), so the bound is loose: after the child's 2 s, well before 10 s.
	if d := ready.Sub(spawned); d < 1900*time.Millisecond || d > 9*time.Second {
		t.Fatalf("RUNNING %v after the spawn, want about 2s", d)
	}
	info := h.waitInfo("svc", func(i process.Info) bool { return strings.HasSuffix(i.Description, "; serving") }, 5*time.Second)
	if info.State != process.Running {
		t.Fatalf("info %+v", info)
	}
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", info.Pid))
	if err != nil || !strings.Contains(string(env), "NOTIFY_SOCKET=@supervisord-notify-") {
		t.Fatalf("NOTIFY_SOCKET not in the child's environment (%v)", err)
	}
}

func TestNotifyNeverReadyFailsAtStartsecs(t *testing.T) {
	h := start(t, prog("mute", "exec sleep 60", func(p *config.Process) {
		p.Startsecs = 10 * time.Second
		p.Startretries = 0
		p.ReadyWhen = config.ReadyWhen{Kind: config.ReadyNotify, Text: "notify"}
	}))
	h.log.waitFor(t, "spawned: 'mute'", 1, 5*time.Second)
	if info := h.info("mute"); info.State != process.Starting {
		t.Fatalf("state %s before the deadline", info.State)
	}
	h.log.waitFor(t, "gave up: mute", 1, 20*time.Second)
	spawned, notReady := h.log.timesOf("spawned: 'mute'")[0], h.log.timesOf("not ready: mute did not become ready within 10 seconds")
	if len(notReady) != 1 {
		t.Fatalf("log:\n%s", strings.Join(h.log.snapshot(), "\n"))
	}
	if d := notReady[0].Sub(spawned); d < 9900*time.Millisecond || d > 13*time.Second {
		t.Fatalf("failed %v after the spawn, want 10s", d)
	}
	if info := h.info("mute"); info.State != process.Fatal || info.Description != "Not ready within 10 seconds (startsecs)" {
		t.Fatalf("info %+v", info)
	}
	if n := count(h.log.snapshot(), "success: mute"); n != 0 {
		t.Fatal("RUNNING without READY=1")
	}
}

func TestDependsOnWaitsForNotifyReadiness(t *testing.T) {
	send := notifyScript(t)
	app := prog("app", "exec sleep 30", func(p *config.Process) { p.DependsOn = []string{"db"} })
	db := prog("db", fmt.Sprintf("sleep 1.5; %s READY=1; exec sleep 30", send), func(p *config.Process) {
		p.Startsecs = 10 * time.Second
		p.ReadyWhen = config.ReadyWhen{Kind: config.ReadyNotify, Text: "notify"}
	})
	h := start(t, app, db)
	h.log.waitFor(t, "spawned: 'app'", 1, 15*time.Second)
	lines := h.log.snapshot()
	if r, a := indexOf(lines, "success: db entered RUNNING state, process reported ready"), indexOf(lines, "spawned: 'app'"); r < 0 || a < r {
		t.Fatalf("app started before db was ready:\n%s", strings.Join(lines, "\n"))
	}
}

func TestReadyWhenScriptCheck(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ready")
	h := start(t, prog("svc", fmt.Sprintf("sleep 1; touch %s; exec sleep 30", marker), func(p *config.Process) {
		p.Startsecs = 10 * time.Second
		p.ReadyWhen = config.ReadyWhen{Kind: config.ReadyCheck, Text: "script:test -e " + marker, Check: &config.Liveness{
			Kind: "script", Target: "/bin/test", Args: []string{"-e", marker},
			Period: 100 * time.Millisecond, Timeout: time.Second, SuccessThreshold: 1, FailureThreshold: 1,
		}}
	}))
	h.log.waitFor(t, "success: svc entered RUNNING state, ready check passed (ready_when=script:test -e", 1, 15*time.Second)
	spawned, ready := h.log.timesOf("spawned: 'svc'")[0], h.log.timesOf("success: svc")[0]
	if d := ready.Sub(spawned); d < time.Second || d > 6*time.Second {
		t.Fatalf("RUNNING %v after the spawn, want about 1s", d)
	}
}

func TestNotifyGarbageAndFloodDoNotStallTheLoop(t *testing.T) {
	send := notifyScript(t)
	flood := make([]string, 3000)
	for i := range flood {
		flood[i] = "'STATUS=flood'"
	}
	h := start(t, prog("noisy", fmt.Sprintf("%s 'not an assignment' 'lower=case'; %s %s; %s READY=1; exec sleep 30",
		send, send, strings.Join(flood, " "), send), func(p *config.Process) {
		p.Startsecs = 20 * time.Second
		p.ReadyWhen = config.ReadyWhen{Kind: config.ReadyNotify, Text: "notify"}
	}), prog("other", "exec sleep 30"))
	h.log.waitFor(t, "success: noisy", 1, 20*time.Second)
	// The loop still answers while and after the flood.
	if err := h.sup.StopProcess(context.Background(), "other", "other", true); err != nil {
		t.Fatal(err)
	}
	if n := count(h.log.snapshot(), "garbage on the notify socket from 'noisy'"); n != 1 {
		t.Fatalf("garbage logged %d times, want once:\n%s", n, strings.Join(h.log.snapshot(), "\n"))
	}
}

func TestNotifyWithSystemdNotify(t *testing.T) {
	bin, err := exec.LookPath("systemd-notify")
	if err != nil {
		t.Skip("systemd-notify is not installed")
	}
	h := start(t, prog("svc", fmt.Sprintf("sleep 0.3; %s --ready --status='up and serving'; exec sleep 30", bin), func(p *config.Process) {
		p.Startsecs = 10 * time.Second
		p.ReadyWhen = config.ReadyWhen{Kind: config.ReadyNotify, Text: "notify"}
	}))
	h.log.waitFor(t, "success: svc entered RUNNING state, process reported ready (READY=1)", 1, 9*time.Second)
	h.waitInfo("svc", func(i process.Info) bool { return strings.HasSuffix(i.Description, "; up and serving") }, 5*time.Second)
}
