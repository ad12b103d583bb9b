package ctl

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"supervisord/test/harness"
)

// The daemon the tests talk to. SUPERVISORCTL_TEST_DAEMON names another
// binary that accepts "-n -c file" (for instance our own supervisord).
const referenceDaemon = "/usr/bin/supervisord"

func daemonBinary() string {
	if d := os.Getenv("SUPERVISORCTL_TEST_DAEMON"); d != "" {
		return d
	}
	return referenceDaemon
}

// skipReason says why the daemon cannot be used, or "".
func skipReason() string {
	bin := daemonBinary()
	if _, err := os.Stat(bin); err != nil {
		return fmt.Sprintf("daemon %s not installed", bin)
	}
	if bin == referenceDaemon {
		if err := exec.Command("/usr/bin/python3", "-c", "import supervisor").Run(); err != nil {
			return "python supervisor module not installed"
		}
	}
	return ""
}

// skipper is a test that can be skipped.
type skipper interface {
	fixture
	Skip(args ...any)
}

// requireDaemon skips the test when the daemon is missing, unless
// SUPERVISORD_REQUIRE_REFERENCE=1 makes that a failure.
func requireDaemon(t skipper) {
	t.Helper()
	if why := skipReason(); why != "" {
		if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") == "1" {
			t.Fatalf("%s", why)
		}
		t.Skip(why)
	}
}

// baseConfig is a daemon with a socket and a TCP port, several kinds of
// program and a group. @DIR@ and @PORT@ are filled in.
const baseConfig = `[unix_http_server]
file=@DIR@/sock

[inet_http_server]
port=127.0.0.1:@PORT@

[supervisord]
logfile=@DIR@/supervisord.log
pidfile=@DIR@/supervisord.pid
childlogdir=@DIR@

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://@DIR@/sock

[program:sleeper]
command=sleep 1000
startsecs=0
stopwaitsecs=2

[program:quick]
command=sh -c 'echo hello from quick; echo oops >&2; exit 3'
autorestart=false
startsecs=0

[program:pool]
command=sleep 1000
numprocs=2
process_name=%(program_name)s_%(process_num)s
startsecs=0

[program:cat]
command=cat
autostart=false
startsecs=0

[group:grp]
programs=cat
`

// fixture is what the daemon helpers need from a test or a test script.
type fixture interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// daemon is a supervisord the tests talk to, on a configuration of its
// own.
type daemon struct {
	*harness.Daemon
	dir  string
	port int
	conf string
	text string // the configuration it was started on
	// pristine is what a borrower could see of the daemon as it was lent
	// out; a daemon that still looks so needs no reset.
	pristine string
}

func (d *daemon) unixURL() string { return "unix://" + d.Paths.Socket }
func (d *daemon) httpURL() string { return fmt.Sprintf("http://127.0.0.1:%d", d.port) }

// launch runs the daemon on text, with @DIR@ a new directory and @PORT@ a
// free port, and waits until its autostarted programs have settled.
func launch(t harness.TB, text string) *daemon {
	t.Helper()
	p := harness.TempPaths(t)
	p.Socket = filepath.Join(p.Dir, "sock")
	port := harness.FreePort(t)
	text = strings.ReplaceAll(text, "@DIR@", p.Dir)
	text = strings.ReplaceAll(text, "@PORT@", fmt.Sprint(port))
	hd := harness.Launch(t, harness.Spec{Bin: daemonBinary(), Paths: p, Config: text, StopTimeout: 20 * time.Second})
	b, err := os.ReadFile(p.Config)
	if err != nil {
		t.Fatalf("%v", err)
	}
	d := &daemon{Daemon: hd, dir: p.Dir, port: port, conf: p.Config, text: string(b)}
	d.waitStarted(t)
	d.pristine = d.look()
	return d
}

// look renders what a borrower could see of the daemon, or could have
// changed: its configuration file, the main log's size, and each
// process's state, pid, times and logs.
func (d *daemon) look() string {
	var b strings.Builder
	conf, _ := os.ReadFile(d.conf)
	b.Write(conf)
	size := func(path string) int64 {
		if fi, err := os.Stat(path); err == nil {
			return fi.Size()
		}
		return -1
	}
	fmt.Fprintf(&b, "\nmain log %d\n", size(d.Paths.Log))
	v, err := d.RPC().Call(context.Background(), "supervisor.getAllProcessInfo")
	if err != nil {
		return "unknown: " + err.Error()
	}
	for _, info := range results(v) {
		for _, k := range []string{"group", "name", "statename", "pid", "start", "stop", "exitstatus", "spawnerr"} {
			fmt.Fprintf(&b, "%s=%v ", k, info[k])
		}
		for _, k := range []string{"stdout_logfile", "stderr_logfile"} {
			f := strField(info, k)
			fmt.Fprintf(&b, "%s=%s (%d) ", k, f, size(f))
		}
		b.WriteString("\n")
	}
	return b.String()
}

// waitStarted waits until no process is STARTING or BACKOFF. Settled can
// also mean "not started yet"; the base configuration's quick exits at
// once, so once it has, every autostart program has been spawned and has
// an AUTO log to tail.
func (d *daemon) waitStarted(t harness.TB) {
	t.Helper()
	d.waitSettled(t)
	if strings.Contains(d.text, "[program:quick]") {
		d.WaitState(t, "quick", "EXITED")
	}
}

// waitSettled waits until no process is STARTING or BACKOFF.
func (d *daemon) waitSettled(t fixture) {
	t.Helper()
	d.WaitFor(asTB(t), "the processes to settle", func() bool {
		v, err := d.RPC().Call(context.Background(), "supervisor.getAllProcessInfo")
		if err != nil {
			return false
		}
		for _, info := range results(v) {
			if s := intField(info, "state"); s == 10 || s == 30 {
				return false
			}
		}
		return true
	})
}

// waitState waits until the named process reaches state.
func (d *daemon) waitState(t fixture, name, state string) {
	t.Helper()
	d.WaitState(asTB(t), name, state)
}

// reset makes a daemon a later test can use as if it were new: its
// configuration as it started, and a restart, which makes every process
// afresh (state, AUTO logs) from that configuration.
func (d *daemon) reset(t harness.TB) {
	t.Helper()
	if err := os.WriteFile(d.conf, []byte(d.text), 0o644); err != nil {
		t.Fatalf("%v", err)
	}
	// The restart is over once the daemon logs its start again.
	const started = "supervisord started with pid"
	n := strings.Count(d.Log(), started)
	if _, err := d.RPC().Call(context.Background(), "supervisor.restart"); err != nil {
		t.Fatalf("restart: %v", err)
	}
	d.WaitLog(t, started, n+1)
	d.WaitReady(t)
	d.waitStarted(t)
	d.pristine = d.look()
}

// running reports whether the daemon is up and not shutting down.
func (d *daemon) running() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, err := d.RPC().Call(ctx, "supervisor.getState")
	m, _ := v.(map[string]any)
	return err == nil && m["statename"] == "RUNNING"
}

// sharedDaemons lends daemons to tests and scripts, one borrower at a
// time each, so that a daemon is started once per configuration and
// then reused: as it is when its borrower changed nothing a later one
// could see, else after a reset. The daemons stop when the package's
// tests are done (close).
type sharedDaemons struct {
	mu      sync.Mutex           // guards idle, lenders
	idle    map[string][]*daemon // by configuration text
	lenders []*lenderT
	failed  atomic.Bool // a daemon failed to stop
}

var shared = &sharedDaemons{idle: map[string][]*daemon{}}

// get lends t a daemon on text, which it has to itself until t ends.
func (s *sharedDaemons) get(t fixture, text string) *daemon {
	t.Helper()
	s.mu.Lock()
	var d *daemon
	if list := s.idle[text]; len(list) > 0 {
		// The last one in is the most likely to need no reset.
		d, s.idle[text] = list[len(list)-1], list[:len(list)-1]
	}
	s.mu.Unlock()
	if d == nil {
		lt := &lenderT{t: t, s: s}
		s.mu.Lock()
		s.lenders = append(s.lenders, lt)
		s.mu.Unlock()
		d = launch(lt, text)
		lt.launched.Store(true)
	} else if d.look() != d.pristine {
		d.reset(asTB(t))
	}
	t.Cleanup(func() { s.put(text, d) })
	return d
}

// put takes a daemon back; one that is shutting down (a borrower asked
// it to) is stopped instead.
func (s *sharedDaemons) put(text string, d *daemon) {
	if !d.running() {
		d.Stop(20 * time.Second)
		return
	}
	s.mu.Lock()
	s.idle[text] = append(s.idle[text], d)
	s.mu.Unlock()
}

// close stops every daemon, all at once, and reports whether all stopped
// cleanly.
func (s *sharedDaemons) close() bool {
	s.mu.Lock()
	lenders := s.lenders
	s.lenders = nil
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, l := range lenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.runCleanups()
		}()
	}
	wg.Wait()
	return !s.failed.Load()
}

// lenderT is the test a shared daemon is launched for, as far as
// failures to launch it go; its cleanups wait for close.
type lenderT struct {
	t        fixture
	s        *sharedDaemons
	launched atomic.Bool
	mu       sync.Mutex // guards cleanups
	cleanups []func()
}

func (l *lenderT) Helper()                           {}
func (l *lenderT) Fatalf(format string, args ...any) { l.t.Fatalf(format, args...) }
func (l *lenderT) Errorf(format string, args ...any) {
	if !l.launched.Load() {
		l.t.Fatalf(format, args...)
	}
	fmt.Fprintf(os.Stderr, "shared daemon: "+format+"\n", args...)
	l.s.failed.Store(true)
}
func (l *lenderT) Cleanup(f func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cleanups = append(l.cleanups, f)
}

// runCleanups runs the cleanups, last registered first, as a test does.
func (l *lenderT) runCleanups() {
	l.mu.Lock()
	fns := l.cleanups
	l.cleanups = nil
	l.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
}

// asTB adapts a fixture to the harness's waits, whose Errorf is only
// called by cleanups this package does not register.
func asTB(t fixture) harness.TB {
	if tb, ok := t.(harness.TB); ok {
		return tb
	}
	return fixtureTB{t}
}

type fixtureTB struct{ fixture }

func (f fixtureTB) Errorf(format string, args ...any) { f.Fatalf(format, args...) }
