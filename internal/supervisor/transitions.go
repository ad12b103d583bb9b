package supervisor

import (
	"errors"

	"supervisord/internal/config"
	"supervisord/internal/process"
)

// stepDone handles what a process transition returned. An illegal
// transition means the loop asked for something the state machine does
// not allow: a bug, logged as one so that it is seen. A stop or signal
// that found no child, or whose kill(2) failed, has already been logged by
// the process in the reference's words and needs nothing more here.
func (l *loop) stepDone(err error) {
	switch {
	case err == nil:
	case errors.Is(err, process.ErrBadTransition):
		l.Log(config.LevelCritical, "BUG: "+err.Error())
	case errors.Is(err, process.ErrNotRunning), errors.Is(err, process.ErrSignalFailed):
	default:
		l.Log(config.LevelError, "BUG: unexpected transition error: "+err.Error())
	}
}
