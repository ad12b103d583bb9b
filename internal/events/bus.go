package events

import (
	"fmt"
	"time"
)

// tickPeriods are the TICK event periods in seconds, in the order the
// reference emits them when several roll over at once.
var tickPeriods = [...]int{5, 60, 3600}

// Bus routes published events to every pool subscribed to them, owns the
// daemon-wide serial counter, and keeps the TICK clock. It is owned by the
// supervisor loop and not safe for concurrent use.
type Bus struct {
	identifier string
	serial     Serial
	pools      []*Pool

	ticksStarted bool
	lastTick     [len(tickPeriods)]int64
}

// NewBus returns a bus for a daemon with the given server identifier
// ("" means "supervisor").
func NewBus(identifier string) *Bus {
	if identifier == "" {
		identifier = "supervisor"
	}
	return &Bus{identifier: identifier}
}

// AddPool creates a pool that shares the bus's identifier and global serial.
// Pools receive events in the order they were added.
func (b *Bus) AddPool(name string, o PoolOptions) (*Pool, error) {
	if b.Pool(name) != nil {
		return nil, fmt.Errorf("pool %s already exists", name)
	}
	o.Identifier = b.identifier
	o.Serial = &b.serial
	p, err := NewPool(name, o)
	if err != nil {
		return nil, err
	}
	b.pools = append(b.pools, p)
	return p, nil
}

// RemovePool unsubscribes and forgets the named pool; its buffered events
// are dropped. It reports whether the pool existed.
func (b *Bus) RemovePool(name string) bool {
	for i, p := range b.pools {
		if p.name == name {
			b.pools = append(b.pools[:i], b.pools[i+1:]...)
			return true
		}
	}
	return false
}

// Pool returns the named pool, or nil.
func (b *Bus) Pool(name string) *Pool {
	for _, p := range b.pools {
		if p.name == name {
			return p
		}
	}
	return nil
}

// Pools returns the pools in the order they receive events.
func (b *Bus) Pools() []*Pool { return append([]*Pool(nil), b.pools...) }

// Subscribed reports whether any pool would receive an event of type t. The
// loop may skip building events (e.g. PROCESS_LOG ones) nobody wants.
func (b *Bus) Subscribed(t Type) bool {
	for _, p := range b.pools {
		if p.Subscriptions(t) > 0 {
			return true
		}
	}
	return false
}

// Publish delivers ev to every subscribed pool and returns the effects.
func (b *Bus) Publish(ev *Event, now time.Time) []Effect {
	var effs []Effect
	for _, p := range b.pools {
		effs = append(effs, p.Publish(ev, now)...)
	}
	return effs
}

// ProcessStateChange publishes the PROCESS_STATE_* event for a transition
// and, when the process is a member of a pool (an event listener), updates
// the pool: the loop calls it for every transition of every process.
func (b *Bus) ProcessStateChange(c ProcessStateChange, now time.Time) []Effect {
	effs := b.Publish(ProcessStateEvent(c), now)
	if p := b.Pool(c.Group); p != nil {
		if i, ok := p.Index(c.Name); ok {
			effs = append(effs, p.ProcessState(i, c.To, now)...)
		}
	}
	return effs
}

// Feed hands stdout output of the listener process name in pool group to
// its pool. Output of processes that are not listeners is ignored.
func (b *Bus) Feed(group, name string, data []byte, now time.Time) []Effect {
	p := b.Pool(group)
	if p == nil {
		return nil
	}
	i, ok := p.Index(name)
	if !ok {
		return nil
	}
	return p.Feed(i, data, now)
}

// WriteFailed reports that a Write effect could not be carried out because
// the listener's stdin is closed.
func (b *Bus) WriteFailed(w Write, now time.Time) []Effect {
	p := b.Pool(w.Pool)
	if p == nil || w.Index < 0 || w.Index >= len(p.members) {
		return nil
	}
	return p.WriteFailed(w.Index, now)
}

// timeslice truncates a Unix time to the start of its period.
func timeslice(period int, now time.Time) int64 {
	s := now.Unix()
	return s - s%int64(period)
}

// startTicks starts the tick clock at now, the way the reference records
// the current time slices on its first loop pass without emitting.
func (b *Bus) startTicks(now time.Time) {
	if b.ticksStarted {
		return
	}
	b.ticksStarted = true
	for i, period := range tickPeriods {
		b.lastTick[i] = timeslice(period, now)
	}
}

// tickWanted reports whether any pool subscribes to TICK events of period i.
func (b *Bus) tickWanted(i int) bool {
	t := [...]Type{TypeTick5, TypeTick60, TypeTick3600}[i]
	return b.Subscribed(t)
}

// NextTick returns when the loop must next call Tick, and false when no
// pool subscribes to any TICK event (then no timer is needed). The first
// call to NextTick or Tick starts the tick clock at now: the first TICK of
// each period comes when its period next rolls over.
func (b *Bus) NextTick(now time.Time) (time.Time, bool) {
	b.startTicks(now)
	var next time.Time
	found := false
	for i, period := range tickPeriods {
		if !b.tickWanted(i) {
			continue
		}
		at := time.Unix(b.lastTick[i]+int64(period), 0)
		if !found || at.Before(next) {
			next, found = at, true
		}
	}
	return next, found
}

// Tick publishes TICK_5, TICK_60 and TICK_3600 for each period that has
// rolled over since the last call, with when: set to the new time slice.
func (b *Bus) Tick(now time.Time) []Effect {
	if !b.ticksStarted {
		b.startTicks(now)
		return nil
	}
	var effs []Effect
	for i, period := range tickPeriods {
		this := timeslice(period, now)
		if this == b.lastTick[i] {
			continue
		}
		b.lastTick[i] = this
		ev, _ := TickEvent(period, this)
		effs = append(effs, b.Publish(ev, now)...)
	}
	return effs
}
