package logfile

import (
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// Outputs are the daemon-wide destinations that many streams share: the
// daemon's own stdout and stderr and the syslog connections. Sharing one
// buffer per destination keeps lines from different programs whole and
// gives one place to count what a stuck destination cost.
type Outputs struct {
	Stdout *AsyncWriter
	Stderr *AsyncWriter

	opts OutputsOptions

	mu     sync.Mutex // guards local, remote
	local  *SyslogSender
	remote map[string]*SyslogSender // by "network addr"
}

// OutputsOptions configure NewOutputs. Zero values pick defaults.
type OutputsOptions struct {
	// BufferSize is the size of each console buffer (default 1 MiB).
	BufferSize int
	// Stall is how long a writer waits on a console that accepts nothing
	// before dropping (default 1s; negative: never wait).
	Stall time.Duration
	// LocalSyslogPaths override where the local syslog socket is looked for.
	LocalSyslogPaths []string
	// Logger, if set, receives a warning for each episode of drops and for
	// syslog delivery failures.
	Logger *slog.Logger
	// Now is the clock for syslog timestamps (default time.Now).
	Now func() time.Time
}

// NewOutputs wraps the daemon's stdout and stderr.
func NewOutputs(stdout, stderr io.Writer, o OutputsOptions) *Outputs {
	out := &Outputs{opts: o, remote: map[string]*SyslogSender{}}
	ao := AsyncOptions{Size: o.BufferSize, Stall: o.Stall, OnDrop: out.reportDrop}
	out.Stdout = NewAsyncWriter("/dev/stdout", stdout, ao)
	out.Stderr = NewAsyncWriter("/dev/stderr", stderr, ao)
	return out
}

func (o *Outputs) reportDrop(name string, bytes, writes int64) {
	if o.opts.Logger != nil {
		// Logged from the drain goroutine; the logger's own console echo
		// never waits, so this cannot deadlock on the stuck destination.
		o.opts.Logger.Warn("output to " + name + " was blocked: dropped " +
			itoa(bytes) + " bytes in " + itoa(writes) + " writes")
	}
}

func (o *Outputs) reportSyslogError(name string, err error) {
	if o.opts.Logger != nil {
		o.opts.Logger.Warn(name + ": messages are being dropped: " + err.Error())
	}
}

func (o *Outputs) syslogOptions() SyslogOptions {
	return SyslogOptions{Now: o.opts.Now, OnError: o.reportSyslogError}
}

// LocalSyslog returns the shared sender to the local syslog.
func (o *Outputs) LocalSyslog() *SyslogSender {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.local == nil {
		o.local = NewLocalSyslog(o.opts.LocalSyslogPaths, o.syslogOptions())
	}
	return o.local
}

// RemoteSyslog returns the shared sender to a remote syslog server.
func (o *Outputs) RemoteSyslog(network, addr string) (*SyslogSender, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	key := network + " " + addr
	if s := o.remote[key]; s != nil {
		return s, nil
	}
	s, err := NewRemoteSyslog(network, addr, o.syslogOptions())
	if err != nil {
		return nil, err
	}
	o.remote[key] = s
	return s, nil
}

// Close flushes the consoles for at most timeout and stops every sender.
func (o *Outputs) Close(timeout time.Duration) error {
	o.Stdout.Flush(timeout)
	o.Stderr.Flush(timeout)
	o.Stdout.Close()
	o.Stderr.Close()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.local != nil {
		o.local.Close()
	}
	for _, s := range o.remote {
		s.Close()
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
