package supervisor

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/health"
	"supervisord/internal/notify"
	"supervisord/internal/process"
)

// lifeState is the loop's share of the lifecycle options: the children's
// notify socket (opened when a ready_when=notify program is first
// spawned) and the channels its reader and the ready checks send on.
type lifeState struct {
	notify     *notify.Socket
	notifyErr  bool // opening the socket failed and was logged
	notifyCh   chan notify.Message
	readyCh    chan health.Transition
	unknownLog int // messages from unknown senders logged so far
}

// procLife is a process's share of the lifecycle options.
type procLife struct {
	exited     bool // the process has exited at least once
	exitStatus int  // the daemon's exit status for its last exit

	readyChecker *health.Checker
	readyProbe   health.Probe
	readySince   time.Time

	garbageLogged bool // garbage on the notify socket was reported once
}

// notifyQueue bounds the messages waiting for the loop; more are dropped
// and counted by the socket.
const notifyQueue = 64

// maxNotifyStatus bounds the STATUS= text kept for the description.
const maxNotifyStatus = 200

// maxUnknownLogged bounds the lines logged about messages from senders
// that are no supervised process.
const maxUnknownLogged = 10

// Jitter implements process.Jitterer: uniform in [-1, 1], or the
// injected source.
func (l *loop) Jitter() float64 {
	if l.s.opts.Jitter != nil {
		return l.s.opts.Jitter()
	}
	return rand.Float64()*2 - 1
}

// noteExit records what the daemon would exit with for this exit of p:
// its exit code, or 128+n for a signal as shells report it.
func (p *proc) noteExit(ws syscall.WaitStatus) {
	p.life.exited = true
	switch {
	case ws.Exited():
		p.life.exitStatus = ws.ExitStatus()
	case ws.Signaled():
		p.life.exitStatus = 128 + int(ws.Signal())
	default:
		p.life.exitStatus = 1
	}
}

// lifecycleChanged acts on p's state change for the lifecycle options.
func (l *loop) lifecycleChanged(p *proc, from process.State) {
	if p.Config.ReadyWhen.Kind == config.ReadyCheck {
		switch {
		case p.State == process.Starting && from != process.Starting && !p.Hook:
			l.startReadyCheck(p)
		case from == process.Starting && p.State != process.Starting:
			l.stopReadyCheck(p)
		}
	}
	l.shutdownWhen(p)
}

// shutdownWhen takes the daemon down when p ends in a way its
// shutdown_when names, with p's exit status, through the same path as
// a shutdown request with a status.
func (l *loop) shutdownWhen(p *proc) {
	c := p.Config
	if c.ShutdownWhen == config.ShutdownNever || l.mood != process.SupervisorRunning || l.stopping {
		return
	}
	var what string
	switch {
	case p.State == process.Fatal:
		what = "entered FATAL state"
	case p.State == process.Exited && c.ShutdownWhen == config.ShutdownExited && !p.RestartComing():
		what = "exited"
	default:
		return
	}
	status := 1 // never ran
	if p.life.exited {
		status = p.life.exitStatus
	}
	if status < 0 || status > 255 {
		status = 1
	}
	l.Log(config.LevelCritical, fmt.Sprintf("shutdown_when=%s: '%s' %s, shutting down with exit status %d", c.ShutdownWhen, p.fullName(), what, status))
	l.exitStatus = status
	l.requestShutdown(process.SupervisorShutdown)
}

// notifyEnv gives a ready_when=notify process its NOTIFY_SOCKET, opening
// the socket on first use. It goes last so that it wins over an inherited
// one (the daemon's own, when systemd runs it).
func (l *loop) notifyEnv(c *config.Process, env []string) []string {
	if c.ReadyWhen.Kind != config.ReadyNotify {
		return env
	}
	if l.life.notify == nil && !l.life.notifyErr {
		l.life.notifyCh = make(chan notify.Message, notifyQueue)
		s, err := notify.Listen(l.life.notifyCh)
		if err != nil {
			l.life.notifyErr = true
			l.Log(config.LevelError, fmt.Sprintf("ready_when=notify: %v; notify programs will not become ready", err))
			return env
		}
		l.life.notify = s
	}
	if l.life.notify == nil {
		return env
	}
	return setEnv(env, "NOTIFY_SOCKET", l.life.notify.Addr())
}

// notified handles one message from the notify socket.
func (l *loop) notified(m notify.Message) {
	if l.life.notify == nil {
		return
	}
	var p *proc
	for _, pid := range m.Lineage {
		if p = l.byPid[pid]; p != nil {
			break
		}
	}
	if p == nil || p.Config.ReadyWhen.Kind != config.ReadyNotify {
		if l.life.unknownLog < maxUnknownLogged {
			l.life.unknownLog++
			l.Log(config.LevelDebug, fmt.Sprintf("notify message from pid %d ignored: not a ready_when=notify process", m.Pid))
		}
		return
	}
	if m.Err != nil && !p.life.garbageLogged {
		p.life.garbageLogged = true
		l.Log(config.LevelWarn, fmt.Sprintf("garbage on the notify socket from '%s' (pid %d): %v; further garbage from it is not logged", p.Config.Name, m.Pid, m.Err))
	}
	if v, ok := m.Get("STATUS"); ok {
		if len(v) > maxNotifyStatus {
			v = v[:maxNotifyStatus]
		}
		if p.Life.NotifyStatus != v {
			p.Life.NotifyStatus = v
			l.markDirty()
		}
	}
	if v, ok := m.Get("READY"); ok && v == "1" {
		if err := p.MarkReady(l, "process reported ready (READY=1)", l.now); err != nil {
			l.Log(config.LevelDebug, fmt.Sprintf("READY=1 from '%s' ignored: %v", p.Config.Name, err))
		}
	}
}

// startReadyCheck starts p's ready_when check for the STARTING process.
func (l *loop) startReadyCheck(p *proc) {
	l.stopReadyCheck(p)
	spec := p.Config.ReadyWhen.Check
	probe, err := health.NewProbe(spec, scriptRunner{s: l.s, owner: p.fullKey()})
	if err != nil {
		l.Log(config.LevelError, fmt.Sprintf("ready_when check for '%s' not started: %v", p.Config.Name, err))
		return
	}
	p.life.readyProbe = probe
	p.life.readySince = l.now
	p.life.readyChecker = health.Start(context.Background(), p.fullKey(), *spec, probe, health.Options{Notify: l.life.readyCh})
}

func (l *loop) stopReadyCheck(p *proc) {
	if p.life.readyChecker == nil {
		return
	}
	p.life.readyChecker.Stop()
	if c, ok := p.life.readyProbe.(interface{ Close() }); ok {
		c.Close()
	}
	p.life.readyChecker, p.life.readyProbe = nil, nil
}

// readyChecked acts on a ready_when check's result.
func (l *loop) readyChecked(t health.Transition) {
	p := l.lookup(t.Process)
	if p == nil || p.life.readyChecker == nil || t.At.Before(p.life.readySince) || t.Status != health.Healthy {
		return
	}
	l.stopReadyCheck(p)
	how := fmt.Sprintf("ready check passed (ready_when=%s)", p.Config.ReadyWhen.Text)
	if err := p.MarkReady(l, how, l.now); err != nil {
		l.Log(config.LevelDebug, fmt.Sprintf("ready check of '%s' ignored: %v", p.Config.Name, err))
	}
}

// commandStarted is called when p's command replaced its pre_start_hook:
// a ready_when check starts now.
func (l *loop) commandStarted(p *proc) {
	if p.Config.ReadyWhen.Kind == config.ReadyCheck && p.State == process.Starting && !p.Hook {
		l.startReadyCheck(p)
	}
}

// closeLifecycle releases the notify socket and any ready check.
func (l *loop) closeLifecycle() {
	for _, g := range l.groups {
		for _, p := range g.procs {
			l.stopReadyCheck(p)
		}
	}
	if l.life.notify != nil {
		l.life.notify.Close()
		l.life.notify = nil
	}
}
