package cli

import (
	"os"
	"runtime"
)

// The daemon runs its Go code on one processor unless GOMAXPROCS says
// otherwise. Its work is a single loop, readers of an immutable snapshot
// and I/O; what it does in parallel is system calls (forks, pipe reads,
// log writes), and a goroutine in a system call does not hold the
// processor. With a processor per CPU, every goroutine woken by the
// network or a pipe made the runtime wake an idle processor's thread to
// look for more work, which found none and went back to sleep: two
// futex calls and two context switches per request. Measured with
// getProcessInfo in a loop from Python's xmlrpc.client against 1,000
// programs on two virtual CPUs, the daemon spent 163 µs of CPU per call
// with two processors and 60 µs with one; starting 1,000 programs and
// capturing a child's output ran as fast either way. Supervisor itself
// is single-threaded, so one processor takes nothing away that the
// reference has. The setting is the runtime's, not the environment's:
// children do not inherit it.
//
// It returns how to give background work a processor of its own (nil when
// GOMAXPROCS was set, or with one CPU): the cgroup usage sweep reads
// thousands of files in a row, and on a single processor a goroutine that
// keeps yielding is always runnable, so the scheduler never polls the
// network between its turns and replies waited for the runtime's monitor,
// which polls every 10 ms (a 4 MB reply's p50 went from 1.8 to 39 ms in a
// test server). A second processor for the length of a sweep costs two
// stops of the world; the sweep runs at most twice a second.
func oneProcessor() (widen func() (restore func())) {
	if os.Getenv("GOMAXPROCS") != "" {
		return nil
	}
	runtime.GOMAXPROCS(1)
	if runtime.NumCPU() < 2 {
		return nil
	}
	return func() func() {
		runtime.GOMAXPROCS(2)
		return func() { runtime.GOMAXPROCS(1) }
	}
}
