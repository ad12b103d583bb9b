package config

import (
	"os"
	"syscall"
	"time"

	"supervisord/internal/pycompat"
)

// Config is a fully parsed, expanded and validated supervisord configuration.
// Nothing in it needs further interpretation: sizes are bytes, signals are
// numbers, users are resolved, paths are absolute where Supervisor makes
// them so.
type Config struct {
	// File is the absolute path of the main configuration file.
	File string
	// Files lists every file read, main file first, then includes in the
	// order they were read.
	Files []string

	Supervisord   Supervisord
	Supervisorctl Supervisorctl
	// UnixServers and InetServers hold [unix_http_server] and
	// [inet_http_server] sections (Supervisor accepts at most one of each;
	// named variants like [inet_http_server:x] are accepted too).
	UnixServers []UnixHTTPServer
	InetServers []InetHTTPServer

	// Groups in the order Supervisor would start them: by (priority,
	// name). Every program, eventlistener and fcgi-program ends up in
	// exactly one group: a [program:x] not named by any [group:y] gets a
	// group of its own called x.
	Groups []*Group

	// Warnings are non-fatal findings (unknown keys, unknown sections) with
	// file:line, for the daemon to log once at start.
	Warnings []string
}

// Supervisord is the [supervisord] section.
type Supervisord struct {
	Logfile         string // absolute path, "syslog", or "" (NONE)
	LogfileMaxBytes int64
	LogfileBackups  int
	Loglevel        Level
	Pidfile         string
	Umask           os.FileMode
	Nodaemon        bool
	Silent          bool
	Minfds          uint64
	Minprocs        uint64
	Nocleanup       bool
	Childlogdir     string
	User            *User // nil when not set
	Directory       string
	StripANSI       bool
	Environment     []EnvVar
	Identifier      string
	LogFormat       string      // LogFormatText (default) or LogFormatJSON
	ProbesNoAuth    bool        // probes_auth=false: /healthz and /readyz need no credentials
	Containment     Containment // cgroups, cgroup_parent
}

// Level is a Supervisor log level with the reference's numbers: higher is
// more severe (critical=50 ... blather=3). It is pycompat's Level.
type Level = pycompat.Level

// Supervisor's log levels with the reference's numeric values.
const (
	LevelCritical = pycompat.LevelCritical
	LevelError    = pycompat.LevelError
	LevelWarn     = pycompat.LevelWarn
	LevelInfo     = pycompat.LevelInfo
	LevelDebug    = pycompat.LevelDebug
	LevelTrace    = pycompat.LevelTrace
	LevelBlather  = pycompat.LevelBlather
)

// Supervisorctl is the [supervisorctl] section.
type Supervisorctl struct {
	ServerURL   string // "" when not set
	Username    string
	Password    string
	Prompt      string // default "supervisor"
	HistoryFile string
}

// UnixHTTPServer is a [unix_http_server] section.
type UnixHTTPServer struct {
	Section  string // "unix_http_server" or "unix_http_server:name"
	File     string // absolute socket path
	Chmod    os.FileMode
	Chown    *User // nil when not set; Gid may differ from the user's primary group
	Username string
	Password string // clear text or "{SHA}hexdigest"
	ReadOnly ReadOnlyUser
}

// InetHTTPServer is an [inet_http_server] section.
type InetHTTPServer struct {
	Section  string
	Host     string // "" means all interfaces ("*:port" and ":port")
	Port     int
	Username string
	Password string
	ReadOnly ReadOnlyUser
	TLS      *TLSFiles // nil for plain HTTP
}

// User is a resolved account.
type User struct {
	Name   string
	Uid    uint32
	Gid    uint32
	Groups []uint32 // supplementary groups
	Home   string
}

// EnvVar is one KEY=value pair, kept in the order written.
type EnvVar struct {
	Key, Value string
}

// GroupKind tells which section type produced a group.
type GroupKind int

const (
	KindProgram GroupKind = iota // [program:x] or [group:x]
	KindEventListener
	KindFcgiProgram
)

// Group is a process group: a [group:x] section, or the implicit group of
// a [program:x], [eventlistener:x] or [fcgi-program:x] section.
type Group struct {
	Name     string
	Priority int
	Kind     GroupKind
	// Processes of the group in Supervisor's order: a program's numprocs
	// instances by (priority, name); a [group:x] has its programs' in
	// programs= order. Every expansion is already applied.
	Processes []*Process

	// For KindEventListener: the pool options.
	Pool *Pool
	// For KindFcgiProgram: the shared socket.
	Socket *FcgiSocket

	// Section and File/Line locate the defining section, for messages.
	Section string
	Pos     Pos
}

// Pool holds [eventlistener:x] options shared by all its processes.
type Pool struct {
	Events        []string // event type names as written (validated)
	BufferSize    int
	ResultHandler string // "" means the default handler
}

// FcgiSocket holds [fcgi-program:x] socket options.
type FcgiSocket struct {
	URL     string // "tcp://host:port" or "unix:///path" as written (expanded)
	Network string // "tcp" or "unix"
	Address string // "host:port" or "/path"
	Backlog int    // 0 means the system default (SOMAXCONN)
	Owner   *User  // unix sockets only
	Mode    os.FileMode
}

// AutoRestart is the autorestart option.
type AutoRestart int

const (
	RestartUnexpected AutoRestart = iota // "unexpected" (default)
	RestartAlways                        // "true"
	RestartNever                         // "false"
)

// LogTarget describes where one output stream goes. Supervisor allows one
// file; the Go-era configs also allow several comma-separated targets.
type LogTarget struct {
	Kind LogKind
	// Path for KindFile (absolute); for KindSyslogRemote, "host:port".
	Path string
	// Network for KindSyslogRemote: "udp" (default) or "tcp".
	Network string
}

// LogKind says what kind of log target a LogTarget is.
type LogKind int

const (
	LogFile         LogKind = iota // a regular file, rotated
	LogStdout                      // /dev/stdout of the daemon, never rotated
	LogStderr                      // /dev/stderr of the daemon, never rotated
	LogNull                        // /dev/null
	LogSyslog                      // the local syslog
	LogSyslogRemote                // syslog @[tcp|udp:]host[:port]
)

// StreamLog holds the options of one child stream (stdout or stderr).
type StreamLog struct {
	// Targets is empty for NONE. AUTO has already been resolved to a
	// file in childlogdir with Auto set.
	Targets         []LogTarget
	Auto            bool
	MaxBytes        int64
	Backups         int
	CaptureMaxBytes int64
	EventsEnabled   bool
	Syslog          bool // *_syslog = true: also send lines to syslog
}

// Process is the fully expanded configuration of one process instance.
type Process struct {
	Name       string // process_name after expansion
	Group      string // group name
	ProgramSec string // the section name without prefix, e.g. "web" for [program:web]
	ProcessNum int    // the process_num of this instance

	// Command is argv split with POSIX shell rules, as written: a bare
	// program name is searched in PATH when the process is spawned (the
	// reference reports a missing command as a spawn error, not a config
	// error).
	Command []string
	// CommandLine is the command option as written (after expansion), for
	// messages and for detecting changes.
	CommandLine string
	// CommandError is set when the command cannot be split (an unclosed
	// quote) or is empty. The reference accepts such a config and fails
	// at spawn time with this message, so the spawner should too.
	CommandError string

	Priority       int
	Autostart      bool
	Startsecs      time.Duration
	Startretries   int
	AutoRestart    AutoRestart
	ExitCodes      []int
	StopSignal     syscall.Signal
	StopWaitSecs   time.Duration //lint:ignore ST1011 named after the stopwaitsecs option
	StopAsGroup    bool
	KillAsGroup    bool
	User           *User // nil: run as the daemon's user
	RedirectStderr bool
	Stdout         StreamLog
	Stderr         StreamLog
	Environment    []EnvVar // program environment=, in order
	Directory      string   // "" means inherit the daemon's
	Umask          *os.FileMode
	ServerURL      string // "" means AUTO
	StripANSI      bool   // from [supervisord] strip_ansi

	// Go-era options (absent from Supervisor 4.x). Zero values mean off.
	DependsOn []string // program names (section names) this one waits for
	EnvFiles  []string // absolute paths, loaded in order before Environment
	// EnvFromFiles is the parsed content of EnvFiles, in order. The
	// spawner applies it first, then Environment, so environment= wins.
	EnvFromFiles []EnvVar
	// RestartPause is a pause between stop and start on restart.
	RestartPause time.Duration

	RestartWhenBinaryChanged      bool
	RestartCmdWhenBinaryChanged   []string
	RestartSignalWhenBinaryChange syscall.Signal // 0: restart normally
	RestartDirectoryMonitor       string
	RestartFilePattern            string
	RestartCmdWhenFileChanged     []string
	RestartSignalWhenFileChanged  syscall.Signal

	Liveness *Liveness // nil when no liveness_check_* is set

	// Lifecycle options (lifecycle.go); the zero values are the
	// reference's rules.
	// (omitzero keeps the golden dumps of configs without them as they were.)
	ShutdownWhen ShutdownWhen  `json:",omitzero"`
	Backoff      BackoffKind   `json:",omitzero"`
	BackoffMax   time.Duration `json:",omitzero"` // cap of the exponential delay (and of an endless linear one); 0: 60 s
	ShowRetry    bool          `json:",omitzero"` // backoff= is set: the description tells when the next try comes
	ReadyWhen    ReadyWhen     `json:",omitzero"`
	Limits       Limits        // memory_limit, cpu_limit, pids_limit, memory_restart_*, pdeathsig

	PreStartHook        []string
	PreStartHookTimeout time.Duration
	PreStopHook         []string
	PreStopHookTimeout  time.Duration

	// LogPrefix options for containers where many programs share one
	// stdout: "" (off, the default), or a combination like "name",
	// "time", "name,time".
	LogLinePrefixName bool
	LogLinePrefixTime bool

	// Syslog options (seed).
	SyslogFacility       string
	SyslogTag            string
	SyslogStdoutPriority string
	SyslogStderrPriority string

	// Section and Pos locate the defining section.
	Section string
	Pos     Pos
}

// Liveness configures a health check for a process.
type Liveness struct {
	// Kind is "http", "tcp" or "script".
	Kind string
	// Target is the URL (http/https), host:port (tcp) or argv[0] (script).
	Target string
	Args   []string // script arguments
	// HTTP options.
	Method   string
	Headers  []EnvVar
	Data     string
	KeyFile  string
	CertFile string
	CAFile   string

	InitialDelay     time.Duration
	Period           time.Duration
	Timeout          time.Duration
	SuccessThreshold int
	FailureThreshold int
	SuccessAction    string // "" (none) | "restart" | "stop" | "script:..."
	FailureAction    string // "restart" (default) | "stop" | "script:..."
}

// Pos is a position in a configuration file.
type Pos struct {
	File string
	Line int
}
