package supervisor

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"syscall"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/deps"
	"supervisord/internal/events"
	"supervisord/internal/faults"
	"supervisord/internal/fcgi"
	"supervisord/internal/health"
	"supervisord/internal/process"
	"supervisord/internal/reaper"
	"supervisord/internal/watch"
)

// loop is the state owned by the supervisor goroutine. Nothing here is
// touched from any other goroutine.
type loop struct {
	s      *Supervisor
	log    *slog.Logger
	cfg    *config.Config // in force: [supervisord] settings, servers
	latest *config.Config // last read: where addProcessGroup looks

	groups []*group // active groups, sorted by (priority, name)
	alive  int      // their processes not in a stopped state (group.alive)
	byName map[string]*group
	byPid  map[int]*proc
	of     map[*process.Proc]*proc

	groupsAdded uint64 // groups added so far, to know their order of addition

	mood       process.SupervisorState
	stopping   bool
	stopGroups []*group
	lastReport time.Time
	next       *config.Config // config to restart with
	exitStatus int            // the daemon's exit status after a shutdown

	timer   Timer
	armedAt time.Time
	env     []string
	now     time.Time // the time of the step being processed

	bus         *events.Bus
	listenerOut chan listenerOutput
	sockets     map[string]*fcgi.Socket // fcgi-program groups' shared sockets

	aux      map[int]*auxRun // auxiliary children by pid
	graph    *deps.Graph     // nil when no program has depends_on
	healthCh chan health.Transition
	watcher  *watch.Watcher // nil until a program watches files
	watchCh  chan watch.Event
	changes  int // state changes so far, to repeat a step that made some
	// drains are the output captures of children reaped since the last
	// SIGCHLD report (sigchldReport).
	drains []chan struct{}
	life   lifeState

	sd  sdState      // what the service manager was told (sdnotify.go)
	mem memoryReturn // memory handed back after bursts (memory.go)
	ct  containment  // cgroups, parked exits, memory ceilings (containment.go)

	snapRows
	sched schedule
}

type group struct {
	cfg    *config.Group
	procs  []*proc // in configuration order
	byName map[string]*proc
	added  uint64  // when it was added, for the reference's dict order
	place  int     // index in the last full snapshot
	sorted []*proc // byPriority, computed once

	// alive counts the processes not in a stopped state, kept by
	// StateChanged, so that a shutdown asks "is everything stopped?" in
	// O(1) after each exit rather than walking every process.
	alive int
	// stopPending is what a shutdown must visit again in this group: after
	// its first pass (stopWalked), the processes left RUNNING, STARTING or
	// BACKOFF, or held back for their dependents, and those that entered
	// one of those states since. A shutdown visited every process after
	// every exit: at 10,000 programs that was 10,000 × 30,000 visits.
	stopWalked  bool
	stopPending []*proc
}

// proc is a process and the loop's resources for it.
type proc struct {
	*process.Proc
	g    *group
	io   *childIO
	outs *outputs
	// holdsSocket is set while the process holds a reference on its
	// group's fcgi socket.
	holdsSocket bool
	waiters     []waiter

	spawns       uint64    // Spawn calls, for the restart count
	hookDeadline time.Time // pre_start_hook timeout
	hookKilled   bool      // the pre_start_hook was killed at its timeout
	stopHookPid  int       // running pre_stop_hook

	// pendingStart is a start request waiting for dependencies.
	pendingStart bool
	// restartAfterStop starts the process again once it has stopped.
	restartAfterStop bool

	checker      *health.Checker // while RUNNING with a liveness check
	probe        health.Probe
	checkerSince time.Time
	health       health.Status
	life         procLife
	cg           procCgroup // containment.go

	rowPlace
	slot
}

type waitKind int

const (
	waitRunning waitKind = iota
	waitStopped
)

type waiter struct {
	kind waitKind
	ch   chan error
}

func newLoop(s *Supervisor, cfg *config.Config) *loop {
	l := &loop{
		s:      s,
		log:    s.log,
		cfg:    cfg,
		latest: cfg,
		byName: map[string]*group{},
		byPid:  map[int]*proc{},
		of:     map[*process.Proc]*proc{},
		mood:   process.SupervisorRunning,
		env:    childBaseEnv(s.opts.Environ, cfg),
		bus:    events.NewBus(cfg.Supervisord.Identifier),

		listenerOut: make(chan listenerOutput, 64),
		sockets:     map[string]*fcgi.Socket{},

		aux:      map[int]*auxRun{},
		healthCh: make(chan health.Transition, 64),
		watchCh:  make(chan watch.Event, 64),
	}
	l.life.readyCh = make(chan health.Transition, 64)
	l.now = l.s.opts.Clock.Now()
	l.ct.c = s.opts.Containment
	for _, gc := range cfg.Groups {
		l.addGroup(gc)
	}
	return l
}

// childBaseEnv is the daemon environment plus [supervisord] environment.
func childBaseEnv(environ []string, cfg *config.Config) []string {
	env := append([]string(nil), environ...)
	for _, kv := range cfg.Supervisord.Environment {
		env = setEnv(env, kv.Key, kv.Value)
	}
	return env
}

func setEnv(env []string, k, v string) []string {
	prefix := k + "="
	for i, e := range env {
		if len(e) >= len(prefix) && e[:len(prefix)] == prefix {
			env[i] = prefix + v
			return env
		}
	}
	return append(env, prefix+v)
}

func (l *loop) addGroup(gc *config.Group) bool {
	if _, ok := l.byName[gc.Name]; ok {
		return false
	}
	if gc.Kind == config.KindFcgiProgram && gc.Socket != nil {
		l.sockets[gc.Name] = fcgi.New(*gc.Socket, l.log)
	}
	if gc.Kind == config.KindEventListener && gc.Pool != nil {
		if err := l.addPool(gc); err != nil {
			l.Log(config.LevelError, err.Error())
		}
	}
	l.groupsAdded++
	g := &group{cfg: gc, byName: map[string]*proc{}, added: l.groupsAdded}
	for _, pc := range gc.Processes {
		p := &proc{Proc: process.New(pc), g: g}
		g.procs = append(g.procs, p)
		g.byName[pc.Name] = p
		l.of[p.Proc] = p
	}
	l.byName[gc.Name] = g
	l.groups = append(l.groups, g)
	l.alive += g.alive
	// Stable by priority alone: equal priorities keep the order in which
	// groups were added, as the reference's sort does.
	sort.SliceStable(l.groups, func(i, j int) bool {
		return l.groups[i].cfg.Priority < l.groups[j].cfg.Priority
	})
	l.rebuildGraph()
	l.groupsChanged()
	l.addWatches(g)
	l.markDirty()
	l.publish(events.ProcessGroupAddedEvent(gc.Name))
	return true
}

func (l *loop) removeGroup(name string) {
	g := l.byName[name]
	delete(l.byName, name)
	for i, x := range l.groups {
		if x == g {
			l.groups = append(l.groups[:i], l.groups[i+1:]...)
			l.alive -= g.alive
			break
		}
	}
	l.removeWatches(g)
	for _, p := range g.procs {
		delete(l.of, p.Proc)
		l.forget(p)
		l.stopChecker(p)
		l.dropCgroup(p)
		if p.outs != nil {
			p.outs.close()
		}
	}
	l.rebuildGraph()
	l.groupsChanged()
	l.bus.RemovePool(name)
	if sock := l.sockets[name]; sock != nil {
		sock.Close()
		delete(l.sockets, name)
	}
	l.markDirty()
	l.publish(events.ProcessGroupRemovedEvent(name))
}

func (l *loop) markDirty() { l.staleAll = true; l.s.dirty.Store(true); l.s.subs.changed() }

// run is the loop. Every input is handled to completion, then every
// process gets its transition, then the timer is armed for the earliest
// deadline and the loop sleeps until the next input.
func (l *loop) run(ctx context.Context, sigs, chld <-chan os.Signal) Result {
	l.timer = l.s.opts.Clock.NewTimer(time.Hour)
	l.timer.Stop()
	defer l.timer.Stop()
	ctxDone := ctx.Done()
	l.now = l.s.opts.Clock.Now()
	l.startContainment()
	l.publish(events.SupervisorRunningEvent())
	watchdog := l.sdStart()
	defer l.sdStop()
	l.startMemoryReturn()
	for {
		l.now = l.s.opts.Clock.Now()
		if l.settle() {
			break
		}
		select {
		case f := <-l.s.cmds:
			l.now = l.s.opts.Clock.Now()
			f(l)
			l.afterCommand()
		case <-chld:
			l.now = l.s.opts.Clock.Now()
			l.reap()
			l.sigchldReport()
		case sig := <-sigs:
			l.now = l.s.opts.Clock.Now()
			l.handleSignal(sig.(syscall.Signal))
		case <-l.timer.C():
			l.armedAt = time.Time{}
			l.now = l.s.opts.Clock.Now()
			l.apply(l.bus.Tick(l.now))
		case ev := <-l.s.sink.ch:
			l.now = l.s.opts.Clock.Now()
			l.outputEvent(ev)
		case out := <-l.listenerOut:
			l.now = l.s.opts.Clock.Now()
			l.apply(l.bus.Feed(out.group, out.name, out.data, l.now))
		case t := <-l.healthCh:
			l.now = l.s.opts.Clock.Now()
			l.healthChanged(t)
			l.touchAll()
		case ev := <-l.watchCh:
			l.now = l.s.opts.Clock.Now()
			l.watchFired(ev)
			l.touchAll()
		case <-watchdog:
			l.sdWatchdog()
		case m := <-l.life.notifyCh:
			l.now = l.s.opts.Clock.Now()
			l.notified(m)
			l.touchAll()
		case t := <-l.life.readyCh:
			l.now = l.s.opts.Clock.Now()
			l.readyChecked(t)
			l.touchAll()
		case ev := <-l.cgroupEvents():
			l.now = l.s.opts.Clock.Now()
			l.cgroupEvent(ev) // touches the process it is about
		case <-ctxDone:
			ctxDone = nil
			l.requestShutdown(process.SupervisorShutdown)
		}
		// No reap here: wait4(-1) looks at every child, so a reap after
		// each input made the loop O(N) per input (a start of 10,000
		// programs in cgroups, each bringing a populated event, kept a
		// core busy for a minute). A SIGCHLD that arrives while one is
		// pending is folded into it, and that reap collects every exit.
	}
	l.finish()
	if l.mood == process.SupervisorRestarting && l.next != nil {
		return Result{Restart: true, Next: l.next}
	}
	return Result{ExitStatus: l.exitStatus}
}

// settle is the work after every input: the transitions it enabled, the
// shutdown's progress, and the timer for the next deadline. It reports
// whether the shutdown has finished.
func (l *loop) settle() bool {
	// A state change late in a step can enable a process visited
	// earlier in it (a dependency entering RUNNING): step again.
	for i := 0; i < 8; i++ {
		before := l.changes
		l.step()
		if l.changes == before {
			break
		}
	}
	l.sdNotifyStep()
	l.returnMemoryAfterBurst()
	if l.stopping && l.shutdownStep() {
		return true
	}
	l.arm()
	return false
}

// step runs every process's transition in start order.
func (l *loop) step() {
	l.auxTimeouts()
	l.containmentStep()
	for _, procs := range l.takeReady() {
		for _, p := range procs {
			l.hookTimeout(p)
			if p.restartAfterStop && p.State.IsStopped() {
				p.restartAfterStop = false
				if l.mood == process.SupervisorRunning {
					l.stepDone(p.Spawn(l, l.now))
				}
			}
			if l.holdForDeps(p) {
				continue
			}
			l.stepDone(p.Transition(l, l.mood, l.now))
			if len(p.waiters) > 0 && p.State == process.Stopping {
				p.StopReport(l, l.now)
			}
		}
	}
}

// arm sets the timer for the earliest deadline of any process.
func (l *loop) arm() {
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	consider(l.nextDue())
	if l.stopping {
		consider(l.lastReport.Add(3 * time.Second))
	}
	l.auxDeadlines(consider)
	l.containmentDeadlines(consider)
	if t, ok := l.bus.NextTick(l.now); ok {
		consider(t)
	}
	if next.IsZero() {
		if !l.armedAt.IsZero() {
			l.timer.Stop()
			l.armedAt = time.Time{}
		}
		return
	}
	if next.Equal(l.armedAt) {
		return
	}
	l.timer.Stop()
	select {
	case <-l.timer.C():
	default:
	}
	d := next.Sub(l.s.opts.Clock.Now())
	if d < 0 {
		d = 0
	}
	l.timer.Reset(d)
	l.armedAt = next
}

// reap collects every child that has exited.
func (l *loop) reap() {
	l.s.reaps.Add(1)
	exits := reaper.Reap()
	if len(exits) > 0 {
		// An exit is timed when it is seen, not when the step began: a
		// child spawned earlier in this step must not look older than it is.
		l.now = l.s.opts.Clock.Now()
	}
	for _, e := range exits {
		code, how := reaper.Describe(e.Status)
		if l.reapAux(e.Pid, code, how) {
			l.touchAll()
			continue
		}
		p := l.byPid[e.Pid]
		if p == nil {
			l.Log(l.unknownPidLevel(), fmt.Sprintf("reaped unknown pid %d (%s)", e.Pid, how))
			continue
		}
		delete(l.byPid, e.Pid)
		if p.io != nil {
			l.drains = append(l.drains, p.io.drained)
			p.io.exited()
			p.io = nil
		}
		l.releaseSocket(p)
		p.noteExit(e.Status)
		if l.parkExit(p, e.Pid, code, how) {
			continue
		}
		if p.Hook {
			l.preStartHookExited(p, code, how)
		} else {
			l.stepDone(p.Exited(l, code, how, l.now))
			l.removeEarly(p)
		}
		l.markRow(p)
		l.touch(p)
	}
}

func (l *loop) handleSignal(sig syscall.Signal) {
	name := process.SignalName(sig)
	switch sig {
	case syscall.SIGTERM, syscall.SIGINT, syscall.SIGQUIT:
		l.Log(config.LevelWarn, fmt.Sprintf("received %s indicating exit request", name))
		l.requestShutdown(process.SupervisorShutdown)
	case syscall.SIGHUP:
		if l.mood == process.SupervisorShutdown {
			l.Log(config.LevelWarn, fmt.Sprintf("ignored %s indicating restart request (shutdown in progress)", name))
			return
		}
		l.Log(config.LevelWarn, fmt.Sprintf("received %s indicating restart request", name))
		l.restartOnHUP()
	case syscall.SIGUSR2:
		l.Log(config.LevelInfo, fmt.Sprintf("received %s indicating log reopen request", name))
		if l.s.opts.ReopenLogs != nil {
			l.s.opts.ReopenLogs()
		}
		for _, g := range l.groups {
			for _, p := range g.procs {
				if p.outs != nil {
					p.outs.reopen()
				}
			}
		}
	default:
		l.Log(config.LevelBlather, fmt.Sprintf("received %s indicating nothing", name))
	}
}

func (l *loop) requestShutdown(mood process.SupervisorState) {
	if l.mood < mood {
		return // already shutting down; shutdown beats restart
	}
	l.mood = mood
	l.touchAll()
	l.s.state.Store(int32(mood))
	l.markDirty()
	if !l.stopping {
		l.stopping = true
		l.stopGroups = append([]*group(nil), l.groups...)
		for _, g := range l.groups {
			for _, p := range g.procs {
				p.pendingStart = false
				p.restartAfterStop = false
			}
		}
		l.lastReport = time.Time{}
		l.publish(events.SupervisorStoppingEvent())
	}
}

// shutdownStep stops groups one at a time from the highest priority down
// and reports whether everything is stopped.
func (l *loop) shutdownStep() bool {
	for len(l.stopGroups) > 0 {
		g := l.stopGroups[len(l.stopGroups)-1]
		g.stopAll(l, l.now)
		if g.unstopped() > 0 {
			break
		}
		l.stopGroups = l.stopGroups[:len(l.stopGroups)-1]
	}
	if l.unstopped() == 0 {
		return true
	}
	if l.now.Sub(l.lastReport) >= 3*time.Second {
		l.Log(config.LevelInfo, "waiting for "+joinComma(l.unstoppedNames())+" to die")
		l.lastReport = l.now
		l.logUnstopped()
	}
	return false
}

func joinComma(names []string) string { return strings.Join(names, ", ") }

// byPriority returns the group's processes stably sorted by priority,
// the order in which the reference acts on a group.
func (g *group) byPriority() []*proc {
	if g.sorted != nil {
		return g.sorted
	}
	procs := append([]*proc(nil), g.procs...)
	sort.SliceStable(procs, func(i, j int) bool { return procs[i].Config.Priority < procs[j].Config.Priority })
	g.sorted = procs
	return procs
}

func (g *group) stopAll(l *loop, now time.Time) {
	visit := g.stopPending
	if !g.stopWalked {
		g.stopWalked = true
		visit = g.byPriority()
	}
	// In reverse priority order, as the first pass; the pending list is
	// kept in that order, with what StateChanged adds at its end.
	g.stopPending = nil
	for i := len(visit) - 1; i >= 0; i-- {
		p := visit[i]
		if l.stopDependentsFirst(p) {
			g.stopPending = append(g.stopPending, p)
			continue
		}
		switch p.State {
		case process.Running, process.Starting:
			l.stepDone(l.stopProc(p))
		case process.Backoff:
			l.stepDone(p.GiveUp(l, now))
		}
		if needsStop(p.State) {
			g.stopPending = append(g.stopPending, p)
		}
	}
	slices.Reverse(g.stopPending)
}

// needsStop reports whether a shutdown has something to do for a process
// in state s.
func needsStop(s process.State) bool {
	return s == process.Running || s == process.Starting || s == process.Backoff
}

func (g *group) unstopped() int { return g.alive }

// finish releases what the loop holds once every process has stopped.
func (l *loop) finish() {
	l.stopMemoryReturn()
	if l.watcher != nil {
		l.watcher.Close()
	}
	for _, g := range l.groups {
		for _, p := range g.procs {
			l.stopChecker(p)
			p.resolveAll(faults.New(faults.ShutdownState, ""))
			l.takePrepared(p)
			if p.outs != nil {
				p.outs.close()
			}
		}
	}
	for _, sock := range l.sockets {
		sock.Close()
	}
	l.closeLifecycle()
	l.finishContainment()
	l.s.state.Store(int32(process.SupervisorShutdown))
	if l.mood == process.SupervisorRestarting {
		l.s.state.Store(int32(process.SupervisorRestarting))
	}
}

// Log implements process.Env.
func (l *loop) Log(level config.Level, msg string) {
	l.log.Log(context.Background(), SlogLevel(level), msg)
}

// StateChanged implements process.Env: it resolves waiters and marks the
// snapshot stale.
func (l *loop) StateChanged(pp *process.Proc, from process.State, expected bool) {
	l.markRow(l.of[pp])
	l.touch(l.of[pp])
	l.changes++
	p := l.of[pp]
	if p == nil {
		return
	}
	if was, is := !from.IsStopped(), !pp.State.IsStopped(); was != is {
		d := 1
		if was {
			d = -1
		}
		p.g.alive += d
		if l.byName[p.g.cfg.Name] == p.g {
			l.alive += d
		}
	}
	if l.stopping && p.g.stopWalked && needsStop(pp.State) && !needsStop(from) {
		p.g.stopPending = append(p.g.stopPending, p)
	}
	l.stateEvent(p, from, expected)
	l.livenessChanged(p, from)
	l.lifecycleChanged(p, from)
	if len(p.waiters) == 0 {
		return
	}
	kept := p.waiters[:0]
	for _, w := range p.waiters {
		if err, done := p.check(w.kind); done {
			w.ch <- err
			continue
		}
		kept = append(kept, w)
	}
	p.waiters = kept
}

// check tells whether a waiter of kind is satisfied and with what result,
// following the reference's startProcess/stopProcess wait rules.
func (p *proc) check(kind waitKind) (error, bool) {
	switch kind {
	case waitRunning:
		if p.pendingStart {
			return nil, false
		}
		if p.SpawnErr != "" {
			return faults.New(faults.SpawnError, p.fullName()), true
		}
		switch p.State {
		case process.Running:
			return nil, true
		case process.Starting:
			return nil, false
		}
		return faults.New(faults.AbnormalTermination, p.fullName()), true
	case waitStopped:
		if p.State.IsStopped() {
			return nil, true
		}
	}
	return nil, false
}

func (p *proc) resolveAll(err error) {
	for _, w := range p.waiters {
		w.ch <- err
	}
	p.waiters = nil
}

func (p *proc) fullName() string {
	if p.g.cfg.Name == p.Config.Name {
		return p.Config.Name
	}
	return p.g.cfg.Name + ":" + p.Config.Name
}

// wait registers a waiter and returns its channel (buffered, so the loop
// never blocks on a caller that went away).
func (p *proc) wait(kind waitKind) chan error {
	ch := make(chan error, 1)
	if err, done := p.check(kind); done {
		ch <- err
		return ch
	}
	p.waiters = append(p.waiters, waiter{kind: kind, ch: ch})
	return ch
}

// sigchldReport logs the reference's debug line for a SIGCHLD. The
// reference reads a child's last output before it handles the signal, so
// the line comes after that output in its log; here the output is logged
// by the capture goroutines, so at debug level the line waits (off the
// loop, at most drainGrace) for the captures of the children reaped since
// the last report.
func (l *loop) sigchldReport() {
	const line = "received SIGCHLD indicating a child quit"
	drains := l.drains
	l.drains = nil
	if len(drains) == 0 || !l.log.Enabled(context.Background(), SlogLevel(config.LevelDebug)) {
		l.Log(config.LevelDebug, line)
		return
	}
	go func() {
		for _, d := range drains {
			<-d
		}
		l.Log(config.LevelDebug, line)
	}()
}
