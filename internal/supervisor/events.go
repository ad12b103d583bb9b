package supervisor

import (
	"fmt"
	"io"

	"supervisord/internal/config"
	"supervisord/internal/events"
	"supervisord/internal/logfile"
	"supervisord/internal/process"
)

// eventSink carries output events (PROCESS_LOG, PROCESS_COMMUNICATION)
// from capture goroutines to the loop without ever blocking a capture:
// when the loop is behind, events are dropped and counted.
type eventSink struct {
	ch      chan logfile.Event
	dropped *dropCounter
}

func newEventSink(dropped *dropCounter) *eventSink {
	return &eventSink{ch: make(chan logfile.Event, 1024), dropped: dropped}
}

// Emit implements logfile.EventSink.
func (s *eventSink) Emit(ev logfile.Event) bool {
	select {
	case s.ch <- ev:
		return true
	default:
		s.dropped.add()
		return false
	}
}

// listenerOutput is what an event listener wrote on stdout: protocol
// tokens for its pool. Unlike log events these are never dropped; the
// capture goroutine waits for the loop to take them.
type listenerOutput struct {
	group, name string
	pid         int
	data        []byte
}

// teeReader hands every read of a listener's stdout to the loop as well as
// to the log stream.
type teeReader struct {
	r    io.Reader
	send func([]byte)
}

func (t teeReader) Read(b []byte) (int, error) {
	n, err := t.r.Read(b)
	if n > 0 {
		t.send(append([]byte(nil), b[:n]...))
	}
	return n, err
}

// publish sends ev to every subscribed pool.
func (l *loop) publish(ev *events.Event) {
	l.apply(l.bus.Publish(ev, l.now))
}

// apply carries out what pools ask for: writes to listeners' stdin and log
// lines.
func (l *loop) apply(effs []events.Effect) {
	for len(effs) > 0 {
		e := effs[0]
		effs = effs[1:]
		switch e := e.(type) {
		case events.Write:
			p := l.procIn(e.Pool, e.Process)
			if p == nil || p.io == nil || !p.io.write(e.Data) {
				effs = append(effs, l.bus.WriteFailed(e, l.now)...)
			}
		case events.Log:
			l.Log(config.Level(e.Level), e.Msg)
		}
	}
}

func (l *loop) procIn(group, name string) *proc {
	if g := l.byName[group]; g != nil {
		return g.byName[name]
	}
	return nil
}

// stateEvent publishes the PROCESS_STATE_* event of a transition and keeps
// listener pools informed of their members' states.
func (l *loop) stateEvent(p *proc, from process.State, expected bool) {
	l.apply(l.bus.ProcessStateChange(events.ProcessStateChange{
		Name: p.Config.Name, Group: p.g.cfg.Name,
		From: from, To: p.State,
		Tries: p.Backoff, Expected: expected, Pid: p.Pid,
	}, l.now))
	l.notifyTransition(p, from, expected)
}

// outputEvent publishes an event derived from child output, merged with
// the ones waiting behind it that continue it (coalesce).
func (l *loop) outputEvent(ev logfile.Event) {
	for {
		next, more := coalesce(&ev, l.s.sink.ch)
		l.publishOutput(ev)
		if !more {
			return
		}
		ev = next
	}
}

func (l *loop) publishOutput(ev logfile.Event) {
	stream := events.Stdout
	if ev.Channel == logfile.Stderr {
		stream = events.Stderr
	}
	switch ev.Kind {
	case logfile.EventLog:
		l.publish(events.ProcessLogEvent(stream, ev.Process, ev.Group, ev.Pid, ev.Data))
	case logfile.EventCommunication:
		l.publish(events.ProcessCommunicationEvent(stream, ev.Process, ev.Group, ev.Pid, ev.Data))
	}
}

// emitRemoteComm publishes a REMOTE_COMMUNICATION event.
func (l *loop) emitRemoteComm(typ, data string) {
	l.publish(events.RemoteCommunicationEvent(typ, data))
}

// addPool creates the event pool of a listener group.
func (l *loop) addPool(g *config.Group) error {
	members := make([]string, len(g.Processes))
	for i, p := range g.Processes {
		members[i] = p.Name
	}
	o, err := events.PoolOptionsFor(g.Pool.Events, g.Pool.BufferSize, g.Pool.ResultHandler, members)
	if err != nil {
		return fmt.Errorf("[eventlistener:%s]: %w", g.Name, err)
	}
	_, err = l.bus.AddPool(g.Name, o)
	return err
}
