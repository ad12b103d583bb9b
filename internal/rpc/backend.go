package rpc

import (
	"context"
	"syscall"

	"supervisord/internal/config"
	"supervisord/internal/process"
)

// Backend is what the API needs from the supervisor. Errors that the API
// must report with a particular fault are *faults.Error values; any other
// error becomes FAILED.
//
// Names: a process is addressed as "group:name", or as "name" alone when
// the group and the process share that name (Supervisor's rule). Resolving
// names and "group:*" is done by the API layer using Groups; the Backend
// methods that act on one process take the group and process names apart.
//
// The API replaces the detail of BAD_NAME, ALREADY_STARTED, SPAWN_ERROR,
// ABNORMAL_TERMINATION and NOT_RUNNING faults (and NO_FILE from
// SendProcessStdin) with the name as the client spelled it, so the Backend
// need not guess it. A Backend may also implement BatchBackend to run
// group starts and stops exactly as Supervisor orders them.
type Backend interface {
	// Identifier is [supervisord] identifier.
	Identifier() string
	// State is the daemon's own state.
	State() process.SupervisorState
	// Pid is the daemon's pid.
	Pid() int

	// Config is the configuration last read (at start, by reloadConfig
	// or by a HUP), which may be newer than the one the running groups
	// came from: addProcessGroup and avail look here. It must not be
	// modified.
	Config() *config.Config
	// Groups returns the groups now in use with their processes, groups
	// in the order Supervisor starts them and processes within a group
	// in the order it acts on them (both stably sorted by priority, ties
	// in configuration order). The slice and its
	// contents are an immutable snapshot.
	Groups() []GroupSnapshot

	// StartProcess starts one process. With wait, it returns when the
	// process reaches RUNNING, or fails with SPAWN_ERROR (never got to
	// STARTING or gave up to FATAL/BACKOFF) or ABNORMAL_TERMINATION
	// (exited while STARTING); without wait, once the spawn was attempted.
	// Faults: BAD_NAME, ALREADY_STARTED, NO_FILE, NOT_EXECUTABLE,
	// SPAWN_ERROR, ABNORMAL_TERMINATION, SHUTDOWN_STATE.
	StartProcess(ctx context.Context, group, name string, wait bool) error
	// StopProcess stops one process; with wait, it returns once the
	// process is in a stopped state. Faults: BAD_NAME, NOT_RUNNING,
	// FAILED (with the reason), SHUTDOWN_STATE.
	StopProcess(ctx context.Context, group, name string, wait bool) error
	// SignalProcess sends sig to the process. Faults: BAD_NAME,
	// NOT_RUNNING, FAILED, SHUTDOWN_STATE.
	SignalProcess(group, name string, sig syscall.Signal) error
	// SendProcessStdin writes data to the process's stdin. Faults:
	// BAD_NAME, NOT_RUNNING, NO_FILE (stdin closed), SHUTDOWN_STATE.
	SendProcessStdin(group, name string, data []byte) error

	// ReloadConfig reads the configuration file again and returns what
	// differs from the one in force, by group name, without applying it.
	// Faults: CANT_REREAD (with every error message), SHUTDOWN_STATE.
	ReloadConfig() (added, changed, removed []string, err error)
	// AddProcessGroup starts using a group from the last reread config.
	// Faults: BAD_NAME, ALREADY_ADDED, SHUTDOWN_STATE.
	AddProcessGroup(name string) error
	// RemoveProcessGroup stops using a group whose processes are all
	// stopped. Faults: BAD_NAME, STILL_RUNNING, SHUTDOWN_STATE.
	RemoveProcessGroup(name string) error
	// Shutdown and Restart ask the daemon to stop everything and exit,
	// or stop everything and start again with a fresh config. Both
	// return at once. Faults: SHUTDOWN_STATE.
	Shutdown() error
	Restart() error

	// MainLogfile is the daemon's log file path, "" when it has none
	// (then reads fail with NO_FILE).
	MainLogfile() string
	// ClearMainLog truncates the main log and removes its backups.
	ClearMainLog() error
	// ClearProcessLogs truncates a process's stdout and stderr logs and
	// removes their backups. Faults: BAD_NAME, FAILED.
	ClearProcessLogs(group, name string) error
	// SendRemoteCommEvent emits a REMOTE_COMMUNICATION event.
	SendRemoteCommEvent(typ, data string) error
}

// GroupSnapshot is one group in use and its processes' current info.
type GroupSnapshot struct {
	Name      string
	Priority  int
	Processes []process.Info
}

// Indexed may be implemented by a Backend to answer calls about one
// process without copying every row: Rows is the published snapshot itself
// (shared, never to be modified; Now and Description are not filled in),
// and Lookup finds a group, and a process in it when name is not empty, in
// constant time.
type Indexed interface {
	Rows() []GroupSnapshot
	Lookup(group, name string) (*GroupSnapshot, *process.Info, bool)
}

// UsageReader may be implemented by an Indexed backend whose shared rows
// leave Usage to be read when a reply is encoded: ReadUsage completes u,
// the row's Usage, for one process. A reply about every process calls
// RefreshUsage once and then CachedUsage per row, which takes the last
// reading instead of reading anew.
type UsageReader interface {
	ReadUsage(group, name string, u process.Usage) process.Usage
	RefreshUsage()
	CachedUsage(group, name string, u process.Usage) process.Usage
}
