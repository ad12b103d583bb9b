package supervisor

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"syscall"

	"supervisord/internal/config"
	"supervisord/internal/faults"
	"supervisord/internal/process"
	"supervisord/internal/rpc"
	"supervisord/internal/spawn"
)

// Identifier implements rpc.Backend.
func (s *Supervisor) Identifier() string { return s.Config().Supervisord.Identifier }

// State implements rpc.Backend.
func (s *Supervisor) State() process.SupervisorState {
	return process.SupervisorState(s.state.Load())
}

// Pid implements rpc.Backend.
func (s *Supervisor) Pid() int { return os.Getpid() }

// Config implements rpc.Backend: the configuration last read (by start,
// reread or HUP), which is where addProcessGroup and avail look.
func (s *Supervisor) Config() *config.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

func (s *Supervisor) setLatest(cfg *config.Config) {
	s.mu.Lock()
	s.cfg = cfg
	s.mu.Unlock()
}

// Groups implements rpc.Backend. The rows come from the last published
// snapshot, rebuilt by the loop only when something changed; the time
// dependent fields (now, description) are filled in per call, and the
// usage from the last readings (usagesweep.go).
func (s *Supervisor) Groups() []rpc.GroupSnapshot {
	snap := s.current()
	if snap == nil {
		return nil
	}
	s.RefreshUsage()
	now := s.opts.Clock.Now()
	out := make([]rpc.GroupSnapshot, len(snap.groups))
	for i, g := range snap.groups {
		out[i] = g
		out[i].Processes = make([]process.Info, len(g.Processes))
		for j, info := range g.Processes {
			info.Now = now.Unix()
			info.Description = process.Describe(info)
			fillCachedUsage(&info, snap.cgroups[i][j])
			out[i].Processes[j] = info
		}
	}
	return out
}

func (l *loop) find(group, name string) (*proc, error) {
	g := l.byName[group]
	if g == nil {
		return nil, badName(group, name)
	}
	p := g.byName[name]
	if p == nil {
		return nil, badName(group, name)
	}
	return p, nil
}

func (l *loop) refuseWhenStopping() error {
	if l.mood < process.SupervisorRunning {
		return errShutdown
	}
	return nil
}

// startOne is the loop side of startProcess: the reference's checks, the
// spawn, and, with wait, a channel resolved when the process is RUNNING
// or has failed.
func (l *loop) startOne(group, name string, wait bool) (chan error, error) {
	if err := l.refuseWhenStopping(); err != nil {
		return nil, err
	}
	p, err := l.find(group, name)
	if err != nil {
		return nil, err
	}
	if p.Config.CommandError != "" {
		return nil, faults.New(faults.NotExecutable, p.Config.CommandError)
	}
	if _, err := spawn.Resolve(p.Config.Command[0], l.pathEnv()); err != nil {
		return nil, wrapFault(err)
	}
	switch {
	case p.State.IsRunning():
		return nil, faults.New(faults.AlreadyStarted, p.fullName())
	case p.State == process.Unknown:
		return nil, faults.Newf(faults.Failed, "%s is in an unknown process state", p.fullName())
	}
	if l.requestStartWithDeps(p) {
		if !wait {
			return nil, nil
		}
		return p.wait(waitRunning), nil
	}
	l.stepDone(p.Spawn(l, l.now))
	l.reap()
	if p.SpawnErr != "" {
		return nil, faults.New(faults.SpawnError, p.fullName())
	}
	l.stepDone(p.Transition(l, l.mood, l.now))
	if !wait {
		return nil, nil
	}
	return p.wait(waitRunning), nil
}

// stopOne is the loop side of stopProcess.
func (l *loop) stopOne(group, name string, wait bool) (chan error, error) {
	if err := l.refuseWhenStopping(); err != nil {
		return nil, err
	}
	p, err := l.find(group, name)
	if err != nil {
		return nil, err
	}
	if p.pendingStart && !p.State.IsRunning() {
		// A start still waiting for dependencies is cancelled.
		p.pendingStart = false
		p.SpawnErr = ""
		l.markDirty()
		p.resolveAll(faults.New(faults.AbnormalTermination, p.fullName()))
		return nil, nil
	}
	if !p.State.IsRunning() {
		return nil, faults.New(faults.NotRunning, p.fullName())
	}
	if err := l.stopProc(p); err != nil {
		l.stepDone(err)
		return nil, faults.New(faults.Failed, err.Error())
	}
	l.reap()
	if !wait {
		return nil, nil
	}
	ch := p.wait(waitStopped)
	if len(p.waiters) > 0 {
		p.StopReport(l, l.now)
	}
	return ch, nil
}

type oneFunc func(l *loop, group, name string, wait bool) (chan error, error)

// one runs a start or stop of one process and waits as asked.
func (s *Supervisor) one(ctx context.Context, f oneFunc, group, name string, wait bool) error {
	var ch chan error
	var result error
	if err := s.do(ctx, func(l *loop) { ch, result = f(l, group, name, wait) }); err != nil {
		return err
	}
	if result != nil || ch == nil {
		return result
	}
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// many acts on every process in order in one step of the loop and
// reports the results in the order Supervisor's group and "all" operations
// list them: first, in order, the failures and the processes that were
// done by the end of that step; then the waits, as they end, those ending
// in the same step of the loop in order (the reference checks its pending
// waits in order once per turn of its loop).
func (s *Supervisor) many(ctx context.Context, f oneFunc, procs []rpc.ProcessRef, wait bool, done func(int, error)) {
	chans := make([]chan error, len(procs))
	errs := make([]error, len(procs))
	if err := s.do(ctx, func(l *loop) {
		for i, p := range procs {
			chans[i], errs[i] = f(l, p.Group, p.Name, wait)
		}
	}); err != nil {
		for i := range procs {
			done(i, err)
		}
		return
	}
	var pending []int
	for i := range procs {
		if errs[i] != nil || chans[i] == nil {
			done(i, errs[i])
			continue
		}
		pending = append(pending, i)
	}
	pending = takeReady(pending, chans, -1, nil, done)
	for len(pending) > 0 {
		cases := make([]reflect.SelectCase, 0, len(pending)+1)
		for _, i := range pending {
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(chans[i])})
		}
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())})
		chosen, v, _ := reflect.Select(cases)
		if chosen == len(pending) {
			for _, i := range pending {
				done(i, ctx.Err())
			}
			return
		}
		first, _ := v.Interface().(error)
		// A round trip through the loop: every wait that ended in the
		// step that ended this one has its result in its channel now.
		_ = s.doQuiet(ctx, func(*loop) {})
		pending = takeReady(pending, chans, pending[chosen], first, done)
	}
}

// takeReady reports, in order, the pending waits whose results are in
// their channels (and the one already taken, with its result), and
// returns those still pending.
func takeReady(pending []int, chans []chan error, taken int, takenErr error, done func(int, error)) []int {
	var rest []int
	for _, i := range pending {
		if i == taken {
			done(i, takenErr)
			continue
		}
		select {
		case err := <-chans[i]:
			done(i, err)
		default:
			rest = append(rest, i)
		}
	}
	return rest
}

// StartProcess implements rpc.Backend with the reference's checks and
// wait rules; waiting is done on a channel the loop resolves when the
// process reaches RUNNING or fails, with no polling.
func (s *Supervisor) StartProcess(ctx context.Context, group, name string, wait bool) error {
	return s.one(ctx, (*loop).startOne, group, name, wait)
}

// StopProcess implements rpc.Backend.
func (s *Supervisor) StopProcess(ctx context.Context, group, name string, wait bool) error {
	return s.one(ctx, (*loop).stopOne, group, name, wait)
}

// StartProcesses implements rpc.BatchBackend.
func (s *Supervisor) StartProcesses(ctx context.Context, procs []rpc.ProcessRef, wait bool, done func(int, error)) {
	s.many(ctx, (*loop).startOne, procs, wait, done)
}

// StopProcesses implements rpc.BatchBackend.
func (s *Supervisor) StopProcesses(ctx context.Context, procs []rpc.ProcessRef, wait bool, done func(int, error)) {
	s.many(ctx, (*loop).stopOne, procs, wait, done)
}

var _ rpc.BatchBackend = (*Supervisor)(nil)
var _ rpc.StatusShutdowner = (*Supervisor)(nil)

// onProcess runs f on the loop for the named process, after the checks
// every per-process request makes (the daemon is not stopping, the name
// is known), and returns what failed.
func (s *Supervisor) onProcess(group, name string, f func(l *loop, p *proc) error) error {
	var result error
	err := s.do(context.Background(), func(l *loop) {
		if result = l.refuseWhenStopping(); result != nil {
			return
		}
		p, err := l.find(group, name)
		if err != nil {
			result = err
			return
		}
		result = f(l, p)
	})
	if err != nil {
		return err
	}
	return result
}

// SignalProcess implements rpc.Backend.
func (s *Supervisor) SignalProcess(group, name string, sig syscall.Signal) error {
	return s.onProcess(group, name, func(l *loop, p *proc) error {
		if !p.State.IsRunning() {
			return faults.New(faults.NotRunning, p.fullName())
		}
		if err := p.Signal(l, sig, l.now); err != nil {
			l.stepDone(err)
			return faults.New(faults.Failed, err.Error())
		}
		return nil
	})
}

// SendProcessStdin implements rpc.Backend.
func (s *Supervisor) SendProcessStdin(group, name string, data []byte) error {
	return s.onProcess(group, name, func(l *loop, p *proc) error {
		if p.Pid == 0 || p.Killing || p.io == nil {
			return faults.New(faults.NotRunning, p.fullName())
		}
		if !p.io.write(append([]byte(nil), data...)) {
			return faults.New(faults.NoFile, p.fullName())
		}
		return nil
	})
}

// ReloadConfig implements rpc.Backend: the file is parsed on the caller's
// goroutine, then compared on the loop with the groups in use.
func (s *Supervisor) ReloadConfig() (added, changed, removed []string, err error) {
	if s.stoppingNow() {
		return nil, nil, nil, errShutdown
	}
	cfg, err := s.opts.Reload()
	if err != nil {
		return nil, nil, nil, faults.New(faults.CantReread, err.Error())
	}
	var result error
	derr := s.do(context.Background(), func(l *loop) {
		if result = l.refuseWhenStopping(); result != nil {
			return
		}
		l.latest = cfg
		l.s.setLatest(cfg)
		added, changed, removed = config.Diff(l.activeConfig(), cfg)
		l.sdReloaded()
	})
	if derr != nil {
		return nil, nil, nil, derr
	}
	if result != nil {
		return nil, nil, nil, result
	}
	return added, changed, removed, nil
}

// activeConfig is a Config holding just the groups in use, for Diff, in
// the order they were added: the order of the reference's table of groups,
// in which reloadConfig lists the removed ones.
func (l *loop) activeConfig() *config.Config {
	c := *l.latest
	byAdd := append([]*group(nil), l.groups...)
	sort.Slice(byAdd, func(i, j int) bool { return byAdd[i].added < byAdd[j].added })
	c.Groups = make([]*config.Group, len(byAdd))
	for i, g := range byAdd {
		c.Groups[i] = g.cfg
	}
	return &c
}

// AddProcessGroup implements rpc.Backend.
func (s *Supervisor) AddProcessGroup(name string) error {
	var result error
	err := s.do(context.Background(), func(l *loop) {
		if result = l.refuseWhenStopping(); result != nil {
			return
		}
		for _, gc := range l.latest.Groups {
			if gc.Name == name {
				if !l.addGroup(gc) {
					result = faults.New(faults.AlreadyAdded, name)
				}
				return
			}
		}
		result = faults.New(faults.BadName, name)
	})
	if err != nil {
		return err
	}
	return result
}

// RemoveProcessGroup implements rpc.Backend.
func (s *Supervisor) RemoveProcessGroup(name string) error {
	var result error
	err := s.do(context.Background(), func(l *loop) {
		if result = l.refuseWhenStopping(); result != nil {
			return
		}
		g := l.byName[name]
		if g == nil {
			result = faults.New(faults.BadName, name)
			return
		}
		if g.unstopped() > 0 {
			result = faults.New(faults.StillRunning, name)
			return
		}
		l.removeGroup(name)
	})
	if err != nil {
		return err
	}
	return result
}

// Shutdown implements rpc.Backend.
func (s *Supervisor) Shutdown() error { return s.ShutdownWithStatus(0) }

// ShutdownWithStatus is Shutdown with the status Run reports in
// Result.ExitStatus, for the daemon process to exit with once everything
// has stopped. It implements rpc.StatusShutdowner.
func (s *Supervisor) ShutdownWithStatus(status int) error {
	var result error
	err := s.do(context.Background(), func(l *loop) {
		if result = l.refuseWhenStopping(); result != nil {
			return
		}
		msg := "received shutdown request"
		if status != 0 {
			msg += fmt.Sprintf(" (exit status %d)", status)
		}
		l.Log(config.LevelWarn, msg)
		l.exitStatus = status
		l.requestShutdown(process.SupervisorShutdown)
	})
	if err != nil {
		return err
	}
	return result
}

// Restart implements rpc.Backend. The configuration is read first; a
// broken one is refused with CANT_REREAD and nothing is stopped.
func (s *Supervisor) Restart() error {
	if s.stoppingNow() {
		return errShutdown
	}
	// Parse here, off the loop; the loop only applies.
	next, perr := s.opts.Reload()
	var result error
	err := s.do(context.Background(), func(l *loop) {
		if result = l.refuseWhenStopping(); result != nil {
			return
		}
		if perr != nil {
			result = faults.New(faults.CantReread, perr.Error())
			return
		}
		l.beginRestart(next)
	})
	if err != nil {
		return err
	}
	return result
}

// MainLogfile implements rpc.Backend.
func (s *Supervisor) MainLogfile() string {
	f := s.Config().Supervisord.Logfile
	if f == "syslog" {
		return ""
	}
	return f
}

// ClearMainLog implements rpc.Backend.
func (s *Supervisor) ClearMainLog() error {
	if s.opts.ClearMainLog == nil {
		return faults.New(faults.NoFile, "")
	}
	return s.opts.ClearMainLog()
}

// ClearProcessLogs implements rpc.Backend.
func (s *Supervisor) ClearProcessLogs(group, name string) error {
	var result error
	err := s.do(context.Background(), func(l *loop) {
		p, err := l.find(group, name)
		if err != nil {
			result = err
			return
		}
		if p.outs == nil {
			return
		}
		if err := p.outs.clear(); err != nil {
			result = faults.New(faults.Failed, fmt.Sprintf("%s: %v", p.fullName(), err))
		}
	})
	if err != nil {
		return err
	}
	return result
}

// SendRemoteCommEvent implements rpc.Backend.
func (s *Supervisor) SendRemoteCommEvent(typ, data string) error {
	return s.do(context.Background(), func(l *loop) {
		l.emitRemoteComm(typ, data)
	})
}
