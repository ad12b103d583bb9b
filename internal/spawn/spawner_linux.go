package spawn

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"syscall"
)

// A fork copies the forking thread's descriptor table, and the exec that
// follows closes every close-on-exec entry of the copy: both cost in
// proportion to the descriptors the daemon holds, which grow with its
// programs (a stdin pipe each, stdout and stderr pipes where they are read;
// about 20,000 at 10,000 programs), and they are paid for every child.
// So when the daemon's table is large, children are forked from the
// spawner: one OS thread, locked for the daemon's life, with a descriptor
// table of its own (unshare(CLONE_FILES))
// that holds only the standard streams, the runtime's poller and a socket
// to the daemon. It makes each child's pipes in its own table, forks, and
// hands the daemon's ends over the socket (SCM_RIGHTS); what the child
// needs from the daemon's table (an fcgi socket, a cgroup directory)
// crosses the other way first. This is the idea of a fork server, as
// Android's zygote and systemd's executor keep forks away from a large
// process, done with a thread instead of a process so that the children
// stay the daemon's own.
//
// The Go runtime never runs another goroutine on a locked thread, and
// threads it starts while on one are made by a thread with the original
// state, so nothing but the spawner's own work sees its table. That table
// must keep the runtime's poller descriptors (epoll and its eventfd), which
// the runtime uses from whatever thread it is on: every epoll and eventfd
// there at the start is kept, everything else is closed. The spawner's
// own work uses system calls alone, never an os.File: opening one may
// touch descriptors of the daemon's table (the test log of a test binary
// writes to its file from whichever goroutine opens a file).

// spawnerFrom is the size of the daemon's descriptor table from which a
// fork goes through the spawner. The hand-off to the spawner's thread and
// back is two thread switches, up to a few tenths of a millisecond on a
// virtual machine; below a thousand or so descriptors copying and closing
// the table costs less (go test -bench StartHolding ./internal/spawn/),
// and the daemon forks from its own table, as a small one always did. At
// 10,000 programs the spawner brought the start from 1.2-1.4 to 1.1 times
// the fork/exec limit (bench/compare.sh --only scale).
const spawnerFrom = 1024

// bigTable reports whether the daemon's descriptor table reaches
// spawnerFrom, judged by the lowest free descriptor: descriptors are
// handed out lowest first, so a table that has grown is full up to near
// its top (a hole left by a closed one is taken by the next one opened).
func bigTable() bool {
	fd, _, errno := syscall.Syscall(syscall.SYS_FCNTL, 2, syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return false
	}
	syscall.Close(int(fd))
	return int(fd) >= spawnerFrom
}

// spawner is the forking thread and its socket.
type spawner struct {
	mu      sync.Mutex // one request at a time, so messages pair up
	reqs    chan func()
	mainEnd int // the socket's end in the daemon's table
	sideEnd int // the other end, open only in the spawner's table
	tid     int // the spawner's thread id
	null    int // /dev/null for writing, in the spawner's table
}

// theSpawner is the daemon's spawner, started on first use; nil when the
// thread cannot have a table of its own (then children are forked as
// before).
var theSpawner = sync.OnceValue(func() *spawner {
	s, err := newSpawner()
	if err != nil {
		return nil
	}
	return s
})

func newSpawner() (*spawner, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("spawn: spawner socket: %w", err)
	}
	s := &spawner{reqs: make(chan func()), mainEnd: fds[0], sideEnd: fds[1], null: -1}
	ready := make(chan error, 1)
	go s.run(ready)
	if err := <-ready; err != nil {
		syscall.Close(fds[0])
		syscall.Close(fds[1])
		return nil, err
	}
	// The daemon's copy of the spawner's end is not used.
	syscall.Close(s.sideEnd)
	return s, nil
}

// close ends the spawner's thread, and with it its table; only tests make
// spawners that end.
func (s *spawner) close() {
	close(s.reqs)
	syscall.Close(s.mainEnd)
}

// run is the spawner's goroutine: it takes a thread of its own and serves
// requests for the daemon's life.
func (s *spawner) run(ready chan<- error) {
	runtime.LockOSThread() // never unlocked: the thread is the spawner's
	if syscall.Gettid() == syscall.Getpid() {
		// Not the main thread, whose table /proc shows for the whole
		// process: hold it while another goroutine takes a thread.
		inner := make(chan error, 1)
		go s.run(inner)
		ready <- <-inner
		runtime.UnlockOSThread()
		return
	}
	if err := s.setUp(); err != nil {
		ready <- err
		// The thread may hold a half-made table: end it with the
		// goroutine (a locked thread is not reused).
		return
	}
	ready <- nil
	for f := range s.reqs {
		f()
	}
}

// setUp gives the thread a table of its own and empties it of what the
// daemon had open.
func (s *spawner) setUp() error {
	if err := syscall.Unshare(syscall.CLONE_FILES); err != nil {
		return fmt.Errorf("spawn: unshare(CLONE_FILES): %w", err)
	}
	s.tid = syscall.Gettid()
	names, err := readDirRaw("/proc/thread-self/fd")
	if err != nil {
		return fmt.Errorf("spawn: listing the spawner's descriptors: %w", err)
	}
	link := make([]byte, 64)
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil || fd <= 2 || fd == s.sideEnd {
			continue
		}
		n, err := syscall.Readlink("/proc/thread-self/fd/"+name, link)
		if err != nil {
			continue // the directory's own descriptor, closed already
		}
		if l := string(link[:n]); l == "anon_inode:[eventpoll]" || l == "anon_inode:[eventfd]" {
			// Perhaps the runtime's poller; kept, but never for a child.
			syscall.CloseOnExec(fd)
			continue
		}
		syscall.Close(fd)
	}
	null, err := syscall.Open(os.DevNull, syscall.O_WRONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("spawn: spawner /dev/null: %w", err)
	}
	s.null = null
	return nil
}

// StartFromSpawner is Start through the spawner whatever the size of the
// daemon's table, for a child that needs no other user, directory or
// umask; tests use it to reach the spawner's path with a small table.
func StartFromSpawner(spec Spec) (*Child, error) {
	if spec.Cred != nil || spec.Dir != "" || spec.Umask >= 0 {
		return nil, errors.New("spawn: the spawner takes no user, directory or umask")
	}
	sp := theSpawner()
	if sp == nil {
		return nil, errors.New("spawn: no spawner here")
	}
	path, err := commandPath(spec)
	if err != nil {
		return nil, err
	}
	return sp.start(path, spec)
}

// start runs Start on the spawner for a child that needs no other user,
// directory or umask.
func (s *spawner) start(path string, spec Spec) (*Child, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var in []int
	if spec.Fd0 != nil {
		in = append(in, int(spec.Fd0.Fd())) // Fd makes it blocking, as a child expects
	}
	if spec.Contain.UseCgroupFD {
		in = append(in, spec.Contain.CgroupFD)
	}
	if len(in) > 0 {
		if err := sendFds(s.mainEnd, in); err != nil {
			return nil, &SetupError{Op: OpPipe, Err: err}
		}
	}
	type result struct {
		pid  int
		err  error
		ends [3]bool // stdin, stdout and stderr ends follow, in that order
	}
	done := make(chan result, 1)
	s.reqs <- func() {
		pid, ends, err := s.fork(path, spec, len(in))
		done <- result{pid, err, ends}
	}
	r := <-done
	if r.err != nil {
		return nil, r.err
	}
	n := 0
	for _, e := range r.ends {
		if e {
			n++
		}
	}
	got, err := recvFds(s.mainEnd, n)
	if err != nil {
		// The child runs but its pipes are lost: end it; the loop reaps
		// it as a pid it does not know.
		syscall.Kill(r.pid, syscall.SIGKILL)
		return nil, &SetupError{Op: OpPipe, Err: err}
	}
	p := pipes{-1, -1, -1, -1, -1, -1, -1, false, -1}
	for i, at := range []*int{&p.stdinW, &p.stdoutR, &p.stderrR} {
		if r.ends[i] {
			*at, got = got[0], got[1:]
		}
	}
	return p.child(r.pid), nil
}

// fork runs on the spawner: it takes the nIn descriptors the daemon sent,
// makes the pipes, forks, and sends the daemon's ends back.
func (s *spawner) fork(path string, spec Spec, nIn int) (pid int, ends [3]bool, err error) {
	fd0, cgroupFD := -1, -1
	if nIn > 0 {
		in, err := recvFds(s.sideEnd, nIn)
		if err != nil {
			return 0, ends, &SetupError{Op: OpPipe, Err: err}
		}
		received := in
		defer func() {
			for _, fd := range received {
				syscall.Close(fd)
			}
		}()
		if spec.Fd0 != nil {
			fd0, in = in[0], in[1:]
		}
		if spec.Contain.UseCgroupFD {
			cgroupFD = in[0]
		}
	}
	var p pipes
	if err := p.open(spec, fd0, func() (int, error) { return s.null, nil }); err != nil {
		return 0, ends, err
	}
	attr := &syscall.ProcAttr{
		Env:   spec.Env,
		Files: p.childFiles(spec),
		Sys:   &syscall.SysProcAttr{Setpgid: spec.Setpgid, Pdeathsig: spec.Contain.Pdeathsig},
	}
	if cgroupFD >= 0 {
		attr.Sys.UseCgroupFD, attr.Sys.CgroupFD = true, cgroupFD
	}
	if join := spec.Contain.JoinThread; join != nil {
		// v1 membership is per thread: join for the fork, then go home.
		home, err := ownV1Tasks()
		if err == nil {
			err = join()
		}
		if err != nil {
			if home != nil {
				home()
			}
			p.closeChildEnds()
			p.closeParentEnds()
			return 0, ends, &SetupError{Op: OpCgroup, Err: err}
		}
		defer home()
	}
	pid, err = syscall.ForkExec(path, spec.Argv, attr)
	err = forkError(err, spec.Argv[0])
	p.closeChildEnds()
	if err != nil {
		p.closeParentEnds()
		return 0, ends, err
	}
	var out []int
	for i, fd := range []int{p.stdinW, p.stdoutR, p.stderrR} {
		if fd >= 0 {
			ends[i] = true
			out = append(out, fd)
		}
	}
	if len(out) > 0 {
		err = sendFds(s.sideEnd, out)
	}
	p.closeParentEnds()
	if err != nil {
		syscall.Kill(pid, syscall.SIGKILL)
		return 0, ends, &SetupError{Op: OpPipe, Err: err}
	}
	return pid, ends, nil
}

// sendFds sends descriptors of the calling thread's table over a socket.
func sendFds(sock int, fds []int) error {
	for {
		err := syscall.Sendmsg(sock, []byte{byte(len(fds))}, syscall.UnixRights(fds...), nil, 0)
		if err != syscall.EINTR {
			return err
		}
	}
}

// recvFds receives n descriptors into the calling thread's table, marked
// close-on-exec.
func recvFds(sock, n int) ([]int, error) {
	buf := make([]byte, 1)
	oob := make([]byte, syscall.CmsgSpace(4*n))
	var oobn, flags int
	var err error
	for {
		_, oobn, flags, _, err = syscall.Recvmsg(sock, buf, oob, syscall.MSG_CMSG_CLOEXEC)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	msgs, err := syscall.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return nil, err
	}
	var fds []int
	for _, m := range msgs {
		got, err := syscall.ParseUnixRights(&m)
		if err != nil {
			return nil, err
		}
		fds = append(fds, got...)
	}
	if len(fds) != n || flags&syscall.MSG_CTRUNC != 0 {
		for _, fd := range fds {
			syscall.Close(fd)
		}
		return nil, errors.New("spawn: descriptors lost in transfer")
	}
	return fds, nil
}

// readDirRaw lists a directory with system calls alone.
func readDirRaw(path string) ([]string, error) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	var names []string
	buf := make([]byte, 8192)
	for {
		n, err := syscall.Getdents(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return names, nil
		}
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
	}
}
