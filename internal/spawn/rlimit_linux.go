package spawn

import (
	"fmt"
	"math"
	"syscall"
)

// rlimInfinity is RLIM_INFINITY; Python shows it as -1.
const rlimInfinity = math.MaxUint64

// LimitError is a resource limit that could not be raised to the minimum
// the configuration asks for. Its message is the reference's; Supervisor
// prints it as a usage error and exits.
type LimitError struct {
	Resource int
	Min      uint64
	Hard     uint64 // the hard limit that was asked for along with Min
	Err      error
}

func (e *LimitError) Error() string {
	hard := fmt.Sprint(e.Hard)
	if e.Hard == rlimInfinity {
		hard = "-1"
	}
	switch e.Resource {
	case syscall.RLIMIT_NOFILE:
		return fmt.Sprintf("The minimum number of file descriptors required to run this process is %d "+
			"as per the \"minfds\" command-line argument or config file setting. The current environment "+
			"will only allow you to open %s file descriptors.  Either raise the number of usable file "+
			"descriptors in your environment (see README.rst) or lower the minfds setting in the config "+
			"file to allow the process to start.", e.Min, hard)
	case rlimitNproc:
		return fmt.Sprintf("The minimum number of available processes required to run this program is %d "+
			"as per the \"minprocs\" command-line argument or config file setting. The current environment "+
			"will only allow you to open %s processes.  Either raise the number of usable processes in "+
			"your environment (see README.rst) or lower the minprocs setting in the config file to allow "+
			"the program to start.", e.Min, hard)
	}
	return fmt.Sprintf("spawn: raising resource limit %d to %d: %v", e.Resource, e.Min, e.Err)
}

func (e *LimitError) Unwrap() error { return e.Err }

// rlimitNproc is RLIMIT_NPROC, which the syscall package does not name.
const rlimitNproc = 6

// Resources RaiseLimit knows by name.
const (
	LimitFiles     = syscall.RLIMIT_NOFILE // minfds
	LimitProcesses = rlimitNproc           // minprocs
)

// RaiseLimit makes sure the soft limit of resource (LimitFiles or
// LimitProcesses) is at least min, as Supervisor does for minfds and
// minprocs at start-up: an unlimited or large enough soft limit is left
// alone; otherwise the soft limit becomes min, and the hard limit too when
// it is lower (which only root may do). On success info is Supervisor's
// log line ("Increased RLIMIT_NOFILE limit to 1024"), or "" when nothing
// changed; on failure the error is a *LimitError with the reference's text.
func RaiseLimit(resource int, min uint64) (info string, err error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(resource, &lim); err != nil {
		return "", fmt.Errorf("spawn: getrlimit(%d): %w", resource, err)
	}
	if lim.Cur >= min || lim.Cur == rlimInfinity {
		return "", nil
	}
	hard := lim.Max
	if hard < min && hard != rlimInfinity {
		hard = min
	}
	if err := syscall.Setrlimit(resource, &syscall.Rlimit{Cur: min, Max: hard}); err != nil {
		return "", &LimitError{Resource: resource, Min: min, Hard: hard, Err: err}
	}
	name := fmt.Sprintf("resource %d", resource)
	switch resource {
	case LimitFiles:
		name = "RLIMIT_NOFILE"
	case LimitProcesses:
		name = "RLIMIT_NPROC"
	}
	return fmt.Sprintf("Increased %s limit to %d", name, min), nil
}
