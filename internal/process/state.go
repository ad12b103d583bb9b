// Package process holds the Supervisor process state machine: the states,
// the rules that move a process between them, and the information row
// that clients see. The machine is pure: methods take the current time and
// return effects for the supervisor loop to carry out.
package process

// State is a process state with Supervisor's numeric values.
type State int

// Supervisor 4.x process states.
const (
	Stopped  State = 0
	Starting State = 10
	Running  State = 20
	Backoff  State = 30
	Stopping State = 40
	Exited   State = 100
	Fatal    State = 200
	Unknown  State = 1000
)

var stateNames = map[State]string{
	Stopped:  "STOPPED",
	Starting: "STARTING",
	Running:  "RUNNING",
	Backoff:  "BACKOFF",
	Stopping: "STOPPING",
	Exited:   "EXITED",
	Fatal:    "FATAL",
	Unknown:  "UNKNOWN",
}

func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return "UNKNOWN"
}

// IsStopped reports whether s is one of Supervisor's STOPPED_STATES
// (STOPPED, EXITED, FATAL, UNKNOWN): a process in them can be started.
func (s State) IsStopped() bool {
	return s == Stopped || s == Exited || s == Fatal || s == Unknown
}

// IsRunning reports whether s is one of Supervisor's RUNNING_STATES
// (RUNNING, BACKOFF, STARTING): starting such a process is ALREADY_STARTED.
func (s State) IsRunning() bool {
	return s == Running || s == Backoff || s == Starting
}

// IsSignallable reports whether a process in s has a live pid to signal
// (RUNNING, STARTING, STOPPING).
func (s State) IsSignallable() bool {
	return s == Running || s == Starting || s == Stopping
}

// SupervisorState is the daemon's own state.
type SupervisorState int

// Supervisor daemon states with the reference's numeric values.
const (
	SupervisorFatal      SupervisorState = 2
	SupervisorRunning    SupervisorState = 1
	SupervisorRestarting SupervisorState = 0
	SupervisorShutdown   SupervisorState = -1
)

func (s SupervisorState) String() string {
	switch s {
	case SupervisorFatal:
		return "FATAL"
	case SupervisorRunning:
		return "RUNNING"
	case SupervisorRestarting:
		return "RESTARTING"
	case SupervisorShutdown:
		return "SHUTDOWN"
	}
	return "UNKNOWN"
}
