package supervisor

import (
	"sync/atomic"

	"supervisord/internal/logfile"
)

// eventSink carries output events (PROCESS_LOG, PROCESS_COMMUNICATION)
// from capture goroutines to the loop without ever blocking a capture:
// when the loop is behind, events are dropped and counted.
type eventSink struct {
	ch      chan logfile.Event
	dropped atomic.Int64
}

func newEventSink() *eventSink {
	return &eventSink{ch: make(chan logfile.Event, 1024)}
}

// Emit implements logfile.EventSink.
func (s *eventSink) Emit(ev logfile.Event) bool {
	select {
	case s.ch <- ev:
		return true
	default:
		s.dropped.Add(1)
		return false
	}
}
