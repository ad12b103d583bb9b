package pycompat

import (
	"fmt"
	"strings"
	"syscall"
)

// signalNames is the name the reference gives each Linux signal number:
// the last SIG* name Python's signal module lists for it (so 6 is SIGABRT,
// 17 SIGCHLD and 29 SIGPOLL).
var signalNames = [...]string{
	1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP",
	6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 10: "SIGUSR1",
	11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
	16: "SIGSTKFLT", 17: "SIGCHLD", 18: "SIGCONT", 19: "SIGSTOP", 20: "SIGTSTP",
	21: "SIGTTIN", 22: "SIGTTOU", 23: "SIGURG", 24: "SIGXCPU", 25: "SIGXFSZ",
	26: "SIGVTALRM", 27: "SIGPROF", 28: "SIGWINCH", 29: "SIGPOLL", 30: "SIGPWR",
	31: "SIGSYS", 34: "SIGRTMIN", 64: "SIGRTMAX",
}

// signalAliases are the other names Python's signal module accepts with
// getattr: the aliases of real signals and the SIG_ handler and mask
// constants, which the reference accepts as signal names too.
var signalAliases = map[string]int{
	"SIGIOT": 6, "SIGCLD": 17, "SIGIO": 29,
	"SIG_DFL": 0, "SIG_IGN": 1, "SIG_BLOCK": 0, "SIG_UNBLOCK": 1, "SIG_SETMASK": 2,
}

// SignalName is the name the reference logs for sig, e.g. "SIGTERM", or
// "signal N" for a number without one.
func SignalName(sig syscall.Signal) string {
	if sig > 0 && int(sig) < len(signalNames) && signalNames[sig] != "" {
		return signalNames[sig]
	}
	return fmt.Sprintf("signal %d", int(sig))
}

// validSignal reports whether the reference accepts n as a signal number:
// a number some SIG* name has, 0 to 31, 34 or 64.
func validSignal(n int64) bool {
	return n == 0 || (n > 0 && n < int64(len(signalNames)) && signalNames[n] != "")
}

// SignalNumber reads a signal as the reference's configuration and
// signalProcess do: a number Python's int() accepts, or a name with or
// without "SIG" in any case. The error text is the reference's.
func SignalNumber(s string) (syscall.Signal, error) {
	n, err := Int(s)
	if err != nil {
		name := strings.ToUpper(Strip(s))
		if !strings.HasPrefix(name, "SIG") {
			name = "SIG" + name
		}
		v, ok := signalNumberOfName(name)
		if !ok {
			return 0, fmt.Errorf("value %s is not a valid signal name", Repr(s))
		}
		return syscall.Signal(v), nil
	}
	return SignalNumberOf(n, s)
}

// SignalNumberOf checks a signal given as a number; s is how it was
// written, for the error.
func SignalNumberOf(n int64, s string) (syscall.Signal, error) {
	if !validSignal(n) {
		return 0, fmt.Errorf("value %s is not a valid signal number", Repr(s))
	}
	return syscall.Signal(n), nil
}

func signalNumberOfName(name string) (int, bool) {
	if v, ok := signalAliases[name]; ok {
		return v, true
	}
	for n, sn := range signalNames {
		if sn != "" && sn == name {
			return n, true
		}
	}
	return 0, false
}
