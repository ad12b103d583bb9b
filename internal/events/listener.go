package events

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"supervisord/internal/pycompat"
)

// ListenerState is the protocol state of one event-listener process, with
// the reference's numeric values.
type ListenerState int

// Listener protocol states.
const (
	ListenerReady        ListenerState = 10 // waiting for an event
	ListenerBusy         ListenerState = 20 // an event was sent, no result yet
	ListenerAcknowledged ListenerState = 30 // result received, READY not yet
	ListenerUnknown      ListenerState = 40 // protocol violated; gets no more events
)

func (s ListenerState) String() string {
	switch s {
	case ListenerReady:
		return "READY"
	case ListenerBusy:
		return "BUSY"
	case ListenerAcknowledged:
		return "ACKNOWLEDGED"
	case ListenerUnknown:
		return "UNKNOWN"
	}
	return fmt.Sprintf("ListenerState(%d)", int(s))
}

// Tokens of the listener protocol, written by the listener on its stdout.
const (
	ReadyToken       = "READY\n"
	ResultTokenStart = "RESULT "
)

// ErrRejected is returned by a ResultHandler that rejects an event: the
// listener is acknowledged and the event is buffered again to be resent.
var ErrRejected = errors.New("event rejected")

// ResultHandler judges the body of a listener's RESULT. It returns nil when
// the event was processed, an error wrapping ErrRejected to have the event
// sent again, or any other error, which also re-buffers the event but puts
// the listener in the UNKNOWN state.
type ResultHandler func(ev *Event, result []byte) error

// DefaultResultHandler accepts the result "OK" and rejects anything else
// (Supervisor's default_handler).
func DefaultResultHandler(_ *Event, result []byte) error {
	if string(result) != "OK" {
		return fmt.Errorf("%w: result %q", ErrRejected, result)
	}
	return nil
}

// ResultHandlerByName resolves a result_handler option. Only Supervisor's
// default handler can be named (its import path or ""): a Python import
// path cannot be honoured by a Go daemon.
func ResultHandlerByName(name string) (ResultHandler, error) {
	switch name {
	case "", "supervisor.dispatchers:default_handler":
		return DefaultResultHandler, nil
	}
	return nil, fmt.Errorf("result_handler %s cannot be resolved", name)
}

// Effect is something the loop must do on behalf of a listener or a pool.
// The concrete types are Write and Log.
type Effect interface{ isEffect() }

// Write asks the loop to write Data to the stdin of listener Index (the
// process named Process) of pool Pool. If the write fails because the pipe
// is closed, the loop calls Pool.WriteFailed.
type Write struct {
	Pool    string
	Index   int
	Process string
	Serial  int64 // global serial of the event being sent
	Data    []byte
}

// Log asks the loop to log a line to the main log.
type Log struct {
	Level Level
	Msg   string
}

// Level is a Supervisor log level, with the same numeric values as
// config.Level (convert with config.Level(l)).
type Level int

// The levels the event system logs at.
const (
	LevelError Level = 40
	LevelWarn  Level = 30
	LevelDebug Level = 10
)

// rejected is an internal effect of Listener.Feed: the event must be
// buffered again at the head of its pool. Pools consume it.
type rejected struct{ Event *Event }

func (Write) isEffect()    {}
func (Log) isEffect()      {}
func (rejected) isEffect() {}

// Listener follows the protocol spoken by one event-listener process: it
// parses what the process writes on stdout (READY, RESULT <len>\n<body>),
// which may arrive split across reads or several tokens at once, and tracks
// the listener state. The zero value is not usable; call NewListener. A new
// process starts ACKNOWLEDGED and must say READY before it gets an event.
type Listener struct {
	name    string
	handler ResultHandler

	state     ListenerState
	buf       []byte // unparsed output
	result    []byte // RESULT body gathered so far
	resultLen int64  // body length announced; -1 while the RESULT line is pending
	event     *Event // event in flight while BUSY
	busySince time.Time
}

// NewListener returns the protocol state of a freshly spawned listener
// process called name. A nil handler means DefaultResultHandler.
func NewListener(name string, handler ResultHandler) *Listener {
	if handler == nil {
		handler = DefaultResultHandler
	}
	return &Listener{name: name, handler: handler, state: ListenerAcknowledged, resultLen: -1}
}

// Name returns the process name the listener was created with.
func (l *Listener) Name() string { return l.name }

// State returns the current protocol state.
func (l *Listener) State() ListenerState { return l.state }

// Event returns the event in flight (nil unless BUSY) and when it was sent.
func (l *Listener) Event() (*Event, time.Time) { return l.event, l.busySince }

// Send records that ev was written to a READY listener, making it BUSY.
func (l *Listener) Send(ev *Event, now time.Time) error {
	if l.state != ListenerReady {
		return fmt.Errorf("listener %s: cannot send event: state is %s", l.name, l.state)
	}
	l.state = ListenerBusy
	l.event = ev
	l.busySince = now
	return nil
}

// takeEvent clears and returns the event in flight, if any.
func (l *Listener) takeEvent() *Event {
	ev := l.event
	l.event = nil
	return ev
}

// Feed consumes output the listener process wrote on its stdout and returns
// the resulting effects. It follows the reference exactly: in ACKNOWLEDGED
// the output must begin with READY\n; in READY any output is a violation;
// in BUSY a "RESULT <len>" line is followed by exactly len bytes handed to
// the result handler. Violations put the listener in UNKNOWN for good
// (until its process is spawned again) and drop whatever else it writes.
func (l *Listener) Feed(data []byte, now time.Time) []Effect {
	_ = now // the protocol has no timeouts; now is kept for symmetry with Pool
	l.buf = append(l.buf, data...)
	var effs []Effect
	for len(l.buf) > 0 {
		switch l.state {
		case ListenerUnknown:
			l.buf = nil
		case ListenerAcknowledged:
			if len(l.buf) < len(ReadyToken) {
				return effs // not enough to decide yet
			}
			if bytes.HasPrefix(l.buf, []byte(ReadyToken)) {
				effs = l.change(effs, ListenerReady)
				l.buf = l.buf[len(ReadyToken):]
			} else {
				effs = l.change(effs, ListenerUnknown)
				l.buf = nil
			}
			l.event = nil
		case ListenerReady:
			// Output while waiting for an event is a violation.
			effs = l.change(effs, ListenerUnknown)
			l.buf = nil
			l.event = nil
		case ListenerBusy:
			if l.resultLen < 0 {
				pos := bytes.IndexByte(l.buf, '\n')
				if pos < 0 {
					return effs // no full RESULT line yet
				}
				line := l.buf[:pos]
				l.buf = l.buf[pos+1:]
				// Like the reference, the first 7 bytes are skipped unseen.
				n, ok := parseResultLen(line[min(len(ResultTokenStart), len(line)):])
				if !ok {
					effs = append(effs, Log{LevelWarn,
						fmt.Sprintf("%s: bad result line: '%s'", l.name, pycompat.DecodeOutput(line))})
					effs = l.change(effs, ListenerUnknown)
					l.buf = nil
					if ev := l.takeEvent(); ev != nil {
						effs = append(effs, rejected{ev})
					}
					return effs
				}
				l.resultLen = n
			} else {
				if needed := l.resultLen - int64(len(l.result)); needed > 0 {
					take := min(needed, int64(len(l.buf)))
					l.result = append(l.result, l.buf[:take]...)
					l.buf = l.buf[take:]
				}
				if int64(len(l.result)) == l.resultLen {
					effs = l.handleResult(effs, l.result)
					l.event = nil
					l.result = nil
					l.resultLen = -1
				}
			}
		}
	}
	l.buf = nil // fully consumed; drop the backing array
	return effs
}

// handleResult runs the result handler on a complete RESULT body.
func (l *Listener) handleResult(effs []Effect, result []byte) []Effect {
	err := l.handler(l.event, result)
	switch {
	case err == nil:
		effs = append(effs, Log{LevelDebug, l.name + ": event was processed"})
		return l.change(effs, ListenerAcknowledged)
	case errors.Is(err, ErrRejected):
		effs = append(effs, Log{LevelWarn, l.name + ": event was rejected"})
		effs = l.change(effs, ListenerAcknowledged)
	default:
		effs = append(effs, Log{LevelWarn, l.name + ": event caused an error"})
		effs = l.change(effs, ListenerUnknown)
	}
	if l.event != nil {
		effs = append(effs, rejected{l.event})
	}
	return effs
}

// change moves the listener to a new state and logs it as the reference does.
func (l *Listener) change(effs []Effect, to ListenerState) []Effect {
	effs = append(effs, Log{LevelDebug, fmt.Sprintf("%s: %s -> %s", l.name, l.state, to)})
	l.state = to
	if to == ListenerUnknown {
		effs = append(effs, Log{LevelWarn, l.name + ": has entered the UNKNOWN state " +
			"and will no longer receive events, this usually indicates the process " +
			"violated the eventlistener protocol"})
	}
	return effs
}

// parseResultLen parses the length of a RESULT line the way Python's int()
// parses bytes: surrounding ASCII whitespace, an optional sign, decimal
// digits with single underscores between them. Negative or out-of-range
// lengths are refused (the reference would wait forever on them).
func parseResultLen(b []byte) (int64, bool) {
	b = bytes.Trim(b, " \t\n\r\v\f")
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg := b[0] == '-'
		b = b[1:]
		if neg {
			n, ok := parseDigits(b)
			return 0, ok && n == 0
		}
	}
	return parseDigits(b)
}

func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var n int64
	prevUnderscore := true // a leading underscore is invalid
	for _, c := range b {
		switch {
		case c == '_':
			if prevUnderscore {
				return 0, false
			}
			prevUnderscore = true
			continue
		case c >= '0' && c <= '9':
			if n > (1<<62)/10 {
				return 0, false
			}
			n = n*10 + int64(c-'0')
			prevUnderscore = false
		default:
			return 0, false
		}
	}
	if prevUnderscore {
		return 0, false
	}
	return n, true
}
