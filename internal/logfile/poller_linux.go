//go:build linux

package logfile

import (
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The shared poller: one epoll instance and one goroutine wait for every
// child's output pipes, so that a quiet child (most of them, most of the
// time) costs a map entry rather than a parked goroutine and its stack
// for each of its two pipes. Each pipe is registered one-shot: when it
// becomes readable the poller hands it to a goroutine of its own, which
// reads until the pipe is empty and then registers it again. So a child
// whose log destination is slow (a full disk, a stuck syslog) holds up
// its own capture, never another's, and a busy child reads as fast as it
// did with a goroutine of its own.
type poller struct {
	epfd int
	mu   sync.Mutex
	subs map[uint64]*pipeCapture // by registration id
	next uint64
}

var (
	pollerOnce sync.Once
	shared     *poller // nil when epoll is not available
)

func sharedPoller() *poller {
	pollerOnce.Do(func() {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			return
		}
		shared = &poller{epfd: fd, subs: map[uint64]*pipeCapture{}}
		go shared.run()
	})
	return shared
}

// run waits for pipes to become readable, forever.
func (p *poller) run() {
	evs := make([]unix.EpollEvent, 64)
	for {
		n, err := unix.EpollWait(p.epfd, evs, -1)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// Only a broken epoll descriptor fails here, which nothing
			// in the daemon can cause.
			panic(fmt.Sprintf("logfile: epoll_wait: %v", err))
		}
		for _, ev := range evs[:n] {
			p.mu.Lock()
			pc := p.subs[eventID(ev)]
			p.mu.Unlock()
			if pc != nil {
				pc.fire()
			}
		}
	}
}

// eventID and setEventID keep a registration's id in the event's data
// (epoll_data_t as Fd and Pad): an id, not the descriptor, so that an
// event still in flight for a closed pipe can never reach a new pipe that
// got the same descriptor number.
func eventID(ev unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

func armEvent(id uint64) *unix.EpollEvent {
	return &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLONESHOT, Fd: int32(uint32(id)), Pad: int32(uint32(id >> 32))}
}

func (p *poller) add(pc *pipeCapture) error {
	p.mu.Lock()
	p.next++
	pc.id = p.next
	p.subs[pc.id] = pc
	p.mu.Unlock()
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, pc.fd, armEvent(pc.id)); err != nil {
		p.mu.Lock()
		delete(p.subs, pc.id)
		p.mu.Unlock()
		return err
	}
	return nil
}

func (p *poller) rearm(pc *pipeCapture) error {
	return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, pc.fd, armEvent(pc.id))
}

func (p *poller) remove(pc *pipeCapture) {
	unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, pc.fd, nil)
	p.mu.Lock()
	delete(p.subs, pc.id)
	p.mu.Unlock()
}

// pipeCapture is one pipe under the shared poller.
type pipeCapture struct {
	p    *poller
	id   uint64
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
	p := sharedPoller()
	if p == nil {
		return nil
	}
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
	pc := &pipeCapture{p: p, fd: fd, f: f, s: s, c: s.newCapture(pid), done: done}
	if p.add(pc) != nil {
		return nil
	}
	return pc
}

// fire is the poller's: the pipe is readable (or at its end).
func (pc *pipeCapture) fire() {
	pc.mu.Lock()
	if pc.ended || pc.reading {
		pc.mu.Unlock()
		return
	}
	pc.reading = true
	pc.mu.Unlock()
	go pc.drain()
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
			rerr := pc.p.rearm(pc)
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
	pc.p.remove(pc)
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
