package process

import (
	"syscall"

	"supervisord/internal/pycompat"
)

// SignalName returns the name the reference logs for sig ("SIGTERM"), or
// "signal N" for a number without a name.
func SignalName(sig syscall.Signal) string { return pycompat.SignalName(sig) }
