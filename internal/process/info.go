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

	// NotifyStatus is the last STATUS= a ready_when=notify process sent.
	NotifyStatus string
	// RetryAt is when the next start is tried in BACKOFF (Unix seconds),
	// set only when the backoff option is; 0 otherwise.
	RetryAt int64

	// Usage is what the process's whole tree uses; the zero value when it
	// is not measured (no containment and no other source).
	Usage Usage
}

// Usage is the resource use of a process and everything it started,
// read from its cgroup where it has one.
type Usage struct {
	Measured        bool    // the fields below were read, not left at zero
	CPUSeconds      float64 // user+system CPU time of the whole tree
	MemoryBytes     uint64  // memory in use now
	MemoryPeakBytes uint64  // the most it has used (0 when the kernel has no peak)
	Tasks           int     // processes and threads in the tree
	OOMKills        uint64  // processes of the tree the kernel's OOM killer killed
}

// FullName is "group:name", the name clients use to address the process.
func (i Info) FullName() string { return i.Group + ":" + i.Name }
