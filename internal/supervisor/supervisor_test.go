package supervisor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/faults"
	"supervisord/internal/logfile"
	"supervisord/internal/process"
)

// logRecorder is an slog.Handler that keeps every message and lets tests
// wait for one to appear.
type logRecorder struct {
	mu    sync.Mutex
	cond  *sync.Cond
	lines []string
	times []time.Time // when each line was logged
}

func newLogRecorder() *logRecorder {
	r := &logRecorder{}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }
func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	r.lines = append(r.lines, rec.Message)
	r.times = append(r.times, rec.Time)
	r.mu.Unlock()
	r.cond.Broadcast()
	return nil
}

func (r *logRecorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// waitFor waits until a line containing sub has been logged n times.
func (r *logRecorder) waitFor(t *testing.T, sub string, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	stop := time.AfterFunc(timeout, r.cond.Broadcast)
	defer stop.Stop()
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		count := 0
		for _, l := range r.lines {
			if strings.Contains(l, sub) {
				count++
			}
		}
		if count >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d× %q; log:\n%s", n, sub, strings.Join(r.lines, "\n"))
		}
		r.cond.Wait()
	}
}

// events returns the lifecycle lines (spawned, success, exited, gave up,
// stopped) with pids replaced by N.
func (r *logRecorder) events() []string {
	var out []string
	for _, l := range r.snapshot() {
		for _, p := range []string{"spawned:", "success:", "exited:", "gave up:", "stopped:"} {
			if strings.HasPrefix(l, p) {
				out = append(out, normalisePids(l))
			}
		}
	}
	return out
}

func normalisePids(s string) string {
	f := strings.Fields(s)
	for i, w := range f {
		if _, err := strconv.Atoi(w); err == nil && i > 0 && f[i-1] == "pid" {
			f[i] = "N"
		}
	}
	return strings.Join(f, " ")
}

type harness struct {
	t    *testing.T
	sup  *Supervisor
	log  *logRecorder
	dir  string
	res  chan Result
	stop context.CancelFunc
}

func prog(name, cmd string, mods ...func(*config.Process)) *config.Group {
	p := &config.Process{
		Name: name, Group: name, ProgramSec: name,
		Command: []string{"/bin/sh", "-c", cmd}, CommandLine: cmd,
		Priority: 999, Autostart: true, Startsecs: 0, Startretries: 3,
		AutoRestart: config.RestartUnexpected, ExitCodes: []int{0},
		StopSignal: syscall.SIGTERM, StopWaitSecs: 10 * time.Second,
	}
	for _, m := range mods {
		m(p)
	}
	return &config.Group{Name: name, Priority: p.Priority, Processes: []*config.Process{p}}
}

func start(t *testing.T, groups ...*config.Group) *harness {
	t.Helper()
	return startWith(t, nil, groups...)
}

// startWith is start with mod applied to the supervisor's options.
func startWith(t *testing.T, mod func(*Options), groups ...*config.Group) *harness {
	t.Helper()
	return startIn(t, nil, mod, groups...)
}

// startIn is startWith with a chance to change the configuration once the
// log files are placed in the test's directory.
func startIn(t *testing.T, prep func(dir string), mod func(*Options), groups ...*config.Group) *harness {
	t.Helper()
	dir := t.TempDir()
	for _, g := range groups {
		for _, p := range g.Processes {
			p.Stdout = config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogFile, Path: filepath.Join(dir, p.Name+".out")}}}
			p.Stderr = config.StreamLog{Targets: []config.LogTarget{{Kind: config.LogFile, Path: filepath.Join(dir, p.Name+".err")}}}
		}
	}
	if prep != nil {
		prep(dir)
	}
	cfg := &config.Config{File: filepath.Join(dir, "supervisord.conf"), Groups: groups}
	cfg.Supervisord.Identifier = "supervisor"
	rec := newLogRecorder()
	opts := Options{Logger: slog.New(rec), Reload: func() (*config.Config, error) { return cfg, nil }}
	if mod != nil {
		mod(&opts)
	}
	sup := New(cfg, opts)
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, sup: sup, log: rec, dir: dir, res: make(chan Result, 1), stop: cancel}
	go func() { h.res <- sup.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.res:
		case <-time.After(20 * time.Second):
			t.Errorf("supervisor did not stop")
		}
	})
	return h
}

func (h *harness) info(name string) process.Info {
	for _, g := range h.sup.Groups() {
		for _, p := range g.Processes {
			if p.Name == name {
				return p
			}
		}
	}
	h.t.Fatalf("no process %q", name)
	return process.Info{}
}

func (h *harness) shutdown() Result {
	h.stop()
	select {
	case r := <-h.res:
		h.res <- r
		return r
	case <-time.After(20 * time.Second):
		h.t.Fatal("shutdown did not finish")
	}
	return Result{}
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

func TestStartRunStop(t *testing.T) {
	h := start(t, prog("sleeper", "exec sleep 30", func(p *config.Process) { p.Startsecs = 100 * time.Millisecond }))
	h.log.waitFor(t, "success: sleeper", 1, 5*time.Second)
	info := h.info("sleeper")
	if info.State != process.Running || info.Pid == 0 || !alive(info.Pid) {
		t.Fatalf("info %+v", info)
	}
	if err := h.sup.StopProcess(context.Background(), "sleeper", "sleeper", true); err != nil {
		t.Fatal(err)
	}
	if got := h.info("sleeper"); got.State != process.Stopped {
		t.Fatalf("state %s after stop", got.State)
	}
	if alive(info.Pid) {
		t.Fatalf("pid %d still alive after stop", info.Pid)
	}
	want := []string{"spawned: 'sleeper' with pid N", "success: sleeper entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)", "stopped: sleeper (terminated by SIGTERM)"}
	if got := h.log.events(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestCrashRestartsAtOnce(t *testing.T) {
	h := start(t, prog("crasher", "exec sleep 30", func(p *config.Process) { p.AutoRestart = config.RestartAlways }))
	h.log.waitFor(t, "success: crasher", 1, 5*time.Second)
	old := h.info("crasher").Pid
	killed := time.Now()
	syscall.Kill(old, syscall.SIGKILL)
	h.log.waitFor(t, "spawned: 'crasher'", 2, 5*time.Second)
	if d := time.Since(killed); d > 2*time.Second {
		t.Fatalf("restart took %v", d)
	}
	h.log.waitFor(t, "exited: crasher (terminated by SIGKILL; not expected)", 1, time.Second)
	if p := h.info("crasher").Pid; p == old || p == 0 {
		t.Fatalf("pid %d after restart (old %d)", p, old)
	}
}

func TestBackoffToFatal(t *testing.T) {
	h := start(t, prog("flaky", "exit 3", func(p *config.Process) {
		p.Startsecs = time.Second
		p.Startretries = 1
	}))
	h.log.waitFor(t, "gave up: flaky", 1, 10*time.Second)
	want := []string{
		"spawned: 'flaky' with pid N", "exited: flaky (exit status 3; not expected)",
		"spawned: 'flaky' with pid N", "exited: flaky (exit status 3; not expected)",
		"gave up: flaky entered FATAL state, too many start retries too quickly",
	}
	if got := h.log.events(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if info := h.info("flaky"); info.State != process.Fatal || info.Description != "Exited too quickly (process log may have details)" {
		t.Fatalf("info %+v", info)
	}
}

func TestMissingCommandIsFatalNotACrash(t *testing.T) {
	h := start(t, prog("ghost", "", func(p *config.Process) {
		p.Command = []string{"no-such-command-here"}
		p.Startretries = 0
	}))
	h.log.waitFor(t, "gave up: ghost", 1, 5*time.Second)
	info := h.info("ghost")
	if info.State != process.Fatal || info.SpawnErr != "can't find command 'no-such-command-here'" {
		t.Fatalf("info %+v", info)
	}
	err := h.sup.StartProcess(context.Background(), "ghost", "ghost", true)
	var f *faults.Error
	if !errors.As(err, &f) || f.Code != faults.NoFile {
		t.Fatalf("start: %v, want NO_FILE", err)
	}
}

func TestStopwaitsecsThenKillAsGroup(t *testing.T) {
	// The shell ignores TERM and starts a grandchild that would survive a
	// kill of the shell alone.
	pidfile := filepath.Join(t.TempDir(), "grandchild")
	h := start(t, prog("stubborn", fmt.Sprintf("trap '' TERM; sleep 60 & echo $! > %s; wait", pidfile), func(p *config.Process) {
		p.StopWaitSecs = 300 * time.Millisecond
		p.KillAsGroup = true
	}))
	h.log.waitFor(t, "success: stubborn", 1, 5*time.Second)
	var gpid int
	deadline := time.Now().Add(5 * time.Second)
	for gpid == 0 && time.Now().Before(deadline) {
		b, _ := os.ReadFile(pidfile)
		gpid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		if gpid == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if gpid == 0 {
		t.Fatal("grandchild pid not written")
	}
	if err := h.sup.StopProcess(context.Background(), "stubborn", "stubborn", true); err != nil {
		t.Fatal(err)
	}
	h.log.waitFor(t, "killing 'stubborn'", 1, time.Second)
	h.log.waitFor(t, "stopped: stubborn (terminated by SIGKILL)", 1, time.Second)
	deadline = time.Now().Add(5 * time.Second)
	for alive(gpid) && time.Now().Before(deadline) {
		// The grandchild is reparented to init; wait for it to be gone.
		time.Sleep(10 * time.Millisecond)
	}
	if alive(gpid) {
		t.Fatalf("grandchild %d survived killasgroup", gpid)
	}
}

func TestShutdownStopsInReversePriority(t *testing.T) {
	a := prog("first", "exec sleep 30", func(p *config.Process) { p.Priority = 1 })
	a.Priority = 1
	b := prog("second", "exec sleep 30", func(p *config.Process) { p.Priority = 2 })
	b.Priority = 2
	h := start(t, a, b)
	h.log.waitFor(t, "success: second", 1, 5*time.Second)
	h.log.waitFor(t, "success: first", 1, 5*time.Second)
	h.shutdown()
	ev := h.log.events()
	if ev[0] != "spawned: 'first' with pid N" || ev[len(ev)-2] != "stopped: second (terminated by SIGTERM)" || ev[len(ev)-1] != "stopped: first (terminated by SIGTERM)" {
		t.Fatalf("order:\n%s", strings.Join(ev, "\n"))
	}
}

func TestStartWaitFaults(t *testing.T) {
	h := start(t,
		prog("quick", "exit 1", func(p *config.Process) { p.Autostart = false; p.Startsecs = time.Second; p.Startretries = 0 }),
		prog("idle", "exec sleep 30", func(p *config.Process) { p.Autostart = false }),
	)
	ctx := context.Background()
	err := h.sup.StartProcess(ctx, "quick", "quick", true)
	var f *faults.Error
	if !errors.As(err, &f) || f.Code != faults.SpawnError || f.Detail != "quick" {
		t.Fatalf("start quick: %v, want SPAWN_ERROR", err)
	}
	if err := h.sup.StartProcess(ctx, "idle", "idle", true); err != nil {
		t.Fatalf("start idle: %v", err)
	}
	if err := h.sup.StartProcess(ctx, "idle", "idle", true); !errors.As(err, &f) || f.Code != faults.AlreadyStarted {
		t.Fatalf("second start: %v, want ALREADY_STARTED", err)
	}
	if err := h.sup.StartProcess(ctx, "nope", "nope", true); !errors.As(err, &f) || f.Code != faults.BadName {
		t.Fatalf("start nope: %v, want BAD_NAME", err)
	}
	if err := h.sup.StopProcess(ctx, "quick", "quick", true); !errors.As(err, &f) || f.Code != faults.NotRunning {
		t.Fatalf("stop quick: %v, want NOT_RUNNING; info %+v; log:\n%s", err, h.info("quick"), strings.Join(h.log.snapshot(), "\n"))
	}
	if err := h.sup.RemoveProcessGroup("idle"); !errors.As(err, &f) || f.Code != faults.StillRunning {
		t.Fatalf("remove idle: %v, want STILL_RUNNING", err)
	}
}

func TestSignalAndStdin(t *testing.T) {
	out := filepath.Join(t.TempDir(), "got")
	h := start(t, prog("cat", fmt.Sprintf("trap 'echo usr1 >> %s' USR1; while read l; do echo \"$l\" >> %s; done", out, out)))
	h.log.waitFor(t, "success: cat", 1, 5*time.Second)
	if err := h.sup.SendProcessStdin("cat", "cat", []byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	waitFile(t, out, "hello\n")
	if err := h.sup.SignalProcess("cat", "cat", syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	// The trap runs once the blocking read returns.
	h.sup.SendProcessStdin("cat", "cat", []byte("again\n"))
	waitFile(t, out, "usr1")
}

func waitFile(t *testing.T, path, sub string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), sub) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, _ := os.ReadFile(path)
	t.Fatalf("%s never contained %q; has %q", path, sub, b)
}

func TestOutputCapturedToFiles(t *testing.T) {
	h := start(t, prog("talker", "echo to-out; echo to-err >&2; exec sleep 30"))
	h.log.waitFor(t, "success: talker", 1, 5*time.Second)
	waitFile(t, filepath.Join(h.dir, "talker.out"), "to-out\n")
	waitFile(t, filepath.Join(h.dir, "talker.err"), "to-err\n")
}

func TestEnvironment(t *testing.T) {
	out := filepath.Join(t.TempDir(), "env")
	g := prog("envy", "env > "+out+"; exec sleep 30", func(p *config.Process) {
		p.Environment = []config.EnvVar{{Key: "FOO", Value: "bar"}}
	})
	h := start(t, g)
	h.log.waitFor(t, "success: envy", 1, 5*time.Second)
	for _, want := range []string{"SUPERVISOR_ENABLED=1", "SUPERVISOR_PROCESS_NAME=envy", "SUPERVISOR_GROUP_NAME=envy", "FOO=bar"} {
		waitFile(t, out, want)
	}
}

// levelGate passes on only records at min and above, as a main log at
// that level does.
type levelGate struct {
	slog.Handler
	min slog.Level
}

func (g levelGate) Enabled(_ context.Context, l slog.Level) bool { return l >= g.min }

// TestUnreadStreamsGoToDevNull: a stream nothing reads is /dev/null in the
// child; one read by a log, events or the main log's echo is a pipe. Not
// parallel: the supervisors of one test process reap each other's children.
func TestUnreadStreamsGoToDevNull(t *testing.T) {
	fdTarget := func(t *testing.T, pid, fd int) string {
		got, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", pid, fd))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(got, "pipe:") {
			return "pipe"
		}
		return got
	}
	for _, tc := range []struct {
		name       string
		level      slog.Level
		mod        func(p *config.Process)
		out, errFd string
	}{
		{"no logs", logfile.LevelInfo, func(p *config.Process) { p.Stdout, p.Stderr = config.StreamLog{}, config.StreamLog{} }, os.DevNull, os.DevNull},
		{"stdout logged", logfile.LevelInfo, func(p *config.Process) { p.Stderr = config.StreamLog{} }, "pipe", os.DevNull},
		{"redirected", logfile.LevelInfo, func(p *config.Process) { p.Stdout, p.RedirectStderr = config.StreamLog{}, true }, os.DevNull, os.DevNull},
		{"events", logfile.LevelInfo, func(p *config.Process) {
			p.Stdout, p.Stderr = config.StreamLog{EventsEnabled: true}, config.StreamLog{CaptureMaxBytes: 100}
		}, "pipe", "pipe"},
		{"debug echo", logfile.LevelDebug, func(p *config.Process) { p.Stdout, p.Stderr = config.StreamLog{}, config.StreamLog{} }, "pipe", "pipe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := prog("quiet", "exec sleep 30")
			h := startIn(t, func(string) { tc.mod(g.Processes[0]) }, func(o *Options) {
				o.Logger = slog.New(levelGate{o.Logger.Handler(), tc.level})
			}, g)
			h.log.waitFor(t, "success: quiet", 1, 5*time.Second)
			pid := h.info("quiet").Pid
			if got := fdTarget(t, pid, 1); got != tc.out {
				t.Errorf("stdout is %s, want %s", got, tc.out)
			}
			if got := fdTarget(t, pid, 2); got != tc.errFd {
				t.Errorf("stderr is %s, want %s", got, tc.errFd)
			}
		})
	}
}

// TestOnlySIGCHLDReaps: a pass of wait4 over the children costs in
// proportion to their number, so inputs other than SIGCHLD make none.
// The kill at the end shows the count does move when a child exits.
func TestOnlySIGCHLDReaps(t *testing.T) {
	h := start(t, prog("sleeper", "exec sleep 30"))
	h.log.waitFor(t, "success: sleeper", 1, 5*time.Second)
	before := h.sup.reaps.Load()
	ctx := context.Background()
	for range 50 {
		h.sup.dirty.Store(true)
		h.sup.Rows()
		h.sup.Healthz(ctx)
		if err := h.sup.do(ctx, func(*loop) {}); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.sup.reaps.Load(); got != before {
		t.Errorf("150 commands made %d passes of wait4", got-before)
	}
	if err := syscall.Kill(h.info("sleeper").Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	h.log.waitFor(t, "exited: sleeper", 1, 5*time.Second)
	if h.sup.reaps.Load() == before {
		t.Error("the exit was collected without a pass of wait4")
	}
}

// TestShutdownCatchesEveryState shuts down while processes are RUNNING,
// STARTING (a long startsecs) and in BACKOFF (a command that fails at
// once, retried after a delay), several to a group: each is stopped once
// or given up, and the shutdown ends with every one of them dead.
func TestShutdownCatchesEveryState(t *testing.T) {
	running := prog("run", "exec sleep 30")
	starting := prog("slow", "exec sleep 30", func(p *config.Process) { p.Startsecs = time.Minute })
	// Three processes in one group: a shutdown revisits a group after
	// each exit, and must visit only what is left to do.
	pool := &config.Group{Name: "pool", Priority: 5}
	for i := range 3 {
		pool.Processes = append(pool.Processes, prog(fmt.Sprintf("pool_%d", i), "exec sleep 30", func(p *config.Process) {
			p.Group = "pool"
			if i == 1 {
				p.Startsecs = time.Minute
			}
		}).Processes[0])
	}
	backoff := prog("flop", "exit 3", func(p *config.Process) { p.Startsecs = time.Second; p.Startretries = 100 })
	h := start(t, running, starting, pool, backoff)
	h.log.waitFor(t, "success: run", 1, 5*time.Second)
	h.log.waitFor(t, "success: pool_2", 1, 5*time.Second)
	h.waitInfo("flop", func(in process.Info) bool { return in.State == process.Backoff }, 5*time.Second)
	pids := map[string]int{}
	for _, name := range []string{"run", "slow", "pool_0", "pool_1", "pool_2"} {
		in := h.info(name)
		if in.Pid == 0 {
			t.Fatalf("%s has no pid: %+v", name, in)
		}
		pids[name] = in.Pid
	}
	if st := h.info("slow").State; st != process.Starting {
		t.Fatalf("slow is %v, want STARTING", st)
	}
	h.shutdown()
	for name, pid := range pids {
		if alive(pid) {
			t.Errorf("%s (pid %d) outlived the shutdown", name, pid)
		}
	}
	lines := h.log.snapshot()
	log := strings.Join(lines, "\n")
	// Groups stop one after the other, from the highest priority number
	// down: the pool (priority 5) is signalled only once run and slow
	// (999) have stopped.
	lastStop, firstPoolKill := -1, len(lines)
	for i, l := range lines {
		if strings.HasPrefix(l, "stopped: run ") || strings.HasPrefix(l, "stopped: slow ") {
			lastStop = max(lastStop, i)
		}
		if strings.HasPrefix(l, "killing pool_") {
			firstPoolKill = min(firstPoolKill, i)
		}
	}
	if lastStop < 0 || firstPoolKill < lastStop {
		t.Errorf("the pool was signalled before run and slow had stopped:\n%s", log)
	}
	for _, name := range []string{"run", "slow", "pool_0", "pool_1", "pool_2"} {
		if n := strings.Count(log, "stopped: "+name+" (terminated by SIGTERM)"); n != 1 {
			t.Errorf("%s stopped %d times in the log:\n%s", name, n, log)
		}
	}
	// The loop has returned: its processes can be read directly (the
	// published rows are not brought up to date once it has stopped). The
	// count the shutdown relied on must agree with the states, and flop
	// was given up as the reference gives up a BACKOFF process at
	// shutdown: FATAL, without the "gave up" line of too many retries.
	l, live := h.sup.loop, 0
	for _, g := range l.groups {
		n := 0
		for _, p := range g.procs {
			if !p.State.IsStopped() {
				n++
			}
			if p.Config.Name == "flop" && p.State != process.Fatal {
				t.Errorf("flop is %v after the shutdown, want FATAL", p.State)
			}
		}
		if n != g.alive {
			t.Errorf("group %s: %d processes alive, its count says %d", g.cfg.Name, n, g.alive)
		}
		live += n
	}
	if live != 0 || l.alive != 0 {
		t.Errorf("after the shutdown: %d processes alive, the loop's count says %d", live, l.alive)
	}
}
