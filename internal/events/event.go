package events

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"supervisord/internal/process"
	"supervisord/internal/pycompat"
)

// Event is one published event: its type and its payload, rendered when the
// event is created (as the reference does for state events, so that later
// changes to the process do not alter it).
//
// An Event receives its global serial number when the first pool accepts it
// and one serial number per pool that accepts it; an event that no pool
// subscribes to never consumes a serial. Events are shared by pointer
// between the pools that buffer them and are only touched by the loop.
type Event struct {
	Type    Type
	Payload string

	serial      int64 // -1 until a pool accepts the event
	poolSerials map[string]int64
}

// New returns an event of type t with the given payload. Prefer the typed
// constructors, which render payloads exactly as Supervisor does.
func New(t Type, payload string) *Event {
	return &Event{Type: t, Payload: payload, serial: -1}
}

// Serial returns the event's global serial and whether it has one yet.
func (e *Event) Serial() (int64, bool) { return e.serial, e.serial >= 0 }

// PoolSerial returns the serial the named pool gave the event, if any.
func (e *Event) PoolSerial(pool string) (int64, bool) {
	n, ok := e.poolSerials[pool]
	return n, ok
}

// Stream names a child output stream.
type Stream int

// The two output streams of a child.
const (
	Stdout Stream = iota
	Stderr
)

func (s Stream) String() string {
	if s == Stderr {
		return "stderr"
	}
	return "stdout"
}

// ProcessStateChange describes one process state transition for
// ProcessStateEvent. Tries is used by STARTING and BACKOFF, Expected by
// EXITED, Pid by RUNNING, STOPPING, EXITED and STOPPED.
type ProcessStateChange struct {
	Name     string // process name
	Group    string // group name
	From, To process.State
	Tries    int
	Expected bool
	Pid      int
}

// stateEventTypes maps a process state to the event announcing it.
func stateEventType(s process.State) Type {
	switch s {
	case process.Stopped:
		return TypeProcessStateStopped
	case process.Starting:
		return TypeProcessStateStarting
	case process.Running:
		return TypeProcessStateRunning
	case process.Backoff:
		return TypeProcessStateBackoff
	case process.Stopping:
		return TypeProcessStateStopping
	case process.Exited:
		return TypeProcessStateExited
	case process.Fatal:
		return TypeProcessStateFatal
	}
	return TypeProcessStateUnknown
}

// ProcessStateEvent returns the PROCESS_STATE_* event for a transition:
// "processname:x groupname:y from_state:Z" followed by the fields the
// target state carries, with no trailing newline. A target state outside
// Supervisor's set yields PROCESS_STATE_UNKNOWN.
func ProcessStateEvent(c ProcessStateChange) *Event {
	t := stateEventType(c.To)
	var b strings.Builder
	b.WriteString("processname:")
	b.WriteString(c.Name)
	b.WriteString(" groupname:")
	b.WriteString(c.Group)
	b.WriteString(" from_state:")
	b.WriteString(c.From.String())
	switch t {
	case TypeProcessStateStarting, TypeProcessStateBackoff:
		b.WriteString(" tries:")
		b.WriteString(strconv.Itoa(c.Tries))
	case TypeProcessStateExited:
		b.WriteString(" expected:")
		if c.Expected {
			b.WriteString("1")
		} else {
			b.WriteString("0")
		}
		b.WriteString(" pid:")
		b.WriteString(strconv.Itoa(c.Pid))
	case TypeProcessStateRunning, TypeProcessStateStopping, TypeProcessStateStopped:
		b.WriteString(" pid:")
		b.WriteString(strconv.Itoa(c.Pid))
	}
	return New(t, b.String())
}

// ProcessLogEvent returns PROCESS_LOG_STDOUT or PROCESS_LOG_STDERR for output
// a process wrote: a header line "processname:x groupname:y pid:n
// channel:stdout" then the data. Data that is not valid UTF-8 is shown the
// way the reference shows it: "Undecodable: b'...'".
func ProcessLogEvent(s Stream, name, group string, pid int, data []byte) *Event {
	t := TypeProcessLogStdout
	if s == Stderr {
		t = TypeProcessLogStderr
	}
	payload := fmt.Sprintf("processname:%s groupname:%s pid:%d channel:%s\n%s",
		name, group, pid, s, pycompat.DecodeOutput(data))
	return New(t, payload)
}

// ProcessCommunicationEvent returns PROCESS_COMMUNICATION_STDOUT or _STDERR
// for a message a process framed between the capture-mode tokens: a header
// line "processname:x groupname:y pid:n" then the data.
func ProcessCommunicationEvent(s Stream, name, group string, pid int, data []byte) *Event {
	t := TypeProcessCommunicationStdout
	if s == Stderr {
		t = TypeProcessCommunicationStderr
	}
	payload := fmt.Sprintf("processname:%s groupname:%s pid:%d\n%s",
		name, group, pid, pycompat.DecodeOutput(data))
	return New(t, payload)
}

// Tokens a process writes around a message to send a
// PROCESS_COMMUNICATION event (capture mode).
const (
	CommBeginToken = "<!--XSUPERVISOR:BEGIN-->"
	CommEndToken   = "<!--XSUPERVISOR:END-->"
)

// RemoteCommunicationEvent returns the REMOTE_COMMUNICATION event sent by
// the sendRemoteCommEvent API call: "type:x" then a newline and the data.
func RemoteCommunicationEvent(typ, data string) *Event {
	return New(TypeRemoteCommunication, "type:"+typ+"\n"+data)
}

// SupervisorRunningEvent returns SUPERVISOR_STATE_CHANGE_RUNNING (empty payload).
func SupervisorRunningEvent() *Event { return New(TypeSupervisorStateChangeRunning, "") }

// SupervisorStoppingEvent returns SUPERVISOR_STATE_CHANGE_STOPPING (empty payload).
func SupervisorStoppingEvent() *Event { return New(TypeSupervisorStateChangeStopping, "") }

// ProcessGroupAddedEvent returns PROCESS_GROUP_ADDED: "groupname:x\n".
func ProcessGroupAddedEvent(group string) *Event {
	return New(TypeProcessGroupAdded, "groupname:"+group+"\n")
}

// ProcessGroupRemovedEvent returns PROCESS_GROUP_REMOVED: "groupname:x\n".
func ProcessGroupRemovedEvent(group string) *Event {
	return New(TypeProcessGroupRemoved, "groupname:"+group+"\n")
}

// TickEvent returns TICK_5, TICK_60 or TICK_3600 for a period in seconds;
// when is the Unix time truncated to the period. ok is false for any other
// period.
func TickEvent(period int, when int64) (ev *Event, ok bool) {
	var t Type
	switch period {
	case 5:
		t = TypeTick5
	case 60:
		t = TypeTick60
	case 3600:
		t = TypeTick3600
	default:
		return nil, false
	}
	return New(t, "when:"+strconv.FormatInt(when, 10)), true
}

// PayloadLen is the len: header value for a payload. The reference counts
// characters, not bytes (its listeners read text), so a payload with
// multi-byte UTF-8 characters has a len smaller than its byte size.
func PayloadLen(payload string) int { return utf8.RuneCountInString(payload) }

// Envelope renders the bytes sent to a listener's stdin for ev: the header
// line "ver:3.0 server:<identifier> serial:<n> pool:<pool>
// poolserial:<n> eventname:<NAME> len:<n>" and a newline, then the payload.
func Envelope(identifier, pool string, serial, poolSerial int64, ev *Event) []byte {
	b := make([]byte, 0, 96+len(identifier)+len(pool)+len(ev.Payload))
	b = append(b, "ver:3.0 server:"...)
	b = append(b, identifier...)
	b = append(b, " serial:"...)
	b = strconv.AppendInt(b, serial, 10)
	b = append(b, " pool:"...)
	b = append(b, pool...)
	b = append(b, " poolserial:"...)
	b = strconv.AppendInt(b, poolSerial, 10)
	b = append(b, " eventname:"...)
	b = append(b, ev.Type.String()...)
	b = append(b, " len:"...)
	b = strconv.AppendInt(b, int64(PayloadLen(ev.Payload)), 10)
	b = append(b, '\n')
	b = append(b, ev.Payload...)
	return b
}
