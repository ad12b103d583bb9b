package process

// Info is the row clients see for one process: the fields of Supervisor's
// getProcessInfo struct, in Go types. Times are Unix seconds, 0 when never.
type Info struct {
	Name          string
	Group         string
	Description   string
	Start         int64
	Stop          int64
	Now           int64
	State         State
	SpawnErr      string
	ExitStatus    int
	Logfile       string // same as StdoutLogfile, kept for old clients
	StdoutLogfile string
	StderrLogfile string
	Pid           int

	// Health is the liveness status ("", "healthy", "unhealthy",
	// "unknown"); sent as an extra field only when a check is configured.
	Health string
}

// FullName is "group:name", the name clients use to address the process.
func (i Info) FullName() string { return i.Group + ":" + i.Name }
