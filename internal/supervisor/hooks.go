package supervisor

import (
	"errors"
	"fmt"
	"supervisord/internal/config"
	"supervisord/internal/process"
	"time"
)

// startPreStartHook runs p's pre_start_hook in place of its command; the
// hook's pid stands for the process until it exits.
func (l *loop) startPreStartHook(p *proc) (int, error) {
	c := p.Config
	child, err := l.startChild(p, c.PreStartHook)
	if err != nil {
		return 0, &process.SpawnError{Msg: "pre_start_hook: " + err.Error()}
	}
	l.Log(config.LevelInfo, fmt.Sprintf("running pre_start_hook for '%s' with pid %d", c.Name, child.Pid))
	l.byPid[child.Pid] = p
	p.io = startIO(child, p.outs, nil)
	p.hookKilled = false
	p.hookDeadline = time.Time{}
	if c.PreStartHookTimeout > 0 {
		p.hookDeadline = l.now.Add(c.PreStartHookTimeout)
	}
	l.markDirty()
	return 0, &process.HookStarted{Pid: child.Pid}
}

// preStartHookExited handles the end of p's pre_start_hook: on success
// the command is spawned in its place; otherwise the hook's exit is the
// process's.
func (l *loop) preStartHookExited(p *proc, code int, how string) {
	name := p.Config.Name
	if p.State != process.Starting || p.Killing || code != 0 || p.hookKilled {
		if !p.Killing {
			if p.hookKilled {
				how = "timed out, " + how
			}
			l.Log(config.LevelWarn, fmt.Sprintf("pre_start_hook for '%s' failed (%s)", name, how))
		}
		l.stepDone(p.Exited(l, code, how, l.now))
		return
	}
	l.Log(config.LevelInfo, fmt.Sprintf("pre_start_hook for '%s' succeeded", name))
	pid, err := l.spawnCommand(p)
	if err != nil {
		var cf *process.ChildFailure
		if errors.As(err, &cf) && cf.Pid > 0 {
			l.stepDone(p.HookDone(l, cf.Pid, l.now))
			l.commandStarted(p)
			return
		}
		l.stepDone(p.SpawnFailed(l, err.Error(), l.now))
		return
	}
	l.stepDone(p.HookDone(l, pid, l.now))
	l.commandStarted(p)
}

// stopProc stops p, running its pre_stop_hook first when it has one: the
// stop signal is sent when the hook ends or times out.
func (l *loop) stopProc(p *proc) error {
	c := p.Config
	if len(c.PreStopHook) == 0 || p.Pid == 0 || p.Hook || (p.State != process.Running && p.State != process.Starting) {
		return p.Stop(l, l.now)
	}
	if p.stopHookPid != 0 {
		return nil // already on its way
	}
	pid, err := l.startAux(p, "pre_stop_hook", c.PreStopHook, c.PreStopHookTimeout, func(code int, how string, timedOut bool) {
		p.stopHookPid = 0
		if code != 0 || timedOut {
			l.Log(config.LevelWarn, fmt.Sprintf("pre_stop_hook for '%s' failed (%s)", c.Name, how))
		} else {
			l.Log(config.LevelInfo, fmt.Sprintf("pre_stop_hook for '%s' finished", c.Name))
		}
		if p.State == process.Running || p.State == process.Starting {
			l.stepDone(p.Stop(l, l.now))
		}
	})
	if err != nil {
		l.Log(config.LevelWarn, err.Error())
		return p.Stop(l, l.now)
	}
	p.stopHookPid = pid
	p.AdministrativeStop = true
	l.Log(config.LevelInfo, fmt.Sprintf("running pre_stop_hook for '%s' with pid %d", c.Name, pid))
	return nil
}
