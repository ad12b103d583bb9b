package spawn

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"unsafe"
)

// Spec says how to start one child.
type Spec struct {
	// Argv is the command line; Argv[0] is the first word as configured,
	// which the child sees as its argv[0] and messages quote.
	Argv []string
	// Path is the file to execute, normally Resolve's result. When empty,
	// Start resolves Argv[0] itself with the PATH found in Env.
	Path string
	// Env is the child's complete environment, "KEY=value" strings.
	Env []string
	// Dir is the directory to change to; "" keeps the daemon's.
	Dir string
	// Umask is the child's umask; -1 leaves the daemon's. Note that the
	// zero value sets a umask of 0.
	Umask int
	// Cred is the user to switch to: setgroups(Groups), setgid(Gid),
	// setuid(Uid), in that order (see UserCredential). nil, or the
	// daemon's own uid, means no switch; any other uid is refused with the
	// reference's message unless the daemon runs as root.
	Cred *syscall.Credential
	// Setpgid puts the child in a new process group whose id is its pid,
	// so signals aimed at the daemon's group do not reach it. Supervisor
	// always does this for programs.
	Setpgid bool
	// Stdin makes a pipe for the child's stdin and returns its write end.
	// Without it (and without Fd0) the child's stdin is /dev/null.
	Stdin bool
	// RedirectStderr sends the child's stderr into its stdout pipe; no
	// stderr pipe is made.
	RedirectStderr bool
	// DiscardStdout and DiscardStderr give the child /dev/null instead of
	// a pipe for a stream nobody reads, as systemd's StandardOutput=null
	// does: the child's writes cost nothing and the daemon holds no
	// descriptor for them. With RedirectStderr, DiscardStdout covers both.
	DiscardStdout, DiscardStderr bool
	// Fd0, when set, becomes the child's stdin instead of a pipe (the
	// shared socket of an fcgi-program); Stdin is then ignored. Start puts
	// it in blocking mode (via Fd), as a child accepting on it expects.
	Fd0 *os.File

	// Containment (see containment_linux.go); zero values change nothing.
	Contain Containment
}

// Child is a started process. The read ends are non-blocking and work
// with the runtime poller (deadlines and Close unblock readers). The
// caller owns and closes them; nobody has waited for Pid.
type Child struct {
	Pid    int
	Stdin  *os.File // write end of the stdin pipe; nil unless Spec.Stdin
	Stdout *os.File // read end of the stdout pipe; nil with DiscardStdout
	Stderr *os.File // read end of the stderr pipe; nil with RedirectStderr or DiscardStderr
}

// Start starts a child as described by spec and returns it at once. Its
// errors are described in the package doc: *faults.Error (command not
// found or not executable), *SetupError (no pipes or no fork) and
// *ChildError (the reference's child would have failed and exited 127).
// Start never waits for the child.
func Start(spec Spec) (*Child, error) {
	path, err := commandPath(spec)
	if err != nil {
		return nil, err
	}
	cred := spec.Cred
	if cred != nil {
		switch uid := os.Getuid(); {
		case int(cred.Uid) == uid:
			cred = nil // already that user: nothing to switch, as in Supervisor
		case uid != 0:
			return nil, &ChildError{Stage: StageSetuid, Err: syscall.EPERM,
				Msg: fmt.Sprintf("couldn't setuid to %d: Can't drop privilege as nonroot user", cred.Uid)}
		}
	}

	if cred == nil && spec.Dir == "" && spec.Umask < 0 && bigTable() {
		if sp := theSpawner(); sp != nil {
			return sp.start(path, spec)
		}
	}
	return startHere(path, spec, cred)
}

// commandPath is the program spec runs: Path, or Argv[0] looked up in the
// child's PATH.
func commandPath(spec Spec) (string, error) {
	if len(spec.Argv) == 0 {
		return "", errors.New("spawn: empty argv")
	}
	if spec.Path != "" {
		return spec.Path, nil
	}
	return Resolve(spec.Argv[0], lookupEnv(spec.Env, "PATH"))
}

// startHere forks from the calling goroutine's side of the daemon: from a
// thread of the daemon's own descriptor table, or from a thread made for
// the fork when the child needs another user, directory or umask.
func startHere(path string, spec Spec, cred *syscall.Credential) (*Child, error) {
	var p pipes
	fd0 := -1
	if spec.Fd0 != nil {
		fd0 = int(spec.Fd0.Fd())
	}
	if err := p.open(spec, fd0, devNull); err != nil {
		return nil, err
	}
	attr := &syscall.ProcAttr{
		Env:   spec.Env,
		Files: p.childFiles(spec),
		Sys:   &syscall.SysProcAttr{Setpgid: spec.Setpgid},
	}
	spec.Contain.apply(attr.Sys)
	var pid int
	var err error
	if spec.Contain.Pdeathsig != 0 && spec.Contain.Thread != nil {
		pid, err = spec.Contain.Thread.fork(path, spec, cred, attr)
	} else if cred == nil && spec.Dir == "" && spec.Umask < 0 && spec.Contain.JoinThread == nil {
		pid, err = syscall.ForkExec(path, spec.Argv, attr)
		err = forkError(err, spec.Argv[0])
	} else {
		pid, err = forkOnThread(path, spec, cred, attr)
	}
	p.closeChildEnds()
	if err != nil {
		p.closeParentEnds()
		return nil, err
	}
	return p.child(pid), nil
}

// forkError classifies an error from ForkExec. EAGAIN is the fork itself
// failing (process table full); anything else happened in the child on its
// way to exec.
func forkError(err error, argv0 string) error {
	if err == nil {
		return nil
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return &SetupError{Op: OpFork, Err: err}
	}
	if errno == syscall.EAGAIN {
		return &SetupError{Op: OpFork, Err: errno}
	}
	return &ChildError{Stage: StageExec, Err: errno,
		Msg: fmt.Sprintf("couldn't exec %s: %s", argv0, ErrnoName(errno))}
}

// forkOnThread switches user, directory and umask on a dedicated OS thread
// with its own filesystem context, then forks from it: the child inherits
// the thread's credentials, directory and umask, and the rest of the daemon
// keeps its own. The thread is never unlocked, so the runtime discards it
// when the goroutine ends.
func forkOnThread(path string, spec Spec, cred *syscall.Credential, attr *syscall.ProcAttr) (int, error) {
	type result struct {
		pid int
		err error
	}
	done := make(chan result, 1)
	var run func()
	run = func() {
		runtime.LockOSThread()
		if syscall.Gettid() == syscall.Getpid() {
			// This is the main thread, which the runtime never discards
			// and whose state /proc shows for the whole process. Hold it
			// so the work lands on another thread, then give it back
			// untouched.
			inner := make(chan struct{})
			go func() { run(); close(inner) }()
			<-inner
			runtime.UnlockOSThread()
			return
		}
		if join := spec.Contain.JoinThread; join != nil {
			// The thread stays locked, so the runtime discards it (and its
			// cgroup membership) when this goroutine ends.
			if err := join(); err != nil {
				done <- result{0, &SetupError{Op: OpCgroup, Err: err}}
				return
			}
			if cred == nil && spec.Dir == "" && spec.Umask < 0 {
				pid, err := syscall.ForkExec(path, spec.Argv, attr)
				done <- result{pid, forkError(err, spec.Argv[0])}
				return
			}
		}
		if err := syscall.Unshare(syscall.CLONE_FS); err != nil {
			// The thread is untouched and may be reused.
			if spec.Contain.JoinThread == nil {
				runtime.UnlockOSThread()
			}
			pid, err := forkShared(path, spec, cred, attr)
			done <- result{pid, err}
			return
		}
		pid, err := prepareThreadAndFork(path, spec, cred, attr)
		done <- result{pid, err}
	}
	go run()
	r := <-done
	return r.pid, r.err
}

// prepareThreadAndFork runs on a locked thread with a private filesystem
// context. The steps and messages follow the reference's child.
func prepareThreadAndFork(path string, spec Spec, cred *syscall.Credential, attr *syscall.ProcAttr) (int, error) {
	if cred != nil {
		setuidErr := func(errno syscall.Errno, why string) error {
			msg := ""
			if why != "" {
				msg = fmt.Sprintf("couldn't setuid to %d: %s", cred.Uid, why)
			}
			return &ChildError{Stage: StageSetuid, Err: errno, Msg: msg}
		}
		// Raw system calls change only this thread's credentials; the
		// syscall package's wrappers would change every thread's.
		if !cred.NoSetGroups {
			if errno := setgroups(cred.Groups); errno != 0 {
				return 0, setuidErr(errno, "Could not set groups of effective user")
			}
		}
		if _, _, errno := syscall.RawSyscall(syscall.SYS_SETGID, uintptr(cred.Gid), 0, 0); errno != 0 {
			return 0, setuidErr(errno, "Could not set group id of effective user")
		}
		if _, _, errno := syscall.RawSyscall(syscall.SYS_SETUID, uintptr(cred.Uid), 0, 0); errno != 0 {
			// The reference does not catch this one: only the final line.
			return 0, setuidErr(errno, "")
		}
	}
	if spec.Dir != "" {
		if err := syscall.Chdir(spec.Dir); err != nil {
			return 0, &ChildError{Stage: StageChdir, Err: err,
				Msg: fmt.Sprintf("couldn't chdir to %s: %s", spec.Dir, errnoText(err))}
		}
	}
	if spec.Umask >= 0 {
		syscall.Umask(spec.Umask)
	}
	pid, err := syscall.ForkExec(path, spec.Argv, attr)
	return pid, forkError(err, spec.Argv[0])
}

// forkShared is the fallback where a thread cannot get its own filesystem
// context: the runtime switches user and directory in the child, so a
// failure there cannot be told from an exec failure, and the umask is
// changed for the whole daemon for the duration of the fork.
func forkShared(path string, spec Spec, cred *syscall.Credential, attr *syscall.ProcAttr) (int, error) {
	a := *attr
	sys := *attr.Sys
	sys.Credential = cred
	a.Sys = &sys
	a.Dir = spec.Dir
	if spec.Dir != "" {
		var st syscall.Stat_t
		if err := stat(spec.Dir, &st); err != nil {
			return 0, &ChildError{Stage: StageChdir, Err: err,
				Msg: fmt.Sprintf("couldn't chdir to %s: %s", spec.Dir, errnoText(err))}
		}
	}
	if spec.Umask >= 0 {
		defer syscall.Umask(syscall.Umask(spec.Umask))
	}
	pid, err := syscall.ForkExec(path, spec.Argv, &a)
	return pid, forkError(err, spec.Argv[0])
}

func setgroups(groups []uint32) syscall.Errno {
	var p unsafe.Pointer
	if len(groups) > 0 {
		p = unsafe.Pointer(&groups[0])
	}
	_, _, errno := syscall.RawSyscall(syscall.SYS_SETGROUPS, uintptr(len(groups)), uintptr(p), 0)
	return errno
}

// UserCredential is the credential Supervisor switches to for a user:
// the primary group first in the supplementary list, then the groups that
// list the user as a member.
func UserCredential(uid, gid uint32, groups []uint32) *syscall.Credential {
	return &syscall.Credential{Uid: uid, Gid: gid, Groups: append([]uint32{gid}, groups...)}
}

// lookupEnv returns the first value of key in env, as getenv would.
func lookupEnv(env []string, key string) string {
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// pipes holds the descriptors of one child's standard streams; -1 is
// "none". Parent ends become *os.File when the child is returned.
type pipes struct {
	stdinR, stdinW   int
	stdoutR, stdoutW int
	stderrR, stderrW int
	fd0              int // the child's fd 0 when not a pipe (socket or /dev/null)
	closeFd0         bool
	null             int // the shared /dev/null for discarded streams, or -1
}

// devNull is a descriptor of /dev/null for writing in the daemon's table,
// opened once and shared by every child whose output is discarded.
var devNull = sync.OnceValues(func() (int, error) {
	return syscall.Open(os.DevNull, syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
})

// open makes the child's pipes in the calling thread's descriptor table.
// fd0, when not -1, is the child's stdin (spec.Fd0 in this table); null
// gives the shared /dev/null of this table.
func (p *pipes) open(spec Spec, fd0 int, null func() (int, error)) (err error) {
	*p = pipes{-1, -1, -1, -1, -1, -1, -1, false, -1}
	defer func() {
		if err != nil {
			p.closeChildEnds()
			p.closeParentEnds()
		}
	}()
	switch {
	case fd0 >= 0:
		p.fd0 = fd0
	case spec.Stdin:
		if p.stdinR, p.stdinW, err = pipe(); err != nil {
			return err
		}
	default:
		fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return &SetupError{Op: OpPipe, Err: err}
		}
		p.fd0, p.closeFd0 = fd, true
	}
	if spec.DiscardStdout || (spec.DiscardStderr && !spec.RedirectStderr) {
		if p.null, err = null(); err != nil {
			p.null = -1
			return &SetupError{Op: OpPipe, Err: err}
		}
	}
	if !spec.DiscardStdout {
		if p.stdoutR, p.stdoutW, err = pipe(); err != nil {
			return err
		}
	}
	if !spec.RedirectStderr && !spec.DiscardStderr {
		if p.stderrR, p.stderrW, err = pipe(); err != nil {
			return err
		}
	}
	// Our ends are non-blocking so that os.NewFile registers them with
	// the poller; the child's ends stay blocking.
	for _, fd := range []int{p.stdinW, p.stdoutR, p.stderrR} {
		if fd >= 0 {
			if err := syscall.SetNonblock(fd, true); err != nil {
				return &SetupError{Op: OpPipe, Err: err}
			}
		}
	}
	return nil
}

func pipe() (r, w int, err error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return -1, -1, &SetupError{Op: OpPipe, Err: err}
	}
	return fds[0], fds[1], nil
}

func (p *pipes) childFiles(spec Spec) []uintptr {
	in := p.fd0
	if p.stdinR >= 0 {
		in = p.stdinR
	}
	out := p.stdoutW
	if out < 0 {
		out = p.null
	}
	errFd := p.stderrW
	switch {
	case errFd >= 0:
	case spec.RedirectStderr:
		errFd = out
	default:
		errFd = p.null
	}
	return []uintptr{uintptr(in), uintptr(out), uintptr(errFd)}
}

func (p *pipes) closeChildEnds() {
	for _, fd := range []*int{&p.stdinR, &p.stdoutW, &p.stderrW} {
		if *fd >= 0 {
			syscall.Close(*fd)
			*fd = -1
		}
	}
	if p.closeFd0 && p.fd0 >= 0 {
		syscall.Close(p.fd0)
	}
	p.fd0 = -1
}

func (p *pipes) closeParentEnds() {
	for _, fd := range []*int{&p.stdinW, &p.stdoutR, &p.stderrR} {
		if *fd >= 0 {
			syscall.Close(*fd)
			*fd = -1
		}
	}
}

func (p *pipes) child(pid int) *Child {
	c := &Child{Pid: pid}
	if p.stdinW >= 0 {
		c.Stdin = os.NewFile(uintptr(p.stdinW), fmt.Sprintf("pid %d stdin", pid))
	}
	if p.stdoutR >= 0 {
		c.Stdout = os.NewFile(uintptr(p.stdoutR), fmt.Sprintf("pid %d stdout", pid))
	}
	if p.stderrR >= 0 {
		c.Stderr = os.NewFile(uintptr(p.stderrR), fmt.Sprintf("pid %d stderr", pid))
	}
	return c
}
