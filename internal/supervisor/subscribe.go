package supervisor

import (
	"sync"
	"sync/atomic"
	"time"

	"supervisord/internal/process"
)

// Change is one state transition of one process, as the loop made it.
type Change struct {
	Group, Name string
	From, To    process.State
	Pid         int
	Expected    bool // an exit the configuration expects (exitcodes)
	When        time.Time
}

// Subscription receives the daemon's state changes as they happen.
//
// C carries every transition in order; its buffer is bounded, and a
// subscriber that lets it fill up is dropped: C is closed and Dropped
// reports true (the daemon counts it in DroppedSubscribers). Dirty is
// signalled (coalesced, never dropped) whenever anything in the snapshot
// that Groups returns changed: a transition, a health status, a
// dependency wait, a group added or removed. The loop never waits for a
// subscriber.
type Subscription struct {
	C     <-chan Change
	Dirty <-chan struct{}

	c       chan Change
	dirty   chan struct{}
	hub     *subscribers
	dropped atomic.Bool
}

// Dropped reports whether the subscription was ended because it did not
// keep up.
func (sub *Subscription) Dropped() bool { return sub.dropped.Load() }

// Close ends the subscription; C is closed. Close may be called more
// than once and from any goroutine.
func (sub *Subscription) Close() { sub.hub.remove(sub, false) }

// subscribers is the fan-out from the loop to subscriptions. It is a
// leaf object: the loop holds mu only to do non-blocking sends.
type subscribers struct {
	n       atomic.Int32 // len(subs), read by the loop without mu
	dropped atomic.Uint64

	mu   sync.Mutex // guards subs
	subs []*Subscription
}

// Subscribe returns a subscription whose transition buffer holds buffer
// changes (at least 1).
func (s *Supervisor) Subscribe(buffer int) *Subscription {
	c := make(chan Change, max(buffer, 1))
	d := make(chan struct{}, 1)
	sub := &Subscription{C: c, Dirty: d, c: c, dirty: d, hub: &s.subs}
	s.subs.mu.Lock()
	s.subs.subs = append(s.subs.subs, sub)
	s.subs.n.Store(int32(len(s.subs.subs)))
	s.subs.mu.Unlock()
	return sub
}

// DroppedSubscribers is how many subscriptions were dropped for not
// keeping up since the daemon started.
func (s *Supervisor) DroppedSubscribers() uint64 { return s.subs.dropped.Load() }

func (h *subscribers) remove(sub *Subscription, dropped bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(sub, dropped)
}

func (h *subscribers) removeLocked(sub *Subscription, dropped bool) {
	for i, x := range h.subs {
		if x == sub {
			h.subs = append(h.subs[:i], h.subs[i+1:]...)
			h.n.Store(int32(len(h.subs)))
			if dropped {
				sub.dropped.Store(true)
				h.dropped.Add(1)
			}
			close(sub.c)
			return
		}
	}
}

// change sends c to every subscription, dropping those whose buffer is
// full.
func (h *subscribers) change(c Change) {
	if h.n.Load() == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := 0; i < len(h.subs); i++ {
		sub := h.subs[i]
		select {
		case sub.c <- c:
		default:
			h.removeLocked(sub, true)
			i--
		}
	}
	h.dirtyLocked()
}

// changed signals every subscription's Dirty channel.
func (h *subscribers) changed() {
	if h.n.Load() == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dirtyLocked()
}

func (h *subscribers) dirtyLocked() {
	for _, sub := range h.subs {
		select {
		case sub.dirty <- struct{}{}:
		default: // already signalled
		}
	}
}

// notifyTransition is called by the loop for every transition it makes.
func (l *loop) notifyTransition(p *proc, from process.State, expected bool) {
	l.s.subs.change(Change{
		Group: p.g.cfg.Name, Name: p.Config.Name,
		From: from, To: p.State, Pid: p.Pid, Expected: expected, When: l.now,
	})
}
