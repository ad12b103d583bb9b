package process

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"syscall"
	"time"

	"supervisord/internal/config"
)

// Env is what a process needs from the world to move between states. The
// supervisor loop implements it with the real spawner, signals, logger and
// event bus; tests implement it with a recorder. Every call happens on the
// loop goroutine, synchronously, in the order the reference performs the
// same steps (a failed kill, for example, changes what happens next).
type Env interface {
	// Spawn starts the process's command and returns its pid. A
	// *SpawnError means no child was created and the process goes to
	// BACKOFF with the message as spawnerr; a *ChildFailure means the
	// child was created but failed before exec (the reference's exit
	// 127 path).
	Spawn(p *Proc) (pid int, err error)
	// Kill sends sig to pid, or to its process group when group is set.
	// A nil error or ESRCH both count as sent.
	Kill(pid int, sig syscall.Signal, group bool) error
	// Log writes a line to the daemon's log.
	Log(level config.Level, msg string)
	// StateChanged is called after every state change, for events and
	// waiters. expected is meaningful for EXITED only.
	StateChanged(p *Proc, from State, expected bool)
}

// SpawnError is a failure to start a process in which no child was
// created (command not found, not executable, fork failed).
type SpawnError struct{ Msg string }

func (e *SpawnError) Error() string { return e.Msg }

// ChildFailure is a failure after the child was created but before it ran
// the command (chdir, setuid or exec failed). The reference's child writes
// Msg to its stderr and exits 127; the loop emulates that exit.
type ChildFailure struct {
	Pid int
	Msg string
}

func (e *ChildFailure) Error() string { return e.Msg }

// HookStarted is returned by Env.Spawn when, instead of the command, the
// process's pre-start hook was started with Pid. The process stays
// STARTING with the hook's pid until HookDone or Exited.
type HookStarted struct{ Pid int }

func (e *HookStarted) Error() string { return fmt.Sprintf("pre_start_hook running as pid %d", e.Pid) }

// Proc is one supervised process and its state. It is owned by the
// supervisor loop: no locks, no goroutines.
type Proc struct {
	Config *config.Process

	State      State
	Pid        int
	LastStart  time.Time // zero when never started
	LastStop   time.Time // zero when never stopped
	ExitStatus int       // valid when HasExit
	HasExit    bool
	SpawnErr   string
	Backoff    int
	// Delay is the deadline of the pending timed step: STARTING→RUNNING,
	// the next retry in BACKOFF, or SIGKILL in STOPPING. Zero when none.
	Delay   time.Time
	Killing bool
	// AdministrativeStop is set by Stop; SystemStop by GiveUp.
	AdministrativeStop bool
	SystemStop         bool
	// Hook is set while Pid is the process's pre-start hook rather than
	// its command: STARTING does not count towards startsecs until the
	// loop reports the command spawned with HookDone.
	Hook           bool
	lastStopReport time.Time
	// Life is the state of the lifecycle options (lifecycle.go).
	Life Lifecycle
}

// New returns a process in the STOPPED state.
func New(cfg *config.Process) *Proc {
	return &Proc{Config: cfg, State: Stopped}
}

// Mood is the daemon state that transitions depend on.
type Mood = SupervisorState

func (p *Proc) changeState(env Env, to State, expected bool, now time.Time) {
	from := p.State
	if from == to {
		return
	}
	if !allowed(from, to) {
		p.log(env, config.LevelCritical, fmt.Sprintf("BUG: %s moved from %s to %s, which the transition table does not allow", p.Config.Name, from, to))
	}
	p.State = to
	if to == Backoff {
		p.Backoff++
		p.Delay = now.Add(p.backoffDelay(env))
	}
	env.StateChanged(p, from, expected)
}

// Spawn starts the process: STOPPED/EXITED/FATAL/BACKOFF → STARTING, then
// BACKOFF when the spawn fails. It returns an error only for an illegal
// transition (a process already alive).
func (p *Proc) Spawn(env Env, now time.Time) error {
	name := p.Config.Name
	if p.Pid != 0 {
		p.log(env, config.LevelWarn, fmt.Sprintf("process '%s' already running", name))
		return fmt.Errorf("%w: %s already has pid %d", ErrBadTransition, name, p.Pid)
	}
	if err := p.check(EventSpawn); err != nil {
		return err
	}
	p.Killing = false
	p.SpawnErr = ""
	p.HasExit = false
	p.ExitStatus = 0
	p.SystemStop = false
	p.AdministrativeStop = false
	p.Hook = false
	p.LastStart = now
	p.Life.spawned()
	p.changeState(env, Starting, true, now)

	pid, err := env.Spawn(p)
	if err != nil {
		if hs, ok := err.(*HookStarted); ok {
			p.Pid = hs.Pid
			p.Hook = true
			p.Delay = time.Time{}
			return nil
		}
		if cf, ok := err.(*ChildFailure); ok && cf.Pid > 0 {
			// The child existed; its exit is reported by the loop as a
			// normal exit with status 127.
			p.recordSpawned(env, cf.Pid, now)
			return nil
		}
		p.SpawnErr = err.Error()
		p.log(env, config.LevelInfo, "spawnerr: "+p.SpawnErr)
		p.changeState(env, Backoff, true, now)
		return nil
	}
	p.recordSpawned(env, pid, now)
	return nil
}

func (p *Proc) recordSpawned(env Env, pid int, now time.Time) {
	p.Pid = pid
	p.log(env, config.LevelInfo, fmt.Sprintf("spawned: '%s' with pid %d", p.Config.Name, pid))
	p.SpawnErr = ""
	p.Delay = now.Add(p.Config.Startsecs)
}

// HookDone switches a process whose pre-start hook succeeded over to its
// command, started with pid: startsecs count from now. The state stays
// STARTING.
func (p *Proc) HookDone(env Env, pid int, now time.Time) error {
	if err := p.check(EventHookDone); err != nil {
		return err
	}
	p.Hook = false
	p.LastStart = now
	p.recordSpawned(env, pid, now)
	return nil
}

// SpawnFailed records a failure to start the command after the
// pre-start hook succeeded: STARTING → BACKOFF with msg as spawnerr, as
// for a failed Spawn.
func (p *Proc) SpawnFailed(env Env, msg string, now time.Time) error {
	if err := p.check(EventSpawnFailed); err != nil {
		return err
	}
	p.Hook = false
	p.Pid = 0
	p.SpawnErr = msg
	p.log(env, config.LevelInfo, "spawnerr: "+msg)
	p.changeState(env, Backoff, true, now)
	return nil
}

// Stop is an administrative stop: send the stop signal (or leave BACKOFF
// at once). It fails as Kill does.
func (p *Proc) Stop(env Env, now time.Time) error {
	p.AdministrativeStop = true
	p.lastStopReport = time.Time{}
	return p.Kill(env, p.Config.StopSignal, now)
}

// GiveUp moves BACKOFF → FATAL.
func (p *Proc) GiveUp(env Env, now time.Time) error {
	if err := p.check(EventGiveUp); err != nil {
		return err
	}
	p.Delay = time.Time{}
	p.Backoff = 0
	p.SystemStop = true
	p.changeState(env, Fatal, true, now)
	return nil
}

// Kill sends sig with the intention of ending the process:
// RUNNING/STARTING/STOPPING → STOPPING, BACKOFF → STOPPED. It fails with
// ErrNotRunning when there is no child, ErrSignalFailed when kill(2)
// failed (the process is then UNKNOWN), each with the reference's message
// as its text, and ErrBadTransition in a state that cannot be stopped.
func (p *Proc) Kill(env Env, sig syscall.Signal, now time.Time) error {
	name := p.Config.Name
	if p.State == Backoff {
		p.log(env, config.LevelDebug, fmt.Sprintf("Attempted to kill %s, which is in BACKOFF state.", name))
		p.changeState(env, Stopped, true, now)
		return nil
	}
	if p.Pid == 0 {
		msg := fmt.Sprintf("attempted to kill %s with sig %s but it wasn't running", name, SignalName(sig))
		p.log(env, config.LevelDebug, msg)
		return &reportedError{msg, ErrNotRunning}
	}
	// A second kill while STOPPING is the SIGKILL after stopwaitsecs.
	group := p.Config.StopAsGroup
	if p.State == Stopping {
		group = p.Config.KillAsGroup
	}
	asGroup := ""
	if group {
		asGroup = "process group "
	}
	p.log(env, config.LevelDebug, fmt.Sprintf("killing %s (pid %d) %swith signal %s", name, p.Pid, asGroup, SignalName(sig)))
	if err := p.check(EventKill); err != nil {
		return err
	}
	p.Killing = true
	p.Delay = now.Add(p.Config.StopWaitSecs)
	p.changeState(env, Stopping, true, now)
	if err := env.Kill(p.Pid, sig, group); err != nil && err != syscall.ESRCH {
		msg := fmt.Sprintf("unknown problem killing %s (%d):%v", name, p.Pid, err)
		p.log(env, config.LevelCritical, msg)
		p.changeState(env, Unknown, true, now)
		p.Killing = false
		p.Delay = time.Time{}
		return &reportedError{msg, ErrSignalFailed}
	}
	return nil
}

// Signal sends sig without the intention of ending the process. It fails
// as Kill does.
func (p *Proc) Signal(env Env, sig syscall.Signal, now time.Time) error {
	name := p.Config.Name
	if p.Pid == 0 {
		msg := fmt.Sprintf("attempted to send %s sig %s but it wasn't running", name, SignalName(sig))
		p.log(env, config.LevelDebug, msg)
		return &reportedError{msg, ErrNotRunning}
	}
	p.log(env, config.LevelDebug, fmt.Sprintf("sending %s (pid %d) sig %s", name, p.Pid, SignalName(sig)))
	if err := p.check(EventSignal); err != nil {
		return err
	}
	if err := env.Kill(p.Pid, sig, false); err != nil && err != syscall.ESRCH {
		msg := fmt.Sprintf("unknown problem sending sig %s (%d):%v", name, p.Pid, err)
		p.log(env, config.LevelCritical, msg)
		p.changeState(env, Unknown, true, now)
		return &reportedError{msg, ErrSignalFailed}
	}
	return nil
}

// Exited records the end of the process: es is the exit status as the
// reference decodes it (-1 for a signal), how the text ("exit status 1",
// "terminated by SIGKILL"). It fails, changing nothing, for a process
// that has no child to exit.
func (p *Proc) Exited(env Env, es int, how string, now time.Time) error {
	name := p.Config.Name
	tooQuickly := false
	// A child reaped in the same instant it was spawned ran for zero
	// time; only a start time truly after now means the clock went back.
	if !now.Before(p.LastStart) {
		tooQuickly = now.Sub(p.LastStart) < p.Config.Startsecs
	} else {
		p.log(env, config.LevelWarn, fmt.Sprintf("process '%s' (%d) laststart time is in the future, don't know how long process was running so assuming it did not exit too quickly", name, p.Pid))
	}
	ev := EventExit
	switch {
	case p.Life.notReady && !p.AdministrativeStop:
		ev = EventNotReadyExit
	case (tooQuickly || p.awaitsReadiness()) && !p.Killing && p.State == Starting:
		ev = EventExitEarly
	}
	if err := p.check(ev); err != nil {
		return err
	}
	p.LastStop = now
	expected := slices.Contains(p.Config.ExitCodes, es)
	p.Hook = false

	switch {
	case p.Life.takeNotReady() && !p.AdministrativeStop:
		if err := p.readinessFailed(env, how, now); err != nil {
			return err
		}
	case p.Killing:
		p.Killing = false
		p.Delay = time.Time{}
		p.ExitStatus, p.HasExit = es, true
		msg := fmt.Sprintf("stopped: %s (%s)", name, how)
		p.changeState(env, Stopped, true, now)
		if expected {
			p.log(env, config.LevelInfo, msg)
		} else {
			p.log(env, config.LevelWarn, msg)
		}
	case (tooQuickly || p.awaitsReadiness()) && p.State == Starting:
		p.HasExit = false
		p.SpawnErr = "Exited too quickly (process log may have details)"
		p.changeState(env, Backoff, true, now)
		p.log(env, config.LevelWarn, fmt.Sprintf("exited: %s (%s; not expected)", name, how))
	default:
		p.Delay = time.Time{}
		p.Backoff = 0
		p.ExitStatus, p.HasExit = es, true
		if p.State == Starting {
			p.changeState(env, Running, true, now)
		}
		if expected {
			p.changeState(env, Exited, true, now)
			p.log(env, config.LevelInfo, fmt.Sprintf("exited: %s (%s; expected)", name, how))
		} else {
			p.SpawnErr = fmt.Sprintf("Bad exit code %d", es)
			p.changeState(env, Exited, false, now)
			p.log(env, config.LevelWarn, fmt.Sprintf("exited: %s (%s; not expected)", name, how))
		}
	}
	p.Pid = 0
	return nil
}

// Transition performs the steps that are due at now: autostart,
// autorestart, retries after BACKOFF, STARTING → RUNNING after startsecs,
// BACKOFF → FATAL after too many retries, SIGKILL after stopwaitsecs. It
// is the reference's per-tick transition, run by the loop whenever
// something happened or a deadline passed.
func (p *Proc) Transition(env Env, mood Mood, now time.Time) error {
	var errs []error
	state := p.State
	c := p.Config
	if mood > SupervisorRestarting {
		switch {
		case state == Exited:
			if p.wantsAutorestart() && !now.Before(p.LastStop.Add(c.RestartPause)) {
				errs = append(errs, p.Spawn(env, now))
			}
		case state == Stopped && p.LastStart.IsZero():
			if c.Autostart {
				errs = append(errs, p.Spawn(env, now))
			}
		case state == Backoff:
			if !p.retriesExhausted() && !now.Before(p.Delay) {
				errs = append(errs, p.Spawn(env, now))
			}
		}
	}
	switch state {
	case Starting:
		if p.awaitsReadiness() {
			errs = append(errs, p.readinessDeadline(env, now))
			break
		}
		if p.State == Starting && !p.Hook && now.Sub(p.LastStart) >= c.Startsecs {
			errs = append(errs, p.started(env, now))
		}
	case Backoff:
		if p.State == Backoff && p.retriesExhausted() {
			errs = append(errs, p.GiveUp(env, now))
			p.log(env, config.LevelInfo, fmt.Sprintf("gave up: %s entered FATAL state, too many start retries too quickly", c.Name))
		}
	case Stopping:
		if p.State == Stopping && !p.Delay.IsZero() && !now.Before(p.Delay) {
			p.log(env, config.LevelWarn, fmt.Sprintf("killing '%s' (%d) with SIGKILL", c.Name, p.Pid))
			errs = append(errs, p.Kill(env, syscall.SIGKILL, now))
		}
	}
	return errors.Join(errs...)
}

// started moves STARTING → RUNNING once startsecs have passed.
func (p *Proc) started(env Env, now time.Time) error {
	if err := p.check(EventStarted); err != nil {
		return err
	}
	c := p.Config
	p.Delay = time.Time{}
	p.Backoff = 0
	p.changeState(env, Running, true, now)
	p.log(env, config.LevelInfo, fmt.Sprintf("success: %s entered RUNNING state, process has stayed up for > than %d seconds (startsecs)", c.Name, int(c.Startsecs/time.Second)))
	return nil
}

// Deadline returns when Transition next has timed work for this process,
// or the zero time when nothing is scheduled. A newly entered state may
// need an immediate transition; then the deadline is now or earlier.
func (p *Proc) Deadline(mood Mood) time.Time {
	switch p.State {
	case Exited:
		if mood > SupervisorRestarting && p.Config.RestartPause > 0 && p.wantsAutorestart() {
			return p.LastStop.Add(p.Config.RestartPause)
		}
	case Starting:
		if p.Hook || p.awaitsReadiness() && p.Config.Startsecs <= 0 {
			return time.Time{}
		}
		return p.LastStart.Add(p.Config.Startsecs)
	case Backoff:
		if p.retriesExhausted() {
			return p.Delay.Add(-p.Life.BackoffDelay) // give up now
		}
		if mood > SupervisorRestarting {
			return p.Delay
		}
	case Stopping:
		return p.Delay
	}
	return time.Time{}
}

// wantsAutorestart reports whether autorestart applies to the last exit.
func (p *Proc) wantsAutorestart() bool {
	switch p.Config.AutoRestart {
	case config.RestartAlways:
		return true
	case config.RestartUnexpected:
		return !p.HasExit || !slices.Contains(p.Config.ExitCodes, p.ExitStatus)
	}
	return false
}

// StopReport logs "waiting for x to stop" at most every two seconds while
// a stop is awaited.
func (p *Proc) StopReport(env Env, now time.Time) {
	if p.State == Stopping && now.Sub(p.lastStopReport) > 2*time.Second {
		p.log(env, config.LevelInfo, fmt.Sprintf("waiting for %s to stop", p.Config.Name))
		p.lastStopReport = now
	}
}

// StopReportDue is when StopReport next has something to say.
func (p *Proc) StopReportDue() time.Time {
	return p.lastStopReport.Add(2*time.Second + time.Millisecond)
}

// Info returns the client-visible row for the process, with the
// description as the reference formats it at now.
func (p *Proc) Info(now time.Time) Info {
	c := p.Config
	info := Info{
		Name:       c.Name,
		Group:      c.Group,
		Start:      unix(p.LastStart),
		Stop:       unix(p.LastStop),
		Now:        now.Unix(),
		State:      p.State,
		SpawnErr:   p.SpawnErr,
		ExitStatus: p.ExitStatus,
		Pid:        p.Pid,
	}
	if !p.HasExit {
		info.ExitStatus = 0
	}
	info.StdoutLogfile = StreamPath(c.Stdout)
	info.StderrLogfile = StreamPath(c.Stderr)
	info.Logfile = info.StdoutLogfile
	p.lifecycleInfo(&info)
	info.Description = Describe(info)
	return info
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// streamPath is the path process info reports for a stream: the first file
// target, else the first device (/dev/stdout, /dev/stderr, /dev/null), else
// "" (NONE, syslog).
// StreamPath is the path a process row reports for a stream: its file,
// else the device it is logged to, else "".
func StreamPath(s config.StreamLog) string {
	special := ""
	for _, t := range s.Targets {
		switch {
		case t.Kind == config.LogFile:
			return t.Path
		case special != "":
		case t.Kind == config.LogStdout:
			special = "/dev/stdout"
		case t.Kind == config.LogStderr:
			special = "/dev/stderr"
		case t.Kind == config.LogNull:
			special = "/dev/null"
		}
	}
	// The reference reports the path it was given, devices included; of
	// several targets a file is preferred, as it is what tails read.
	return special
}

// Describe formats the description field the way the reference does,
// with stop times in local time.
func Describe(i Info) string { return DescribeIn(i, time.Local) }

// appendReference appends the reference's description, DescribeIn without
// the lifecycle additions.
func appendReference(b []byte, i *Info, loc *time.Location) []byte {
	switch i.State {
	case Running:
		b = append(b, "pid "...)
		b = strconv.AppendInt(b, int64(i.Pid), 10)
		b = append(b, ", uptime "...)
		return appendUptime(b, max(i.Now-i.Start, 0))
	case Fatal, Backoff:
		if i.SpawnErr != "" {
			return append(b, i.SpawnErr...)
		}
		b = append(b, `unknown error (try "tail `...)
		b = append(b, i.Name...)
		return append(b, `")`...)
	case Stopped, Exited:
		if i.Start != 0 {
			return time.Unix(i.Stop, 0).In(loc).AppendFormat(b, "Jan 02 03:04 PM")
		}
		if i.State == Stopped && i.SpawnErr != "" {
			// Why it has not started yet (waiting for dependencies);
			// the reference never sets spawnerr before a first start.
			return append(b, i.SpawnErr...)
		}
		return append(b, "Not started"...)
	}
	return b
}

// appendUptime appends secs as Python's timedelta prints it: "H:MM:SS",
// "1 day, H:MM:SS", "N days, H:MM:SS".
func appendUptime(b []byte, secs int64) []byte {
	days := secs / 86400
	secs %= 86400
	switch {
	case days == 1:
		b = append(b, "1 day, "...)
	case days != 0:
		b = strconv.AppendInt(b, days, 10)
		b = append(b, " days, "...)
	}
	b = strconv.AppendInt(b, secs/3600, 10)
	b = append(b, ':')
	b = append2(b, secs%3600/60)
	b = append(b, ':')
	return append2(b, secs%60)
}

// append2 appends n, 0 to 99, as two digits.
func append2(b []byte, n int64) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }
