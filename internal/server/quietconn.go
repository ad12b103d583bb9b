package server

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Requests are read and answered with raw system calls, so that serving
// one does not wake the Go runtime's system monitor.
//
// The runtime's monitor thread (sysmon) parks when every processor is
// idle, which for a daemon is most of the time between two requests, and
// the next system call made the ordinary way (syscall.Read, as the net
// package does) wakes it: a futex wake, then a few of its 20 µs sleeps
// before it parks again. perf over a client calling getProcessInfo in a
// loop put a quarter of the daemon's CPU in that thread's wakeups and
// sleeps; a minimal HTTP server on this socket went from 0.042 to 0.028 ms
// of CPU per call when its reads and writes were raw.
//
// A read or a write on a non-blocking socket never blocks, so it has no
// need of what the ordinary path does (telling the scheduler the thread
// may block, which is what wakes the monitor). The calls go through the
// connection's RawConn, which still parks the goroutine in the poller when
// the socket would block and still keeps the deadlines and Close.

// quietConn is an accepted socket whose reads and writes are raw.
type quietConn struct {
	net.Conn // the *net.UnixConn or *net.TCPConn, for everything else
	raw      syscall.RawConn

	rmu   sync.Mutex // Read's state below, for one Read at a time
	rbuf  []byte
	rn    int
	rerr  syscall.Errno
	rfunc func(fd uintptr) bool

	wmu   sync.Mutex // Write's state below
	wbuf  []byte
	wn    int
	werr  syscall.Errno
	wfunc func(fd uintptr) bool
}

// quiet wraps c when it is a socket the runtime's poller manages, and
// returns it as it is otherwise.
func quiet(c net.Conn) net.Conn {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c
	}
	switch c.(type) {
	case *net.UnixConn, *net.TCPConn:
	default:
		return c
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return c
	}
	q := &quietConn{Conn: c, raw: raw}
	// Method values made once, so that a call allocates nothing.
	q.rfunc, q.wfunc = q.readFD, q.writeFD
	return q
}

// readFD reads once into rbuf; it returns false when the poller must wait
// for the socket to be readable.
func (q *quietConn) readFD(fd uintptr) bool {
	for {
		n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&q.rbuf[0])), uintptr(len(q.rbuf)))
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		}
		q.rn, q.rerr = int(n), e
		return true
	}
}

// writeFD writes what is left of wbuf; it returns false when the poller
// must wait for room in the socket.
func (q *quietConn) writeFD(fd uintptr) bool {
	for q.wn < len(q.wbuf) {
		n, _, e := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&q.wbuf[q.wn])), uintptr(len(q.wbuf)-q.wn))
		switch e {
		case 0:
			if n == 0 { // not for a socket with room; never spin on it
				q.werr = unix.EIO
				return true
			}
			q.wn += int(n)
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			q.werr = e
			return true
		}
	}
	return true
}

func (q *quietConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	q.rmu.Lock()
	defer q.rmu.Unlock()
	q.rbuf, q.rn, q.rerr = p, 0, 0
	err := q.raw.Read(q.rfunc)
	q.rbuf = nil
	switch {
	case err != nil:
		return 0, q.opError("read", err)
	case q.rerr != 0:
		return 0, q.opError("read", os.NewSyscallError("read", q.rerr))
	case q.rn == 0:
		return 0, io.EOF
	}
	return q.rn, nil
}

func (q *quietConn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	q.wmu.Lock()
	defer q.wmu.Unlock()
	q.wbuf, q.wn, q.werr = p, 0, 0
	err := q.raw.Write(q.wfunc)
	q.wbuf = nil
	switch {
	case err != nil:
		return q.wn, q.opError("write", err)
	case q.werr != 0:
		return q.wn, q.opError("write", os.NewSyscallError("write", q.werr))
	}
	return q.wn, nil
}

// opError reports err as the net package reports a failed read or write
// (net/http tells a client that went away from other failures by it). An
// error of the poller (a deadline, a closed connection) comes already
// wrapped, freshly, under the raw operation's name, which is renamed.
func (q *quietConn) opError(op string, err error) error {
	if oe, ok := err.(*net.OpError); ok {
		oe.Op = op
		return oe
	}
	return &net.OpError{Op: op, Net: q.LocalAddr().Network(), Source: q.LocalAddr(), Addr: q.RemoteAddr(), Err: err}
}

// CloseWrite shuts the write side, as net/http and the lingering close do.
func (q *quietConn) CloseWrite() error {
	if cw, ok := q.Conn.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return nil
}
