package supervisor

import (
	"context"
	"fmt"
	"strings"

	"supervisord/internal/config"
	"supervisord/internal/deps"
	"supervisord/internal/faults"
	"supervisord/internal/health"
	"supervisord/internal/process"
	"supervisord/internal/watch"
)

// fullKey is the "group:name" key that deps, health and watch use.
func (p *proc) fullKey() string { return p.Config.Group + ":" + p.Config.Name }

// lookup finds an active process by its "group:name" key.
func (l *loop) lookup(full string) *proc {
	group, name, ok := strings.Cut(full, ":")
	if !ok {
		group, name = full, full
	}
	g := l.byName[group]
	if g == nil {
		return nil
	}
	return g.byName[name]
}

// rebuildGraph builds the dependency graph of the active groups.
func (l *loop) rebuildGraph() {
	l.graph = nil
	uses := false
	for _, g := range l.latest.Groups {
		for _, p := range g.Processes {
			if len(p.DependsOn) > 0 {
				uses = true
			}
		}
	}
	if !uses {
		return
	}
	// The whole configuration, so a dependency in a group not added yet
	// is simply not ready.
	graph, err := deps.New(l.latest)
	if err != nil {
		l.Log(config.LevelError, "depends_on ignored: "+err.Error())
		return
	}
	l.graph = graph
}

// ready is the readiness rule of depends_on.
func (l *loop) ready(full string) bool {
	p := l.lookup(full)
	if p == nil || p.State != process.Running {
		return false
	}
	return p.Config.Liveness == nil || p.health == health.Healthy
}

// failed tells a dependency that will not come up by itself.
func (l *loop) failed(full string) bool {
	p := l.lookup(full)
	return p != nil && p.State == process.Fatal && !p.pendingStart
}

// holdForDeps decides whether p, due to start (autostart or a pending
// start request), must wait for its dependencies; it then records why in
// spawnerr and the loop skips p's transition. A pending start whose
// dependencies are ready is performed here.
func (l *loop) holdForDeps(p *proc) bool {
	if l.graph == nil || l.mood != process.SupervisorRunning {
		p.pendingStart = false
		return false
	}
	autostart := p.State == process.Stopped && p.LastStart.IsZero() && p.Config.Autostart
	if !autostart && !p.pendingStart {
		return false
	}
	full := p.fullKey()
	ok, waiting := l.graph.MayStart(full, l.ready)
	if ok {
		if p.pendingStart {
			p.pendingStart = false
			if !p.State.IsRunning() && p.State != process.Stopping {
				p.Spawn(l, l.now)
			}
		}
		return false
	}
	msg := "waiting for " + shortNames(waiting)
	if blocked := l.graph.Blocked(full, l.failed); len(blocked) > 0 {
		parts := make([]string, len(blocked))
		for i, b := range blocked {
			parts[i] = fmt.Sprintf("dependency %s failed (%s)", shortName(b), l.lookup(b).State)
		}
		msg = strings.Join(parts, ", ")
		if p.pendingStart {
			p.pendingStart = false
			p.SpawnErr = msg
			l.markDirty()
			p.resolveAll(faults.New(faults.SpawnError, p.fullName()))
			return true
		}
	}
	if p.SpawnErr != msg {
		p.SpawnErr = msg
		l.markDirty()
	}
	return true
}

// shortName is "name" for a process alone in its group, else "group:name".
func shortName(full string) string {
	group, name, ok := strings.Cut(full, ":")
	if ok && group == name {
		return name
	}
	return full
}

func shortNames(fulls []string) string {
	out := make([]string, len(fulls))
	for i, f := range fulls {
		out[i] = shortName(f)
	}
	return strings.Join(out, ", ")
}

// requestStartWithDeps marks p and every process it depends on that is
// not running as pending: each is started by the loop's step once its own
// dependencies are up.
func (l *loop) requestStartWithDeps(p *proc) bool {
	if l.graph == nil || len(l.graph.DependsOn(p.fullKey())) == 0 {
		return false
	}
	for _, d := range l.graph.StartBefore(p.fullKey()) {
		dp := l.lookup(d)
		if dp != nil && !dp.State.IsRunning() && dp.State != process.Stopping {
			dp.pendingStart = true
		}
	}
	p.pendingStart = true
	p.SpawnErr = ""
	l.markDirty()
	return true
}

// stopDependentsFirst stops what depends on p and reports whether any of
// it is still up, in which case p must wait.
func (l *loop) stopDependentsFirst(p *proc) bool {
	if l.graph == nil {
		return false
	}
	waiting := false
	for _, d := range l.graph.StopBefore(p.fullKey()) {
		dp := l.lookup(d)
		if dp == nil || dp.State.IsStopped() {
			continue
		}
		waiting = true
		switch dp.State {
		case process.Running, process.Starting:
			l.stopProc(dp)
		case process.Backoff:
			dp.GiveUp(l, l.now)
		}
	}
	return waiting
}

// livenessChanged starts or stops p's liveness checker as it enters or
// leaves RUNNING.
func (l *loop) livenessChanged(p *proc, from process.State) {
	lv := p.Config.Liveness
	if lv == nil {
		return
	}
	switch {
	case p.State == process.Running && from != process.Running:
		probe, err := health.NewProbe(lv, scriptRunner{s: l.s, owner: p.fullKey()})
		if err != nil {
			l.Log(config.LevelError, fmt.Sprintf("liveness check for '%s' not started: %v", p.Config.Name, err))
			return
		}
		p.health = health.Unknown
		p.checkerSince = l.now
		p.probe = probe
		p.checker = health.Start(context.Background(), p.fullKey(), *lv, probe, health.Options{Notify: l.healthCh})
	case from == process.Running && p.State != process.Running:
		l.stopChecker(p)
	}
}

func (l *loop) stopChecker(p *proc) {
	if p.checker == nil {
		return
	}
	p.checker.Stop()
	if c, ok := p.probe.(interface{ Close() }); ok {
		c.Close()
	}
	p.checker, p.probe = nil, nil
	p.health = health.Unknown
	l.markDirty()
}

// healthChanged acts on a checker's transition.
func (l *loop) healthChanged(t health.Transition) {
	p := l.lookup(t.Process)
	if p == nil || p.checker == nil || t.At.Before(p.checkerSince) {
		return // from a checker stopped since
	}
	p.health = t.Status
	l.markDirty()
	lv := p.Config.Liveness
	action := lv.SuccessAction
	if t.Status == health.Unhealthy {
		action = lv.FailureAction
		l.Log(config.LevelWarn, fmt.Sprintf("liveness check of '%s' failed %d times in a row: %v", p.Config.Name, t.Consecutive, t.Err))
	} else {
		l.Log(config.LevelInfo, fmt.Sprintf("liveness check of '%s': %s", p.Config.Name, t.Status))
	}
	l.act(p, action, "liveness action")
}

// act performs a liveness action: restart, stop or script:<command>.
func (l *loop) act(p *proc, action, what string) {
	switch {
	case action == "":
	case action == "restart":
		l.restart(p)
	case action == "stop":
		if p.State == process.Running || p.State == process.Starting {
			l.stopProc(p)
		}
	case strings.HasPrefix(strings.ToLower(action), "script:"):
		l.runCommand(p, what, []string{"/bin/sh", "-c", action[len("script:"):]})
	}
}

// restart stops p and starts it again once it has stopped.
func (l *loop) restart(p *proc) {
	if p.State != process.Running && p.State != process.Starting {
		return
	}
	p.restartAfterStop = true
	l.stopProc(p)
}

// addWatches starts the file watches of a group's programs.
func (l *loop) addWatches(g *group) {
	for _, p := range g.procs {
		c := p.Config
		if !c.RestartWhenBinaryChanged && c.RestartDirectoryMonitor == "" {
			continue
		}
		if l.watcher == nil {
			w, err := watch.New(watch.Options{Notify: l.watchCh, Error: func(err error) {
				l.Log(config.LevelWarn, "file watch: "+err.Error())
			}})
			if err != nil {
				l.Log(config.LevelError, "file watches disabled: "+err.Error())
				return
			}
			l.watcher = w
		}
		if c.RestartWhenBinaryChanged && len(c.Command) > 0 {
			if err := l.watcher.WatchBinary(p.fullKey(), resolveCommand(c, c.Command[0]), l.pathEnv()); err != nil {
				l.Log(config.LevelWarn, fmt.Sprintf("cannot watch the binary of '%s': %v", c.Name, err))
			}
		}
		if c.RestartDirectoryMonitor != "" {
			if err := l.watcher.WatchTree(p.fullKey(), c.RestartDirectoryMonitor, c.RestartFilePattern); err != nil {
				l.Log(config.LevelWarn, fmt.Sprintf("cannot watch %s for '%s': %v", c.RestartDirectoryMonitor, c.Name, err))
			}
		}
	}
}

func (l *loop) removeWatches(g *group) {
	if l.watcher == nil {
		return
	}
	for _, p := range g.procs {
		l.watcher.Remove(p.fullKey())
	}
}

// watchFired acts on a change to what a program watches.
func (l *loop) watchFired(ev watch.Event) {
	p := l.lookup(ev.Key)
	if p == nil {
		return
	}
	c := p.Config
	cmd, sig, what := c.RestartCmdWhenFileChanged, c.RestartSignalWhenFileChanged, "files"
	if ev.Kind == watch.Binary {
		cmd, sig, what = c.RestartCmdWhenBinaryChanged, c.RestartSignalWhenBinaryChange, "binary"
	}
	l.Log(config.LevelInfo, fmt.Sprintf("%s of '%s' changed (%s)", what, c.Name, ev.Path))
	switch {
	case len(cmd) > 0:
		l.runCommand(p, "restart command", cmd)
	case sig != 0:
		if p.State.IsSignallable() {
			p.Signal(l, sig, l.now)
		}
	default:
		l.restart(p)
	}
}

// Processes implements metrics.Source: every process row.
func (s *Supervisor) Processes() []process.Info {
	var out []process.Info
	for _, g := range s.Groups() {
		out = append(out, g.Processes...)
	}
	return out
}

// Restarts implements metrics.RestartSource: starts after the first, per
// "group:name".
func (s *Supervisor) Restarts() map[string]uint64 {
	s.Groups() // refresh the snapshot when stale
	snap := s.snap.Load()
	out := map[string]uint64{}
	if snap != nil {
		for k, v := range snap.restarts {
			out[k] = v
		}
	}
	return out
}
