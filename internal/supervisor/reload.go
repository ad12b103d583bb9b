package supervisor

import (
	"context"
	"fmt"

	"supervisord/internal/config"
	"supervisord/internal/process"
)

// Reading the configuration again (globs, includes, user and group
// lookups, env files) can take a while and can block on the file system.
// The loop never does it: HUP, restart and reloadConfig all parse on a
// goroutine of their own and hand the result to the loop, which only
// compares and applies.

// reloadOffLoop parses the configuration on a new goroutine, then runs
// then on the loop with the result. If the loop has ended by then, the
// result is dropped with it.
func (l *loop) reloadOffLoop(then func(l *loop, next *config.Config, err error)) {
	s := l.s
	go func() {
		next, err := s.opts.Reload()
		_ = s.do(context.Background(), func(l *loop) { then(l, next, err) })
	}()
}

// restartOnHUP is the loop's answer to SIGHUP: read the configuration off
// the loop and, only when it is valid, stop everything to restart with it.
// A broken file leaves the daemon and every program as they are (the
// reference exits instead).
func (l *loop) restartOnHUP() {
	l.reloadOffLoop(func(l *loop, next *config.Config, err error) {
		if err != nil {
			l.Log(config.LevelError, fmt.Sprintf("restart refused, keeping the running configuration: %v", err))
			return
		}
		l.beginRestart(next)
	})
}

// beginRestart stops everything to restart with next, unless a shutdown
// has begun meanwhile (shutdown beats restart).
func (l *loop) beginRestart(next *config.Config) {
	if l.mood < process.SupervisorRunning {
		return
	}
	l.next = next
	l.requestShutdown(process.SupervisorRestarting)
}

// stoppingNow reports, without the loop, whether the daemon is shutting
// down or restarting: requests that would be refused skip the parse.
func (s *Supervisor) stoppingNow() bool {
	return process.SupervisorState(s.state.Load()) < process.SupervisorRunning
}
