package spawn

import (
	"runtime"
	"syscall"
)

// OpCgroup is a SetupError from placing the forking thread in a child's
// cgroups.
const OpCgroup = "cgroup"

// Containment places a child in its cgroups as it is born and ties it to
// the daemon's life.
type Containment struct {
	// CgroupFD, when UseCgroupFD is set, is an open cgroup v2 directory the
	// child is born in (clone3 with CLONE_INTO_CGROUP): nothing it forks
	// can be outside it, not even for an instant.
	UseCgroupFD bool
	CgroupFD    int
	// JoinThread, when set, moves the calling OS thread into the child's
	// cgroup v1 controllers just before the fork, so the child is born in
	// them too (v1 membership is per thread). The thread is then
	// discarded, never reused.
	JoinThread func() error
	// Pdeathsig is sent to the child by the kernel when the thread that
	// forked it exits (PR_SET_PDEATHSIG). With it, the fork runs on
	// Thread, which lives as long as the daemon; without a Thread it is
	// ignored.
	Pdeathsig syscall.Signal
	Thread    *Thread
}

func (c Containment) apply(sys *syscall.SysProcAttr) {
	if c.UseCgroupFD {
		sys.UseCgroupFD, sys.CgroupFD = true, c.CgroupFD
	}
	if c.Pdeathsig != 0 && c.Thread != nil {
		sys.Pdeathsig = c.Pdeathsig
	}
}

// Thread is a goroutine locked to one OS thread for the daemon's life, on
// which children with a parent-death signal are forked: the kernel sends
// that signal when the forking thread ends, and Go ends threads whenever
// it likes unless one is held like this.
type Thread struct {
	reqs chan func()
	done chan struct{}
}

// NewThread starts the thread.
func NewThread() *Thread {
	t := &Thread{reqs: make(chan func()), done: make(chan struct{})}
	started := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with Close
		close(started)
		for {
			select {
			case f := <-t.reqs:
				f()
			case <-t.done:
				return
			}
		}
	}()
	<-started
	return t
}

// Close ends the thread; children forked on it get their signal.
func (t *Thread) Close() { close(t.done) }

// fork runs the fork on the thread. User, directory and umask are set by
// the runtime in the child (the thread is shared, so it cannot take them
// on itself); v1 cgroups are joined and left again around the fork.
func (t *Thread) fork(path string, spec Spec, cred *syscall.Credential, attr *syscall.ProcAttr) (int, error) {
	type result struct {
		pid int
		err error
	}
	ch := make(chan result, 1)
	f := func() {
		if join := spec.Contain.JoinThread; join != nil {
			home, err := ownV1Tasks()
			if err == nil {
				err = join()
			}
			if err != nil {
				ch <- result{0, &SetupError{Op: OpCgroup, Err: err}}
				return
			}
			defer home()
		}
		pid, err := forkShared(path, spec, cred, attr)
		ch <- result{pid, err}
	}
	select {
	case t.reqs <- f:
	case <-t.done:
		return 0, &SetupError{Op: OpFork, Err: syscall.ESRCH}
	}
	r := <-ch
	return r.pid, r.err
}
