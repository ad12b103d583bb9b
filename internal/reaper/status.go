package reaper

import (
	"fmt"
	"syscall"

	"supervisord/internal/pycompat"
)

// Describe decodes a wait status as Supervisor's decode_wait_status does.
// code is the exit status for a normal exit and -1 for a process killed by
// a signal (or stopped); text is the message Supervisor logs inside
// "exited: name (...)", e.g. "exit status 1", "terminated by SIGKILL" or
// "terminated by SIGSEGV (core dumped)".
//
// Supervisor stores code as the process's exitstatus when it finishes
// after RUNNING or while stopping, and None (reported as 0) when it exits
// too quickly from STARTING.
func Describe(status syscall.WaitStatus) (code int, text string) {
	switch {
	case status.Exited():
		es := status.ExitStatus() & 0xffff
		return es, fmt.Sprintf("exit status %d", es)
	case status.Signaled():
		text = "terminated by " + SignalName(status.Signal())
		if status.CoreDump() {
			text += " (core dumped)"
		}
		return -1, text
	}
	return -1, fmt.Sprintf("unknown termination cause 0x%04x", uint32(status))
}

// SignalName returns the name Supervisor uses for a signal number, e.g.
// "SIGTERM", or "signal 40" for a number without a name.
func SignalName(sig syscall.Signal) string { return pycompat.SignalName(sig) }
