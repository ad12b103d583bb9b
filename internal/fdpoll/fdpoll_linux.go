//go:build linux

package fdpoll

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

type poller struct {
	epfd int
	mu   sync.Mutex
	regs map[uint64]*Handle // by registration id
	next uint64
}

var (
	once   sync.Once
	shared *poller // nil when epoll is not available
	setup  error
)

func get() (*poller, error) {
	once.Do(func() {
		fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
		if err != nil {
			setup = fmt.Errorf("fdpoll: epoll_create1: %w", err)
			return
		}
		shared = &poller{epfd: fd, regs: map[uint64]*Handle{}}
		go shared.run()
	})
	return shared, setup
}

// run waits for registered descriptors, forever.
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
			panic(fmt.Sprintf("fdpoll: epoll_wait: %v", err))
		}
		for _, ev := range evs[:n] {
			p.mu.Lock()
			h := p.regs[eventID(ev)]
			p.mu.Unlock()
			if h != nil {
				go h.ready()
			}
		}
	}
}

// eventID and armEvent keep a registration's id in the event's data
// (epoll_data_t as Fd and Pad): an id, not the descriptor, so that an
// event still in flight for a closed descriptor can never reach a new one
// that got the same number.
func eventID(ev unix.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

func armEvent(id uint64) *unix.EpollEvent {
	return &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLONESHOT, Fd: int32(uint32(id)), Pad: int32(uint32(id >> 32))}
}

// Handle is one registered descriptor.
type Handle struct {
	p     *poller
	id    uint64
	fd    int
	ready func()
}

// Register watches fd (which must stay open until Remove) for reading:
// when it is readable, or at its end or in error, ready runs once on a
// goroutine of its own. Call Rearm to be told again.
func Register(fd int, ready func()) (*Handle, error) {
	p, err := get()
	if err != nil {
		return nil, err
	}
	h := &Handle{p: p, fd: fd, ready: ready}
	p.mu.Lock()
	p.next++
	h.id = p.next
	p.regs[h.id] = h
	p.mu.Unlock()
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, armEvent(h.id)); err != nil {
		p.mu.Lock()
		delete(p.regs, h.id)
		p.mu.Unlock()
		return nil, fmt.Errorf("fdpoll: watching descriptor %d: %w", fd, err)
	}
	return h, nil
}

// Rearm watches the descriptor again after its callback ran.
func (h *Handle) Rearm() error {
	return unix.EpollCtl(h.p.epfd, unix.EPOLL_CTL_MOD, h.fd, armEvent(h.id))
}

// Remove stops watching the descriptor; call it before closing it. A
// callback for readiness seen before Remove may still run (once).
func (h *Handle) Remove() {
	unix.EpollCtl(h.p.epfd, unix.EPOLL_CTL_DEL, h.fd, nil)
	h.p.mu.Lock()
	delete(h.p.regs, h.id)
	h.p.mu.Unlock()
}
