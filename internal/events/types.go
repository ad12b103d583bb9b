// Package events implements Supervisor's event system: the event types and
// their exact serialised payloads, the envelope sent to event listeners, the
// listener side of the protocol (READY / RESULT parsing), event-listener
// pools with their buffers and serial numbers, and a bus that routes each
// published event to the pools subscribed to it and decides when TICK events
// are due.
//
// Everything here is a pure state machine driven by the supervisor loop:
// methods take the current time and return effects (bytes to write to a
// listener's stdin, log lines) for the loop to carry out. Nothing in this
// package starts goroutines, blocks, or reads the clock.
package events

import "strings"

// Type is an event type. Abstract types (EVENT, PROCESS_STATE, ...) are never
// published themselves; subscribing to one subscribes to all its subtypes.
type Type uint8

// Event types of Supervisor 4.2.5.
const (
	TypeEvent        Type = iota // EVENT (abstract)
	TypeProcessState             // PROCESS_STATE (abstract)
	TypeProcessStateStopped
	TypeProcessStateExited
	TypeProcessStateStarting
	TypeProcessStateStopping
	TypeProcessStateBackoff
	TypeProcessStateFatal
	TypeProcessStateRunning
	TypeProcessStateUnknown
	TypeProcessCommunication // PROCESS_COMMUNICATION (abstract)
	TypeProcessCommunicationStdout
	TypeProcessCommunicationStderr
	TypeProcessLog // PROCESS_LOG (abstract)
	TypeProcessLogStdout
	TypeProcessLogStderr
	TypeRemoteCommunication
	TypeSupervisorStateChange // SUPERVISOR_STATE_CHANGE (abstract)
	TypeSupervisorStateChangeRunning
	TypeSupervisorStateChangeStopping
	TypeTick // TICK (abstract)
	TypeTick5
	TypeTick60
	TypeTick3600
	TypeProcessGroup // PROCESS_GROUP (abstract)
	TypeProcessGroupAdded
	TypeProcessGroupRemoved
	numTypes
)

// typeInfo describes one type: its wire name, its parent and whether it is
// abstract. The table is read-only.
type typeInfo struct {
	name     string
	parent   Type
	abstract bool
}

var typeTable = [numTypes]typeInfo{
	TypeEvent:                         {"EVENT", TypeEvent, true},
	TypeProcessState:                  {"PROCESS_STATE", TypeEvent, true},
	TypeProcessStateStopped:           {"PROCESS_STATE_STOPPED", TypeProcessState, false},
	TypeProcessStateExited:            {"PROCESS_STATE_EXITED", TypeProcessState, false},
	TypeProcessStateStarting:          {"PROCESS_STATE_STARTING", TypeProcessState, false},
	TypeProcessStateStopping:          {"PROCESS_STATE_STOPPING", TypeProcessState, false},
	TypeProcessStateBackoff:           {"PROCESS_STATE_BACKOFF", TypeProcessState, false},
	TypeProcessStateFatal:             {"PROCESS_STATE_FATAL", TypeProcessState, false},
	TypeProcessStateRunning:           {"PROCESS_STATE_RUNNING", TypeProcessState, false},
	TypeProcessStateUnknown:           {"PROCESS_STATE_UNKNOWN", TypeProcessState, false},
	TypeProcessCommunication:          {"PROCESS_COMMUNICATION", TypeEvent, true},
	TypeProcessCommunicationStdout:    {"PROCESS_COMMUNICATION_STDOUT", TypeProcessCommunication, false},
	TypeProcessCommunicationStderr:    {"PROCESS_COMMUNICATION_STDERR", TypeProcessCommunication, false},
	TypeProcessLog:                    {"PROCESS_LOG", TypeEvent, true},
	TypeProcessLogStdout:              {"PROCESS_LOG_STDOUT", TypeProcessLog, false},
	TypeProcessLogStderr:              {"PROCESS_LOG_STDERR", TypeProcessLog, false},
	TypeRemoteCommunication:           {"REMOTE_COMMUNICATION", TypeEvent, false},
	TypeSupervisorStateChange:         {"SUPERVISOR_STATE_CHANGE", TypeEvent, true},
	TypeSupervisorStateChangeRunning:  {"SUPERVISOR_STATE_CHANGE_RUNNING", TypeSupervisorStateChange, false},
	TypeSupervisorStateChangeStopping: {"SUPERVISOR_STATE_CHANGE_STOPPING", TypeSupervisorStateChange, false},
	TypeTick:                          {"TICK", TypeEvent, true},
	TypeTick5:                         {"TICK_5", TypeTick, false},
	TypeTick60:                        {"TICK_60", TypeTick, false},
	TypeTick3600:                      {"TICK_3600", TypeTick, false},
	TypeProcessGroup:                  {"PROCESS_GROUP", TypeEvent, true},
	TypeProcessGroupAdded:             {"PROCESS_GROUP_ADDED", TypeProcessGroup, false},
	TypeProcessGroupRemoved:           {"PROCESS_GROUP_REMOVED", TypeProcessGroup, false},
}

// String returns the wire name of t, e.g. "PROCESS_STATE_RUNNING".
func (t Type) String() string {
	if t < numTypes {
		return typeTable[t].name
	}
	return "INVALID_EVENT_TYPE"
}

// Abstract reports whether t only groups subtypes and is never published.
func (t Type) Abstract() bool { return t < numTypes && typeTable[t].abstract }

// Is reports whether t is of (equal to, or a subtype of) the type of.
func (t Type) Is(of Type) bool { return IsSubtype(t, of) }

// IsSubtype reports whether t equals of or descends from it, the way an
// event listener subscribed to of receives events of type t.
func IsSubtype(t, of Type) bool {
	if t >= numTypes || of >= numTypes {
		return false
	}
	for {
		if t == of {
			return true
		}
		if t == TypeEvent {
			return false
		}
		t = typeTable[t].parent
	}
}

// Lookup returns the type with the given name. Like the reference's config
// loader it ignores case ("process_state" is PROCESS_STATE).
func Lookup(name string) (Type, bool) {
	up := strings.ToUpper(strings.TrimSpace(name))
	for t := Type(0); t < numTypes; t++ {
		if typeTable[t].name == up {
			return t, true
		}
	}
	return 0, false
}

// Names returns every type name a [eventlistener:x] events= line may use,
// abstract ones included, in a stable order.
func Names() []string {
	out := make([]string, 0, numTypes)
	for t := Type(0); t < numTypes; t++ {
		out = append(out, typeTable[t].name)
	}
	return out
}
