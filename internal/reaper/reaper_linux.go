package reaper

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit is one collected child: its pid, wait status and resource usage.
type Exit struct {
	Pid    int
	Status syscall.WaitStatus
	Rusage syscall.Rusage
}

// Reap collects every child that has finished, without blocking: it calls
// wait4(-1, WNOHANG) until no finished child is left (0) or there are no
// children at all (ECHILD). It returns nil when nothing was collected.
// Only the goroutine that forks should call it.
func Reap() []Exit {
	var exits []Exit
	for {
		var e Exit
		pid, err := syscall.Wait4(-1, &e.Status, syscall.WNOHANG, &e.Rusage)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return exits
		}
		e.Pid = pid
		exits = append(exits, e)
	}
}

// Notify arranges for SIGCHLD to be delivered on c. The caller owns c and
// should give it a buffer (one is enough: see the package doc).
func Notify(c chan<- os.Signal) { signal.Notify(c, syscall.SIGCHLD) }

// Stop undoes Notify for c.
func Stop(c chan<- os.Signal) { signal.Stop(c) }

// prSetChildSubreaper is PR_SET_CHILD_SUBREAPER from linux/prctl.h.
const prSetChildSubreaper = 36

// SetSubreaper marks the calling process as a child subreaper: orphaned
// descendants are reparented to it instead of to PID 1, so the loop can
// reap them.
func SetSubreaper() error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		return fmt.Errorf("reaper: prctl(PR_SET_CHILD_SUBREAPER): %w", errno)
	}
	return nil
}

// IsPID1 reports whether this process is PID 1 of its pid namespace (as in
// a container), where every orphan in the namespace is ours to reap.
func IsPID1() bool { return os.Getpid() == 1 }

// ErrNoProcess is returned (wrapped) by Kill when no process or process
// group has the pid: it has already exited.
var ErrNoProcess = errors.New("no such process")

// Kill sends sig to pid, or to the process group whose id is pid when group
// is true (kill(-pid)). A pid below 1 is refused, since kill(0) and
// kill(-1) would reach the daemon's own group or every process. ESRCH is
// reported as an error wrapping ErrNoProcess.
func Kill(pid int, sig syscall.Signal, group bool) error {
	if pid < 1 {
		return fmt.Errorf("reaper: kill %d: refusing to signal pid below 1", pid)
	}
	target := pid
	what := "pid"
	if group {
		target = -pid
		what = "process group"
	}
	err := syscall.Kill(target, sig)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ESRCH):
		return fmt.Errorf("reaper: kill %s %d with %s: %w", what, pid, SignalName(sig), ErrNoProcess)
	default:
		return fmt.Errorf("reaper: kill %s %d with %s: %w", what, pid, SignalName(sig), err)
	}
}
