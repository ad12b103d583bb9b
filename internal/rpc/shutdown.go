package rpc

import (
	"context"

	"supervisord/internal/faults"
)

// StatusShutdowner is implemented by a Backend whose daemon can exit with
// a chosen status after a shutdown. supervisor.shutdown uses it when the
// client passes the optional status argument.
type StatusShutdowner interface {
	ShutdownWithStatus(status int) error
}

// shutdownHelp documents the optional argument, an extension: the
// reference's method takes none, and without it both behave alike.
const shutdownHelp = "Stop every process and exit.\n\n" +
	"An extension to Supervisor's method: an optional integer from 0 to 255 is the status the " +
	"daemon process exits with once every process has stopped (default 0). Used to end a " +
	"container with a program's exit code.\n\n" +
	"@param int status optional exit status of the daemon, 0-255\n" +
	"@return boolean true unless an error occurs"

// shutdown implements supervisor.shutdown([status]).
func (a *API) shutdown(_ context.Context, args []any) (any, error) {
	if err := a.decode(args, 0, 1, anyState); err != nil {
		return nil, err
	}
	status := 0
	if len(args) == 1 {
		n, err := integer(args[0])
		if err != nil || n < 0 || n > 255 {
			return nil, faults.New(faults.IncorrectParameters, "exit status must be an integer from 0 to 255")
		}
		status = int(n)
	}
	if err := a.checkState(); err != nil {
		return nil, err
	}
	if status == 0 {
		return true, a.b.Shutdown()
	}
	s, ok := a.b.(StatusShutdowner)
	if !ok {
		return nil, faults.New(faults.Failed, "this daemon cannot exit with a chosen status")
	}
	return true, s.ShutdownWithStatus(status)
}
