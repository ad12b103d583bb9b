package process

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/internal/config"
)

// recorder is an Env that records what the state machine asks of the
// world and answers spawns from a script.
type recorder struct {
	nextPid  int
	spawnErr error
	killErr  error
	lines    []string
	states   []string
	kills    []string
}

func (r *recorder) Spawn(p *Proc) (int, error) {
	if r.spawnErr != nil {
		return 0, r.spawnErr
	}
	r.nextPid++
	return r.nextPid, nil
}

func (r *recorder) Kill(pid int, sig syscall.Signal, group bool) error {
	r.kills = append(r.kills, fmt.Sprintf("%d %s group=%v", pid, SignalName(sig), group))
	return r.killErr
}

func (r *recorder) Log(level config.Level, msg string) { r.lines = append(r.lines, msg) }

func (r *recorder) StateChanged(p *Proc, from State, expected bool) {
	r.states = append(r.states, fmt.Sprintf("%s>%s", from, p.State))
}

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(secs float64) time.Time { return t0.Add(time.Duration(secs * float64(time.Second))) }

func newProc(mod func(*config.Process)) *Proc {
	c := &config.Process{
		Name: "web", Group: "web", Command: []string{"/bin/true"},
		Autostart: true, Startsecs: time.Second, Startretries: 3,
		AutoRestart: config.RestartUnexpected, ExitCodes: []int{0},
		StopSignal: syscall.SIGTERM, StopWaitSecs: 10 * time.Second,
	}
	if mod != nil {
		mod(c)
	}
	return New(c)
}

func TestStartToRunning(t *testing.T) {
	r := &recorder{}
	p := newProc(nil)
	p.Transition(r, SupervisorRunning, at(0))
	if p.State != Starting || p.Pid != 1 {
		t.Fatalf("state %s pid %d, want STARTING pid 1", p.State, p.Pid)
	}
	p.Transition(r, SupervisorRunning, at(0.5))
	if p.State != Starting {
		t.Fatalf("RUNNING before startsecs")
	}
	if d := p.Deadline(SupervisorRunning); !d.Equal(at(1)) {
		t.Fatalf("deadline %v, want startsecs after start", d)
	}
	p.Transition(r, SupervisorRunning, at(1))
	if p.State != Running {
		t.Fatalf("state %s after startsecs", p.State)
	}
	want := []string{"spawned: 'web' with pid 1", "success: web entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)"}
	if strings.Join(r.lines, "|") != strings.Join(want, "|") {
		t.Fatalf("log %q, want %q", r.lines, want)
	}
}

func TestBackoffThenFatal(t *testing.T) {
	r := &recorder{}
	p := newProc(nil)
	now := 0.0
	p.Transition(r, SupervisorRunning, at(now))
	// Each try exits at once: STARTING → BACKOFF, retried after 1, 2, 3 s.
	for try := 1; try <= 4; try++ {
		if p.State != Starting {
			t.Fatalf("try %d: state %s, want STARTING", try, p.State)
		}
		now += 0.1
		p.Exited(r, 1, "exit status 1", at(now))
		if p.State != Backoff || p.Backoff != try {
			t.Fatalf("try %d: state %s backoff %d", try, p.State, p.Backoff)
		}
		if p.SpawnErr != "Exited too quickly (process log may have details)" {
			t.Fatalf("spawnerr %q", p.SpawnErr)
		}
		if try <= 3 {
			due := at(now).Add(time.Duration(try) * time.Second)
			if d := p.Deadline(SupervisorRunning); !d.Equal(due) {
				t.Fatalf("try %d: retry due %v, want %v", try, d, due)
			}
			p.Transition(r, SupervisorRunning, due.Add(-time.Millisecond))
			if p.State != Backoff {
				t.Fatalf("retried early")
			}
			now += float64(try)
			p.Transition(r, SupervisorRunning, at(now))
		}
	}
	p.Transition(r, SupervisorRunning, at(now))
	if p.State != Fatal {
		t.Fatalf("state %s, want FATAL", p.State)
	}
	last := r.lines[len(r.lines)-1]
	if last != "gave up: web entered FATAL state, too many start retries too quickly" {
		t.Fatalf("last line %q", last)
	}
	wantStates := "STOPPED>STARTING STARTING>BACKOFF BACKOFF>STARTING STARTING>BACKOFF BACKOFF>STARTING STARTING>BACKOFF BACKOFF>STARTING STARTING>BACKOFF BACKOFF>FATAL"
	if got := strings.Join(r.states, " "); got != wantStates {
		t.Fatalf("states\n got %s\nwant %s", got, wantStates)
	}
}

func TestSpawnErrorGoesToBackoff(t *testing.T) {
	r := &recorder{spawnErr: &SpawnError{Msg: "can't find command 'nope'"}}
	p := newProc(nil)
	p.Transition(r, SupervisorRunning, at(0))
	if p.State != Backoff || p.SpawnErr != "can't find command 'nope'" {
		t.Fatalf("state %s spawnerr %q", p.State, p.SpawnErr)
	}
	if r.lines[0] != "spawnerr: can't find command 'nope'" {
		t.Fatalf("log %q", r.lines)
	}
	if info := p.Info(at(0)); info.Description != "can't find command 'nope'" {
		t.Fatalf("description %q", info.Description)
	}
}

func TestExitAfterRunning(t *testing.T) {
	cases := []struct {
		name      string
		restart   config.AutoRestart
		code      int
		wantLog   string
		respawned bool
	}{
		{"expected, unexpected-only", config.RestartUnexpected, 0, "exited: web (exit status 0; expected)", false},
		{"unexpected code restarts", config.RestartUnexpected, 2, "exited: web (exit status 2; not expected)", true},
		{"always restarts", config.RestartAlways, 0, "exited: web (exit status 0; expected)", true},
		{"never restarts", config.RestartNever, 2, "exited: web (exit status 2; not expected)", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &recorder{}
			p := newProc(func(c *config.Process) { c.AutoRestart = tc.restart })
			p.Transition(r, SupervisorRunning, at(0))
			p.Transition(r, SupervisorRunning, at(1))
			p.Exited(r, tc.code, fmt.Sprintf("exit status %d", tc.code), at(5))
			if p.State != Exited {
				t.Fatalf("state %s", p.State)
			}
			if got := r.lines[len(r.lines)-1]; got != tc.wantLog {
				t.Fatalf("log %q, want %q", got, tc.wantLog)
			}
			p.Transition(r, SupervisorRunning, at(5))
			if (p.State == Starting) != tc.respawned {
				t.Fatalf("state %s after transition, respawn want %v", p.State, tc.respawned)
			}
		})
	}
}

func TestStopAndKillAfterStopwaitsecs(t *testing.T) {
	r := &recorder{}
	p := newProc(func(c *config.Process) { c.StopAsGroup = true; c.KillAsGroup = true })
	p.Transition(r, SupervisorRunning, at(0))
	p.Transition(r, SupervisorRunning, at(1))
	if err := p.Stop(r, at(2)); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if p.State != Stopping || r.kills[0] != "1 SIGTERM group=true" {
		t.Fatalf("state %s kills %q", p.State, r.kills)
	}
	if d := p.Deadline(SupervisorRunning); !d.Equal(at(12)) {
		t.Fatalf("kill deadline %v", d)
	}
	p.Transition(r, SupervisorRunning, at(12))
	if len(r.kills) != 2 || r.kills[1] != "1 SIGKILL group=true" {
		t.Fatalf("kills %q", r.kills)
	}
	p.Exited(r, -1, "terminated by SIGKILL", at(12.1))
	if p.State != Stopped || r.lines[len(r.lines)-1] != "stopped: web (terminated by SIGKILL)" {
		t.Fatalf("state %s log %q", p.State, r.lines)
	}
	p.Transition(r, SupervisorRunning, at(20))
	if p.State != Stopped {
		t.Fatalf("a stopped process restarted")
	}
}

func TestStopBackoffIsImmediate(t *testing.T) {
	r := &recorder{}
	p := newProc(nil)
	p.Transition(r, SupervisorRunning, at(0))
	p.Exited(r, 1, "exit status 1", at(0.1))
	if p.State != Backoff {
		t.Fatalf("state %s", p.State)
	}
	p.Stop(r, at(0.2))
	if p.State != Stopped || len(r.kills) != 0 {
		t.Fatalf("state %s kills %v", p.State, r.kills)
	}
}

func TestStopWhenNotRunning(t *testing.T) {
	r := &recorder{}
	p := newProc(nil)
	err := p.Stop(r, at(0))
	if !errors.Is(err, ErrNotRunning) || err.Error() != "attempted to kill web with sig SIGTERM but it wasn't running" {
		t.Fatalf("err %v", err)
	}
}

func TestNoSpawnWhileShuttingDown(t *testing.T) {
	r := &recorder{}
	p := newProc(func(c *config.Process) { c.AutoRestart = config.RestartAlways })
	p.Transition(r, SupervisorRunning, at(0))
	p.Transition(r, SupervisorRunning, at(1))
	p.Exited(r, 0, "exit status 0", at(2))
	p.Transition(r, SupervisorShutdown, at(2))
	if p.State != Exited {
		t.Fatalf("respawned during shutdown: %s", p.State)
	}
}

func TestIllegalSpawn(t *testing.T) {
	r := &recorder{}
	p := newProc(nil)
	p.Spawn(r, at(0))
	if err := p.Spawn(r, at(0.1)); err == nil {
		t.Fatal("second spawn of a live process succeeded")
	}
}

func TestDescribe(t *testing.T) {
	cases := []struct {
		info Info
		want string
	}{
		{Info{State: Running, Pid: 42, Start: 100, Now: 100 + 3723}, "pid 42, uptime 1:02:03"},
		{Info{State: Running, Pid: 42, Start: 100, Now: 100 + 86400 + 5}, "pid 42, uptime 1 day, 0:00:05"},
		{Info{State: Running, Pid: 42, Start: 100, Now: 100 + 3*86400}, "pid 42, uptime 3 days, 0:00:00"},
		{Info{State: Running, Pid: 7, Start: 100, Now: 100 + 12*86400 + 23*3600 + 59*60 + 9}, "pid 7, uptime 12 days, 23:59:09"},
		{Info{State: Running, Pid: 7, Start: 200, Now: 100}, "pid 7, uptime 0:00:00"},
		{Info{State: Exited, Start: 100, Stop: 1700000000}, time.Unix(1700000000, 0).Format("Jan 02 03:04 PM")},
		{Info{State: Backoff, SpawnErr: "boom", RetryAt: 130, Now: 100, NotifyStatus: "warming"}, "boom; retry in 30s; warming"},
		{Info{State: Starting, NotifyStatus: "warming"}, "warming"},
		{Info{State: Fatal, Name: "x"}, `unknown error (try "tail x")`},
		{Info{State: Backoff, SpawnErr: "boom"}, "boom"},
		{Info{State: Stopped}, "Not started"},
		{Info{State: Starting}, ""},
	}
	for _, tc := range cases {
		if got := Describe(tc.info); got != tc.want {
			t.Errorf("Describe(%+v) = %q, want %q", tc.info, got, tc.want)
		}
	}
}

func TestRestartPause(t *testing.T) {
	tests := []struct {
		name      string
		pause     time.Duration
		exitAt    float64
		checkAt   float64
		wantState State
		wantDue   time.Time
	}{
		{"no pause restarts at once", 0, 5, 5, Starting, at(5).Add(time.Second)},
		{"within the pause waits", 2 * time.Second, 5, 6.9, Exited, at(7)},
		{"after the pause restarts", 2 * time.Second, 5, 7, Starting, at(8)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			p := newProc(func(c *config.Process) { c.RestartPause = tt.pause; c.AutoRestart = config.RestartAlways })
			p.Spawn(r, at(0))
			p.Transition(r, SupervisorRunning, at(1))
			p.Exited(r, 0, "exit status 0", at(tt.exitAt))
			p.Transition(r, SupervisorRunning, at(tt.checkAt))
			if p.State != tt.wantState {
				t.Fatalf("state %s, want %s", p.State, tt.wantState)
			}
			if got := p.Deadline(SupervisorRunning); !got.Equal(tt.wantDue) {
				t.Fatalf("deadline %v, want %v", got, tt.wantDue)
			}
		})
	}
}

// hookEnv starts a hook on the first spawn of each start.
type hookEnv struct{ recorder }

func (h *hookEnv) Spawn(p *Proc) (int, error) {
	h.nextPid++
	return 0, &HookStarted{Pid: h.nextPid}
}

func TestPreStartHook(t *testing.T) {
	tests := []struct {
		name      string
		hookOK    bool
		wantState State
		wantPid   int
	}{
		{"hook succeeds then startsecs count from the command", true, Running, 7},
		{"hook fails like a quick exit", false, Backoff, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &hookEnv{}
			p := newProc(nil)
			p.Spawn(r, at(0))
			if p.State != Starting || !p.Hook || p.Pid != 1 || !p.Deadline(SupervisorRunning).IsZero() {
				t.Fatalf("after spawn: %s hook=%v pid=%d", p.State, p.Hook, p.Pid)
			}
			p.Transition(r, SupervisorRunning, at(5))
			if p.State != Starting {
				t.Fatalf("hook counted as startsecs: %s", p.State)
			}
			if tt.hookOK {
				p.HookDone(r, 7, at(5))
				p.Transition(r, SupervisorRunning, at(5.5))
				if p.State != Starting {
					t.Fatalf("running before startsecs: %s", p.State)
				}
				p.Transition(r, SupervisorRunning, at(6))
			} else {
				p.Exited(r, 1, "exit status 1", at(0.5))
			}
			if p.State != tt.wantState || p.Pid != tt.wantPid || p.Hook {
				t.Fatalf("got %s pid %d hook=%v", p.State, p.Pid, p.Hook)
			}
		})
	}
}

func TestDescribeWaitingProcess(t *testing.T) {
	i := Info{Name: "a", State: Stopped, SpawnErr: "waiting for b"}
	if got := Describe(i); got != "waiting for b" {
		t.Fatalf("got %q", got)
	}
	i.SpawnErr = ""
	if got := Describe(i); got != "Not started" {
		t.Fatalf("got %q", got)
	}
}

func TestExitInTheSameInstantIsTooQuick(t *testing.T) {
	r := &recorder{}
	p := newProc(func(c *config.Process) { c.Startretries = 0 })
	p.Spawn(r, at(0))
	p.Exited(r, 1, "exit status 1", at(0))
	if p.State != Backoff {
		t.Fatalf("state %s, want BACKOFF for a child that died at once", p.State)
	}
	for _, l := range r.lines {
		if strings.Contains(l, "in the future") {
			t.Fatalf("equal times taken for a clock going back: %q", l)
		}
	}
}
