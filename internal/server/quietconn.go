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
	rd, wr   rawOp
}

// rawOp is one direction's state, for one Read (or Write) at a time.
type rawOp struct {
	mu  sync.Mutex
	buf []byte
	n   int
	err syscall.Errno
	fn  func(fd uintptr) bool // readFD or writeFD, made once
}

// quiet wraps c when it is a socket the runtime's poller manages, and
// returns it as it is otherwise.
func quiet(c net.Conn) net.Conn {
	switch c.(type) {
	case *net.UnixConn, *net.TCPConn:
	default:
		return c
	}
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return c
	}
	q := &quietConn{Conn: c, raw: raw}
	// Method values made once, so that a call allocates nothing.
	q.rd.fn, q.wr.fn = q.readFD, q.writeFD
	return q
}

// readFD reads once into rd.buf; it returns false when the poller must
// wait for the socket to be readable.
func (q *quietConn) readFD(fd uintptr) bool {
	o := &q.rd
	for {
		n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&o.buf[0])), uintptr(len(o.buf)))
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false
		case 0:
			o.n = int(n)
		default:
			o.err = e // n is -1
		}
		return true
	}
}

// writeFD writes what is left of wr.buf; it returns false when the poller
// must wait for room in the socket.
func (q *quietConn) writeFD(fd uintptr) bool {
	o := &q.wr
	for o.n < len(o.buf) {
		n, _, e := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&o.buf[o.n])), uintptr(len(o.buf)-o.n))
		switch e {
		case 0:
			if n == 0 { // not for a socket with room; never spin on it
				o.err = unix.EIO
				return true
			}
			o.n += int(n)
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			o.err = e
			return true
		}
	}
	return true
}

func (q *quietConn) Read(p []byte) (int, error) {
	n, err := q.do(&q.rd, p, "read")
	if err == nil && n == 0 && len(p) > 0 {
		return 0, io.EOF
	}
	return n, err
}

func (q *quietConn) Write(p []byte) (int, error) { return q.do(&q.wr, p, "write") }

// do runs o over p through the poller.
func (q *quietConn) do(o *rawOp, p []byte, op string) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf, o.n, o.err = p, 0, 0
	var err error
	if o == &q.rd {
		err = q.raw.Read(o.fn)
	} else {
		err = q.raw.Write(o.fn)
	}
	o.buf = nil
	switch {
	case err != nil:
		return o.n, q.opError(op, err)
	case o.err != 0:
		return o.n, q.opError(op, os.NewSyscallError(op, o.err))
	}
	return o.n, nil
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
