package process

import (
	"errors"
	"fmt"
)

// Event is something that moves a process between states.
type Event int

// The events of the state machine, in the order the reference's process
// life goes through them.
const (
	// EventSpawn is a start: by request, autostart, autorestart or a
	// retry after BACKOFF.
	EventSpawn Event = iota
	// EventSpawnFailed is a start that created no child (or whose
	// pre-start hook succeeded but whose command could not start).
	EventSpawnFailed
	// EventHookDone is the pre-start hook ending well: the command now
	// runs and startsecs count from here. The state stays STARTING.
	EventHookDone
	// EventStarted is startsecs passing with the child still alive.
	EventStarted
	// EventExitEarly is the child ending before startsecs passed.
	EventExitEarly
	// EventExit is the child ending in any other way; a child being
	// stopped ends in STOPPED, any other in EXITED.
	EventExit
	// EventKill is a stop signal (or the SIGKILL after stopwaitsecs); in
	// BACKOFF it cancels the retry instead.
	EventKill
	// EventSignal is a signal sent with signalProcess; the state stays.
	EventSignal
	// EventKillFailed is kill(2) failing for a reason other than a gone
	// process: the process's fate is unknown.
	EventKillFailed
	// EventSignalFailed is the same for a signal sent with signalProcess.
	EventSignalFailed
	// EventGiveUp is BACKOFF running out of retries (or a stop while in
	// BACKOFF during shutdown).
	EventGiveUp
	// EventReady is the process's own report of readiness (ready_when=
	// notify or a check) while STARTING.
	EventReady
	// EventNotReadyExit is the exit of a process that was stopped for
	// missing its readiness deadline: a failed start.
	EventNotReadyExit

	numEvents = iota
)

var eventNames = [numEvents]string{
	"spawn", "spawn failed", "hook done", "started", "exit early", "exit",
	"kill", "signal", "kill failed", "signal failed", "give up",
	"ready", "not-ready exit",
}

func (e Event) String() string {
	if e >= 0 && int(e) < len(eventNames) {
		return eventNames[e]
	}
	return fmt.Sprintf("event %d", int(e))
}

// States lists every process state, for walking the transition table.
var States = []State{Stopped, Starting, Running, Backoff, Stopping, Exited, Fatal, Unknown}

// transitions is the state machine: for each state, the events it accepts
// and the state each leads to. A pair that is not here is an illegal
// transition. The reference's ProcessStates rules, plus one of ours: a
// process in UNKNOWN whose child exits goes to EXITED.
var transitions = map[State]map[Event]State{
	Stopped: {EventSpawn: Starting},
	Starting: {
		EventSpawnFailed:  Backoff,
		EventHookDone:     Starting,
		EventStarted:      Running,
		EventExitEarly:    Backoff,
		EventExit:         Exited, // by way of RUNNING, as in the reference
		EventKill:         Stopping,
		EventSignalFailed: Unknown,
		EventReady:        Running,
	},
	Running: {
		EventExit:         Exited,
		EventKill:         Stopping,
		EventSignal:       Running,
		EventSignalFailed: Unknown,
	},
	Backoff: {
		EventSpawn:  Starting,
		EventKill:   Stopped,
		EventGiveUp: Fatal,
	},
	Stopping: {
		EventExit:         Stopped,
		EventKill:         Stopping,
		EventSignal:       Stopping,
		EventKillFailed:   Unknown,
		EventSignalFailed: Unknown,
		EventNotReadyExit: Backoff,
	},
	Exited:  {EventSpawn: Starting},
	Fatal:   {EventSpawn: Starting},
	Unknown: {EventSpawn: Starting, EventExit: Exited},
}

// ErrBadTransition is returned for an event the state machine does not
// accept in the process's current state. It always means a bug in the
// caller: the loop logs it as one.
var ErrBadTransition = errors.New("illegal transition")

// ErrNotRunning is returned by Stop, Kill and Signal when the process has
// no child to signal; the error's text is the reference's message.
var ErrNotRunning = errors.New("process not running")

// ErrSignalFailed is returned by Stop, Kill and Signal when kill(2)
// failed; the process is then UNKNOWN and the error's text is the
// reference's message.
var ErrSignalFailed = errors.New("signal failed")

// Next is the state ev leads to from from, or an error wrapping
// ErrBadTransition.
func Next(from State, ev Event) (State, error) {
	if to, ok := transitions[from][ev]; ok {
		return to, nil
	}
	return from, fmt.Errorf("%w: %s in state %s", ErrBadTransition, ev, from)
}

// allowed reports whether some event leads from from to to.
func allowed(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// check is the first step of every transition: it fails, naming the
// process and its state, before anything about the process has changed.
func (p *Proc) check(ev Event) error {
	if _, err := Next(p.State, ev); err != nil {
		return fmt.Errorf("%w: %s: %s in state %s", ErrBadTransition, p.Config.Name, ev, p.State)
	}
	return nil
}

// reportedError is a failure the process has already logged in the
// reference's words: Error is that message, and it wraps kind.
type reportedError struct {
	msg  string
	kind error
}

func (e *reportedError) Error() string { return e.msg }
func (e *reportedError) Unwrap() error { return e.kind }
