//go:build linux

package logfile

import (
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"supervisord/internal/fdpoll"
)

// Pipes wait in the shared poller (internal/fdpoll), so that a quiet
// child costs no goroutine for its two pipes. When a pipe becomes
// readable, a goroutine of its own reads it until it is empty and hands it
// back; so a child whose log destination is slow (a full disk, a stuck
// syslog) holds up its own capture, never another's, and a busy child
// reads as fast as with a goroutine of its own.

// pipeCapture is one pipe under the shared poller.
type pipeCapture struct {
	h    *fdpoll.Handle
	fd   int
	f    *os.File // kept open (and alive) until the capture ends
	s    *Stream
	c    *capture
	done func()

	mu      sync.Mutex
	reading bool // a goroutine owns the pipe: reading it, or ending it
	expired bool // ExpireAt's time has come
	ended   bool
	timer   *time.Timer
}

// startPolled registers f with the shared poller. It returns nil, having
// touched nothing, when f is not a non-blocking descriptor epoll accepts
// (a regular file, a terminal opened blocking).
func (s *Stream) startPolled(f *os.File, pid int, done func()) *pipeCapture {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	fd := -1
	rc.Control(func(u uintptr) {
		if fl, err := unix.FcntlInt(u, unix.F_GETFL, 0); err == nil && fl&unix.O_NONBLOCK != 0 {
			fd = int(u)
		}
	})
	if fd < 0 {
		return nil
	}
	pc := &pipeCapture{fd: fd, f: f, s: s, c: s.newCapture(pid), done: done}
	// Registration and the first callback may race: the callback waits
	// for the handle under mu.
	pc.mu.Lock()
	defer pc.mu.Unlock()
	h, err := fdpoll.Register(fd, pc.fire)
	if err != nil {
		return nil
	}
	pc.h = h
	return pc
}

// fire is the poller's callback, on a goroutine of its own: the pipe is
// readable (or at its end).
func (pc *pipeCapture) fire() {
	pc.mu.Lock()
	if pc.ended || pc.reading {
		pc.mu.Unlock()
		return
	}
	pc.reading = true
	pc.mu.Unlock()
	pc.drain()
}

// drain reads until the pipe is empty, then hands it back to the poller;
// at the end of the pipe, on an error or once expired it ends the capture.
func (pc *pipeCapture) drain() {
	for {
		buf := readBufs.Get().(*[]byte)
		n, err := unix.Read(pc.fd, *buf)
		if n > 0 {
			pc.s.bytesIn.Add(int64(n))
			pc.c.feed((*buf)[:n])
		}
		readBufs.Put(buf)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			pc.mu.Lock()
			if pc.expired {
				pc.mu.Unlock()
				pc.end()
				return
			}
			pc.reading = false
			rerr := pc.h.Rearm()
			if rerr != nil {
				pc.reading = true
			}
			pc.mu.Unlock()
			if rerr != nil {
				pc.end()
			}
			return
		case err != nil || n == 0:
			pc.end()
			return
		}
		pc.mu.Lock()
		expired := pc.expired
		pc.mu.Unlock()
		if expired {
			pc.end()
			return
		}
	}
}

func (pc *pipeCapture) expireAt(t time.Time) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.ended || pc.timer != nil {
		return
	}
	pc.timer = time.AfterFunc(time.Until(t), pc.expire)
}

func (pc *pipeCapture) expire() {
	pc.mu.Lock()
	if pc.ended {
		pc.mu.Unlock()
		return
	}
	pc.expired = true
	if pc.reading {
		pc.mu.Unlock() // the reader ends it after its current read
		return
	}
	pc.reading = true
	pc.mu.Unlock()
	pc.end()
}

// end is called once, by whoever owns the pipe (reading set).
func (pc *pipeCapture) end() {
	pc.h.Remove()
	pc.mu.Lock()
	pc.ended = true
	if pc.timer != nil {
		pc.timer.Stop()
	}
	pc.mu.Unlock()
	pc.c.finish()
	pc.f.Close()
	pc.done()
}
