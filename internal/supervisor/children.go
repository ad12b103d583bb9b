package supervisor

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"supervisord/internal/config"
	"supervisord/internal/faults"
	"supervisord/internal/reaper"
	"supervisord/internal/spawn"
	"syscall"
	"time"
)

// auxRun is an auxiliary child of a program: a hook, a restart command or
// a liveness script. It is started by the loop's spawner and reaped by the
// loop's reaper like any program, and runs in the program's environment,
// directory and user, with its output in the program's logs.
type auxRun struct {
	owner    *proc
	what     string    // for log lines: "pre_stop_hook", ...
	deadline time.Time // zero: no timeout
	timeout  time.Duration
	killed   bool // killed at its deadline
	io       *childIO
	done     func(code int, how string, timedOut bool)
}

// resolveCommand makes a relative command path (one with a slash) relative
// to the program's directory, as the program's own command would be
// found after its chdir.
func resolveCommand(c *config.Process, cmd string) string {
	if c.Directory != "" && strings.Contains(cmd, "/") && !filepath.IsAbs(cmd) {
		return filepath.Join(c.Directory, cmd)
	}
	return cmd
}

// startAux starts argv for p and returns its pid. done runs on the loop
// when it is reaped; a timeout > 0 kills its process group when overdue.
func (l *loop) startAux(p *proc, what string, argv []string, timeout time.Duration, done func(code int, how string, timedOut bool)) (int, error) {
	if p == nil {
		return 0, fmt.Errorf("%s: process no longer configured", what)
	}
	child, err := l.startChild(p, argv)
	if err != nil {
		return 0, fmt.Errorf("%s for '%s': %w", what, p.Config.Name, err)
	}
	a := &auxRun{owner: p, what: what, timeout: timeout, done: done}
	if timeout > 0 {
		a.deadline = l.now.Add(timeout)
	}
	a.io = startIO(child, p.outs, nil)
	l.aux[child.Pid] = a
	return child.Pid, nil
}

// startChild starts argv in p's environment with its output going to p's
// logs (opened if the program has not run yet).
func (l *loop) startChild(p *proc, argv []string) (*spawn.Child, error) {
	c := p.Config
	if len(argv) == 0 {
		return nil, errors.New("empty command")
	}
	if p.outs == nil {
		outs, err := openOutputs(l, c)
		if err != nil {
			return nil, err
		}
		p.outs = outs
	}
	first := resolveCommand(c, argv[0])
	path, err := spawn.Resolve(first, l.pathEnv())
	if err != nil {
		var f *faults.Error
		if errors.As(err, &f) {
			return nil, errors.New(f.Detail)
		}
		return nil, err
	}
	spec := spawn.Spec{
		Path:           path,
		Argv:           append([]string{first}, argv[1:]...),
		Env:            l.processEnv(c),
		Dir:            c.Directory,
		Umask:          -1,
		Setpgid:        true,
		RedirectStderr: c.RedirectStderr,
	}
	if c.Umask != nil {
		spec.Umask = int(*c.Umask)
	}
	if c.User != nil {
		spec.Cred = spawn.UserCredential(c.User.Uid, c.User.Gid, c.User.Groups)
	}
	child, err := spawn.Start(spec)
	if err != nil {
		var ce *spawn.ChildError
		if errors.As(err, &ce) {
			return nil, errors.New(strings.TrimSpace(ce.Output()))
		}
		return nil, err
	}
	return child, nil
}

// reapAux handles the exit of an auxiliary child; it reports false when
// pid is not one.
func (l *loop) reapAux(pid, code int, how string) bool {
	a := l.aux[pid]
	if a == nil {
		return false
	}
	delete(l.aux, pid)
	a.io.exited()
	if a.done != nil {
		a.done(code, how, a.killed)
	}
	return true
}

// auxTimeouts kills the process group of every auxiliary child and
// pre-start hook that overran its timeout.
func (l *loop) auxTimeouts() {
	for pid, a := range l.aux {
		if !a.killed && !a.deadline.IsZero() && !l.now.Before(a.deadline) {
			a.killed = true
			l.Log(config.LevelWarn, fmt.Sprintf("%s for '%s' timed out after %s; killing it", a.what, a.owner.Config.Name, a.timeout))
			reaper.Kill(pid, syscall.SIGKILL, true)
		}
	}
	// A pre_start_hook's timeout is its process's deadline (hookTimeout).
}

// auxDeadlines reports each pending timeout to consider.
func (l *loop) auxDeadlines(consider func(time.Time)) {
	for _, a := range l.aux {
		if !a.killed {
			consider(a.deadline)
		}
	}
	// A pre_start_hook's timeout is its process's deadline (schedule.go).
}

// runCommand runs a restart_cmd or action script for p and logs how it
// ended.
func (l *loop) runCommand(p *proc, what string, argv []string) {
	name := p.Config.Name
	pid, err := l.startAux(p, what, argv, 0, func(code int, how string, _ bool) {
		level := config.LevelInfo
		if code != 0 {
			level = config.LevelWarn
		}
		l.Log(level, fmt.Sprintf("%s for '%s' exited (%s)", what, name, how))
	})
	if err != nil {
		l.Log(config.LevelWarn, err.Error())
		return
	}
	l.Log(config.LevelInfo, fmt.Sprintf("running %s for '%s' with pid %d", what, name, pid))
}

// scriptRunner implements health.ScriptRunner for one process: the loop
// starts and reaps the script.
type scriptRunner struct {
	s     *Supervisor
	owner string // full name
}

func (r scriptRunner) Run(ctx context.Context, argv []string) (int, error) {
	type result struct {
		code int
		how  string
		err  error
	}
	res := make(chan result, 1)
	pidc := make(chan int, 1)
	start := func(l *loop) {
		pid, err := l.startAux(l.lookup(r.owner), "liveness check", argv, 0, func(code int, how string, _ bool) {
			res <- result{code: code, how: how}
		})
		if err != nil {
			res <- result{err: err}
			return
		}
		pidc <- pid
	}
	select {
	case r.s.cmds <- start:
	case <-ctx.Done():
		return -1, ctx.Err()
	case <-r.s.done:
		return -1, errShutdown
	}
	select {
	case x := <-res:
		if x.err != nil {
			return -1, x.err
		}
		if x.code < 0 {
			return -1, errors.New(x.how)
		}
		return x.code, nil
	case <-ctx.Done():
		// Kill it on the loop; never wait for the loop here, which may be
		// stopping this check.
		kill := func(l *loop) {
			select {
			case pid := <-pidc:
				if l.aux[pid] != nil {
					reaper.Kill(pid, syscall.SIGKILL, true)
				}
			default:
			}
		}
		go func() {
			select {
			case r.s.cmds <- kill:
			case <-r.s.done:
			}
		}()
		return -1, ctx.Err()
	}
}
