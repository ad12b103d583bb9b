package reaper

import (
	"fmt"
	"syscall"
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

// signalNames are the names Supervisor's Python prints for Linux signal
// numbers; where Python has aliases (SIGIOT, SIGCLD, SIGIO) it prints the
// name listed here.
var signalNames = [...]string{
	1:  "SIGHUP",
	2:  "SIGINT",
	3:  "SIGQUIT",
	4:  "SIGILL",
	5:  "SIGTRAP",
	6:  "SIGABRT",
	7:  "SIGBUS",
	8:  "SIGFPE",
	9:  "SIGKILL",
	10: "SIGUSR1",
	11: "SIGSEGV",
	12: "SIGUSR2",
	13: "SIGPIPE",
	14: "SIGALRM",
	15: "SIGTERM",
	16: "SIGSTKFLT",
	17: "SIGCHLD",
	18: "SIGCONT",
	19: "SIGSTOP",
	20: "SIGTSTP",
	21: "SIGTTIN",
	22: "SIGTTOU",
	23: "SIGURG",
	24: "SIGXCPU",
	25: "SIGXFSZ",
	26: "SIGVTALRM",
	27: "SIGPROF",
	28: "SIGWINCH",
	29: "SIGPOLL",
	30: "SIGPWR",
	31: "SIGSYS",
	34: "SIGRTMIN",
	64: "SIGRTMAX",
}

// SignalName returns the name Supervisor uses for a signal number, e.g.
// "SIGTERM", or "signal 40" for a number without a name.
func SignalName(sig syscall.Signal) string {
	if sig > 0 && int(sig) < len(signalNames) && signalNames[sig] != "" {
		return signalNames[sig]
	}
	return fmt.Sprintf("signal %d", int(sig))
}
