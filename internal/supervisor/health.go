package supervisor

import (
	"context"
	"fmt"
	"strings"
	"supervisord/internal/config"
	"supervisord/internal/health"
	"supervisord/internal/process"
)

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
		p.checker = health.Start(context.Background(), p.fullKey(), *lv, probe, health.Options{Notify: l.healthCh, Dropped: l.s.drops.health.add})
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
			l.stepDone(l.stopProc(p))
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
	l.stepDone(l.stopProc(p))
}
