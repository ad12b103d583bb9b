package supervisor

import (
	"fmt"
	"strings"
	"supervisord/internal/config"
	"supervisord/internal/deps"
	"supervisord/internal/faults"
	"supervisord/internal/health"
	"supervisord/internal/process"
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
				l.stepDone(p.Spawn(l, l.now))
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
			l.stepDone(l.stopProc(dp))
		case process.Backoff:
			l.stepDone(dp.GiveUp(l, l.now))
		}
	}
	return waiting
}
