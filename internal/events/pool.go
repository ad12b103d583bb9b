package events

import (
	"fmt"
	"math"
	"time"

	"supervisord/internal/process"
)

// Serial hands out serial numbers: the global event serial shared by every
// pool of a daemon, or one pool's own. The first number is 0; after the
// largest int64 it starts again at 0, as the reference does at maxint.
type Serial struct {
	last int64
	used bool
}

// Next returns the next serial number.
func (s *Serial) Next() int64 {
	if !s.used || s.last == math.MaxInt64 {
		s.used = true
		s.last = 0
		return 0
	}
	s.last++
	return s.last
}

// PoolOptions configures a Pool.
type PoolOptions struct {
	// Identifier is the server identifier sent in every envelope
	// ([supervisord] identifier, "supervisor" by default).
	Identifier string
	// BufferSize is how many events the pool holds while no listener is
	// ready (buffer_size, default 10). When full, the oldest is dropped.
	BufferSize int
	// Events are the subscribed types (events=). Overlapping types are
	// kept: like the reference, an event matching two of them is buffered
	// twice.
	Events []Type
	// ResultHandler judges RESULT bodies; nil means DefaultResultHandler.
	ResultHandler ResultHandler
	// Members are the process names of the pool, in the order events are
	// offered to them (the first READY one gets the next event).
	Members []string
	// Serial is the daemon-wide event serial counter. Nil gives the pool
	// a counter of its own (for tests and single-pool uses).
	Serial *Serial
}

// member is one listener process of a pool.
type member struct {
	listener *Listener
	running  bool // the process is RUNNING (only then it gets events)
	stdinOK  bool // its stdin can still be written
}

// Pool is an event-listener pool ([eventlistener:x]): it buffers the events
// it subscribes to and hands each to exactly one READY listener, the first
// in member order, as the reference does. Rejected events, and events whose
// listener died before answering, are buffered again at the head.
//
// A Pool is owned by the supervisor loop; it is not safe for concurrent use.
type Pool struct {
	name       string
	identifier string
	bufferSize int
	events     []Type
	handler    ResultHandler
	members    []member
	index      map[string]int
	global     *Serial
	serial     Serial
	buf        deque
}

// NewPool returns a pool named name (the [eventlistener:x] group name).
func NewPool(name string, o PoolOptions) (*Pool, error) {
	if o.BufferSize == 0 {
		o.BufferSize = 10
	}
	if o.BufferSize < 1 {
		return nil, fmt.Errorf("pool %s: invalid buffer_size %d", name, o.BufferSize)
	}
	if len(o.Events) == 0 {
		return nil, fmt.Errorf("pool %s: no events subscribed", name)
	}
	if o.Identifier == "" {
		o.Identifier = "supervisor"
	}
	if o.ResultHandler == nil {
		o.ResultHandler = DefaultResultHandler
	}
	if o.Serial == nil {
		o.Serial = &Serial{}
	}
	p := &Pool{
		name:       name,
		identifier: o.Identifier,
		bufferSize: o.BufferSize,
		events:     append([]Type(nil), o.Events...),
		handler:    o.ResultHandler,
		index:      make(map[string]int, len(o.Members)),
		global:     o.Serial,
	}
	for i, n := range o.Members {
		if _, dup := p.index[n]; dup {
			return nil, fmt.Errorf("pool %s: duplicate member %s", name, n)
		}
		p.index[n] = i
		p.members = append(p.members, member{listener: NewListener(n, p.handler)})
	}
	return p, nil
}

// PoolOptionsFor builds pool options from [eventlistener:x] settings:
// events= names, buffer_size, result_handler and the member process names.
func PoolOptionsFor(eventNames []string, bufferSize int, resultHandler string, members []string) (PoolOptions, error) {
	o := PoolOptions{BufferSize: bufferSize, Members: append([]string(nil), members...)}
	for _, n := range eventNames {
		t, ok := Lookup(n)
		if !ok {
			return PoolOptions{}, fmt.Errorf("unknown event type %s", n)
		}
		o.Events = append(o.Events, t)
	}
	h, err := ResultHandlerByName(resultHandler)
	if err != nil {
		return PoolOptions{}, err
	}
	o.ResultHandler = h
	return o, nil
}

// Name returns the pool name.
func (p *Pool) Name() string { return p.name }

// Len returns the number of events waiting in the buffer.
func (p *Pool) Len() int { return p.buf.len() }

// Members returns the number of listener processes.
func (p *Pool) Members() int { return len(p.members) }

// Index returns the member index of the named process.
func (p *Pool) Index(name string) (int, bool) {
	i, ok := p.index[name]
	return i, ok
}

// Listener returns the protocol state of member i.
func (p *Pool) Listener(i int) *Listener { return p.members[i].listener }

// Subscriptions returns how many of the pool's subscribed types t matches;
// the pool buffers an event of type t that many times.
func (p *Pool) Subscriptions(t Type) int {
	n := 0
	for _, s := range p.events {
		if IsSubtype(t, s) {
			n++
		}
	}
	return n
}

// Publish offers ev to the pool: if it subscribes to ev's type the event is
// buffered (and numbered) and sent to a READY listener if there is one.
func (p *Pool) Publish(ev *Event, now time.Time) []Effect {
	n := p.Subscriptions(ev.Type)
	if n == 0 {
		return nil
	}
	var effs []Effect
	for range n {
		effs = p.accept(effs, ev, false)
	}
	return p.dispatch(effs, now)
}

// Feed hands output of member i's stdout to its listener and acts on the
// outcome: a rejected event is buffered again; a listener that became READY
// gets the next event.
func (p *Pool) Feed(i int, data []byte, now time.Time) []Effect {
	var effs []Effect
	for _, e := range p.members[i].listener.Feed(data, now) {
		if r, ok := e.(rejected); ok {
			effs = p.accept(effs, r.Event, true)
			continue
		}
		effs = append(effs, e)
	}
	return p.dispatch(effs, now)
}

// ProcessState tells the pool that member i's process entered state s.
// STARTING means a new process: its listener starts over ACKNOWLEDGED.
// Only RUNNING members get events. A process that is gone (BACKOFF,
// EXITED, STOPPED, FATAL, UNKNOWN) gives back its event in flight, which is
// buffered again at the head.
func (p *Pool) ProcessState(i int, s process.State, now time.Time) []Effect {
	m := &p.members[i]
	var effs []Effect
	switch s {
	case process.Starting:
		if ev := m.listener.takeEvent(); ev != nil {
			effs = p.accept(effs, ev, true)
		}
		m.listener = NewListener(m.listener.name, p.handler)
		m.running = false
		m.stdinOK = true
	case process.Running:
		m.running = true
	case process.Stopping:
		m.running = false
	default:
		m.running = false
		m.stdinOK = false
		if ev := m.listener.takeEvent(); ev != nil {
			effs = p.accept(effs, ev, true)
		}
	}
	return p.dispatch(effs, now)
}

// WriteFailed tells the pool that writing an event to member i failed
// because its stdin is closed. Like the reference, the listener state is
// left alone, but the member gets no further events until it is spawned
// again, and the event goes to the head of the buffer for another member.
func (p *Pool) WriteFailed(i int, now time.Time) []Effect {
	m := &p.members[i]
	m.stdinOK = false
	var effs []Effect
	if ev := m.listener.event; ev != nil {
		serial, _ := ev.Serial()
		effs = append(effs, Log{LevelDebug, fmt.Sprintf(
			"epipe occurred while sending event %d to listener %s, listener state unchanged",
			serial, m.listener.name)})
		m.listener.event = nil
		m.listener.state = ListenerReady
		effs = p.accept(effs, ev, true)
	}
	return p.dispatch(effs, now)
}

// accept buffers ev, numbering it first if this is its first pool or its
// first visit to this pool, and dropping the oldest buffered event when the
// buffer is full.
func (p *Pool) accept(effs []Effect, ev *Event, head bool) []Effect {
	if ev.serial < 0 {
		ev.serial = p.global.Next()
	}
	if ev.poolSerials == nil {
		ev.poolSerials = make(map[string]int64, 1)
	}
	if _, seen := ev.poolSerials[p.name]; !seen {
		ev.poolSerials[p.name] = p.serial.Next()
	} else {
		effs = append(effs, Log{LevelDebug, fmt.Sprintf(
			"rebuffering event %d for pool %s (buf size=%d, max=%d)",
			ev.serial, p.name, p.buf.len(), p.bufferSize)})
	}
	if p.buf.len() >= p.bufferSize && p.buf.len() > 0 {
		old := p.buf.popFront()
		effs = append(effs, Log{LevelError, fmt.Sprintf(
			"pool %s event buffer overflowed, discarding event %d", p.name, old.serial)})
	}
	if head {
		p.buf.pushFront(ev)
	} else {
		p.buf.pushBack(ev)
	}
	return effs
}

// ready returns the first member able to take an event, or -1.
func (p *Pool) ready() int {
	for i := range p.members {
		m := &p.members[i]
		if m.running && m.stdinOK && m.listener.state == ListenerReady {
			return i
		}
	}
	return -1
}

// dispatch sends buffered events, oldest first, to READY members until
// either runs out.
func (p *Pool) dispatch(effs []Effect, now time.Time) []Effect {
	if p.ready() < 0 {
		return effs
	}
	for p.buf.len() > 0 {
		i := p.ready()
		if i < 0 {
			// The reference pops the event, fails to place it and
			// buffers it again; keep its log line.
			ev := p.buf.front()
			effs = append(effs, Log{LevelDebug, fmt.Sprintf(
				"rebuffering event %d for pool %s (buf size=%d, max=%d)",
				ev.serial, p.name, p.buf.len()-1, p.bufferSize)})
			break
		}
		ev := p.buf.popFront()
		m := &p.members[i]
		effs = append(effs, Write{
			Pool:    p.name,
			Index:   i,
			Process: m.listener.name,
			Serial:  ev.serial,
			Data:    Envelope(p.identifier, p.name, ev.serial, ev.poolSerials[p.name], ev),
		})
		_ = m.listener.Send(ev, now) // cannot fail: ready() checked the state
		effs = append(effs, Log{LevelDebug, fmt.Sprintf(
			"event %d sent to listener %s", ev.serial, m.listener.name)})
	}
	return effs
}

// deque is a ring buffer of events with cheap pushes and pops at both ends.
type deque struct {
	items []*Event
	head  int
	n     int
}

func (d *deque) len() int { return d.n }

func (d *deque) grow() {
	if d.n < len(d.items) {
		return
	}
	next := make([]*Event, max(8, 2*len(d.items)))
	for i := range d.n {
		next[i] = d.items[(d.head+i)%len(d.items)]
	}
	d.items, d.head = next, 0
}

func (d *deque) pushBack(ev *Event) {
	d.grow()
	d.items[(d.head+d.n)%len(d.items)] = ev
	d.n++
}

func (d *deque) pushFront(ev *Event) {
	d.grow()
	d.head = (d.head - 1 + len(d.items)) % len(d.items)
	d.items[d.head] = ev
	d.n++
}

func (d *deque) front() *Event { return d.items[d.head] }

func (d *deque) popFront() *Event {
	ev := d.items[d.head]
	d.items[d.head] = nil
	d.head = (d.head + 1) % len(d.items)
	d.n--
	return ev
}
