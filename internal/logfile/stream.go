package logfile

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"supervisord/internal/config"
)

// Channel names a child output stream.
type Channel string

// The two output channels, named as Supervisor names them.
const (
	Stdout Channel = "stdout"
	Stderr Channel = "stderr"
)

// StreamConfig is what a Stream needs to know about one output stream of
// one process.
type StreamConfig struct {
	Process string // process name, for prefixes, syslog and events
	Group   string
	Channel Channel
	Log     config.StreamLog
	// StripANSI removes ANSI escapes before anything else sees the data.
	StripANSI bool
	// PrefixName and PrefixTime prefix every line sent to the daemon's
	// stdout or stderr with "name | " and/or an RFC 3339 timestamp.
	PrefixName, PrefixTime bool
	// Syslog target options (Go-era syslog targets only; *_syslog=true
	// uses the reference's fixed settings). Empty means the default:
	// facility user, tag the process name, priority info for stdout and
	// err for stderr.
	SyslogFacility, SyslogTag, SyslogPriority string
}

// StreamConfigFor extracts the configuration of channel ch of p.
func StreamConfigFor(p *config.Process, ch Channel) StreamConfig {
	c := StreamConfig{
		Process:    p.Name,
		Group:      p.Group,
		Channel:    ch,
		Log:        p.Stdout,
		StripANSI:  p.StripANSI,
		PrefixName: p.LogLinePrefixName,
		PrefixTime: p.LogLinePrefixTime,

		SyslogFacility: p.SyslogFacility,
		SyslogTag:      p.SyslogTag,
		SyslogPriority: p.SyslogStdoutPriority,
	}
	if ch == Stderr {
		c.Log = p.Stderr
		c.SyslogPriority = p.SyslogStderrPriority
	}
	return c
}

// EventKind tells a log event from a communication event.
type EventKind int

const (
	// EventLog is PROCESS_LOG_STDOUT / PROCESS_LOG_STDERR: a piece of
	// output, sent when *_events_enabled is set.
	EventLog EventKind = iota
	// EventCommunication is PROCESS_COMMUNICATION_STDOUT / _STDERR: the
	// data a child wrapped in the capture-mode tokens.
	EventCommunication
)

// Event is output-derived data for the event system.
type Event struct {
	Kind    EventKind
	Channel Channel
	Process string
	Group   string
	Pid     int
	Data    []byte // owned by the receiver
}

// EventSink receives events from capture goroutines. Emit must not block;
// it reports false when it had to drop the event.
type EventSink interface {
	Emit(Event) bool
}

// StreamOptions are the collaborators of a Stream.
type StreamOptions struct {
	// Outputs are the shared console and syslog destinations. Required
	// when the stream has such targets.
	Outputs *Outputs
	// Events receives PROCESS_LOG and PROCESS_COMMUNICATION data; nil
	// drops them (counted).
	Events EventSink
	// MainLog, when enabled at LevelDebug, gets the reference's echo of
	// child output into the daemon log ("'web' stdout output:\n...") and
	// the "emitted a comm event" notes. nil disables both.
	MainLog *slog.Logger
	// Now is the clock for line prefixes (default time.Now).
	Now func() time.Time
}

// Stream writes one output channel of one process to its targets. It
// lives as long as the process's configuration, across restarts: Capture
// is called for each spawned child.
type Stream struct {
	cfg     StreamConfig
	opts    StreamOptions
	targets []target
	file    *RotatingFile // the first file target, for reads and tails

	bytesIn     atomic.Int64
	eventDrops  atomic.Int64
	writeErrors atomic.Int64
	errOnce     sync.Once
}

// target is one destination of a stream.
type target interface {
	write(p []byte, pid int) error
	flush(pid int) error // end of a child's output: send held partial lines
	reopen() error
	clear() error
	close() error
}

// OpenStream opens every target of cfg.
func OpenStream(cfg StreamConfig, opts StreamOptions) (*Stream, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Stream{cfg: cfg, opts: opts}
	fail := func(err error) (*Stream, error) {
		s.Close()
		return nil, fmt.Errorf("logfile: %s %s: %w", cfg.Process, cfg.Channel, err)
	}
	needOutputs := func(what string) error {
		if opts.Outputs == nil {
			return fmt.Errorf("%s target without shared outputs", what)
		}
		return nil
	}
	for _, t := range cfg.Log.Targets {
		switch t.Kind {
		case config.LogFile:
			f, err := OpenRotating(t.Path, cfg.Log.MaxBytes, cfg.Log.Backups)
			if err != nil {
				return fail(err)
			}
			if s.file == nil {
				s.file = f
			}
			s.targets = append(s.targets, fileTarget{f})
		case config.LogStdout, config.LogStderr:
			if err := needOutputs("console"); err != nil {
				return fail(err)
			}
			w := opts.Outputs.Stdout
			if t.Kind == config.LogStderr {
				w = opts.Outputs.Stderr
			}
			s.targets = append(s.targets, s.newConsole(w))
		case config.LogNull:
		case config.LogSyslog, config.LogSyslogRemote:
			if err := needOutputs("syslog"); err != nil {
				return fail(err)
			}
			st, err := s.newSyslogTarget(t)
			if err != nil {
				return fail(err)
			}
			s.targets = append(s.targets, st)
		default:
			return fail(fmt.Errorf("unknown log target kind %d", t.Kind))
		}
	}
	if cfg.Log.Syslog {
		if err := needOutputs("syslog"); err != nil {
			return fail(err)
		}
		// The reference sends "<name> <line>" through syslog(3) with its
		// defaults: facility user, priority info, ident supervisord.
		s.targets = append(s.targets, &syslogTarget{
			sender: opts.Outputs.LocalSyslog(), facility: 1, severity: sevInfo,
			tag: "supervisord", prefix: cfg.Process + " ",
		})
	}
	return s, nil
}

func (s *Stream) newConsole(w *AsyncWriter) target {
	if !s.cfg.PrefixName && !s.cfg.PrefixTime {
		return rawConsole{w}
	}
	return &prefixConsole{w: w, name: s.cfg.Process, withName: s.cfg.PrefixName,
		withTime: s.cfg.PrefixTime, now: s.opts.Now, atLineStart: true}
}

func (s *Stream) newSyslogTarget(t config.LogTarget) (*syslogTarget, error) {
	fac, err := ParseFacility(s.cfg.SyslogFacility, 1)
	if err != nil {
		return nil, err
	}
	def := sevInfo
	if s.cfg.Channel == Stderr {
		def = sevErr
	}
	sev, err := ParseSeverity(s.cfg.SyslogPriority, def)
	if err != nil {
		return nil, err
	}
	tag := s.cfg.SyslogTag
	if tag == "" {
		tag = s.cfg.Process
	}
	var sender *SyslogSender
	if t.Kind == config.LogSyslog {
		sender = s.opts.Outputs.LocalSyslog()
	} else if sender, err = s.opts.Outputs.RemoteSyslog(t.Network, t.Path); err != nil {
		return nil, err
	}
	return &syslogTarget{sender: sender, facility: fac, severity: sev, tag: tag, withPid: true}, nil
}

// Path is the file that reads and tails of this stream use: the first file
// target, or "" when the stream has none.
func (s *Stream) Path() string {
	if s.file == nil {
		return ""
	}
	return s.file.Path()
}

// Reopen reopens every file target (SIGUSR2, reopenlogs).
func (s *Stream) Reopen() error {
	var errs []error
	for _, t := range s.targets {
		errs = append(errs, t.reopen())
	}
	return errors.Join(errs...)
}

// Clear empties every file target and removes its backups
// (clearProcessLogs).
func (s *Stream) Clear() error {
	var errs []error
	for _, t := range s.targets {
		errs = append(errs, t.clear())
	}
	return errors.Join(errs...)
}

// Close closes the file targets. Shared outputs stay open.
func (s *Stream) Close() error {
	var errs []error
	for _, t := range s.targets {
		errs = append(errs, t.close())
	}
	return errors.Join(errs...)
}

// StreamStats are a stream's counters.
type StreamStats struct {
	Bytes       int64 // read from children
	EventDrops  int64 // events the sink refused (or had no sink for)
	WriteErrors int64 // failed writes to file targets
}

// Stats returns the counters so far.
func (s *Stream) Stats() StreamStats {
	return StreamStats{Bytes: s.bytesIn.Load(), EventDrops: s.eventDrops.Load(),
		WriteErrors: s.writeErrors.Load()}
}

// fileTarget writes to a rotating file.
type fileTarget struct{ f *RotatingFile }

func (t fileTarget) write(p []byte, _ int) error {
	_, err := t.f.Write(p)
	return err
}
func (t fileTarget) flush(int) error { return nil }
func (t fileTarget) reopen() error   { return t.f.Reopen() }
func (t fileTarget) clear() error    { return t.f.Clear() }
func (t fileTarget) close() error    { return t.f.Close() }

// rawConsole passes data to a console unchanged.
type rawConsole struct{ w *AsyncWriter }

func (t rawConsole) write(p []byte, _ int) error { t.w.Write(p); return nil }
func (t rawConsole) flush(int) error             { return nil }
func (t rawConsole) reopen() error               { return nil }
func (t rawConsole) clear() error                { return nil }
func (t rawConsole) close() error                { return nil }

// maxHeldLine bounds the partial line a line-oriented target holds back
// while waiting for its end; a longer line is passed on in pieces.
const maxHeldLine = 64 << 10

// prefixConsole sends whole lines to a shared console, each with a prefix,
// so that lines of different programs never mix.
type prefixConsole struct {
	w                  *AsyncWriter
	name               string
	withName, withTime bool
	now                func() time.Time

	mu          sync.Mutex // guards held, atLineStart, out
	held        []byte     // partial line without its prefix
	atLineStart bool       // held is the start of a line
	out         []byte     // scratch
}

func (t *prefixConsole) appendPrefix(b []byte) []byte {
	if t.withTime {
		b = t.now().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
		b = append(b, ' ')
	}
	if t.withName {
		b = append(b, t.name...)
		b = append(b, " | "...)
	}
	return b
}

func (t *prefixConsole) write(p []byte, _ int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := t.out[:0]
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(t.held)+len(p) <= maxHeldLine {
				t.held = append(t.held, p...)
				break
			}
			// Overlong line: pass on what we have, continue it later.
			out = t.piece(out, p)
			t.atLineStart = false
			break
		}
		out = t.piece(out, p[:i+1])
		t.atLineStart = true
		p = p[i+1:]
	}
	if len(out) > 0 {
		t.w.Write(out)
	}
	if cap(out) <= 4*maxHeldLine {
		t.out = out
	}
	return nil
}

// piece appends held+p, prefixed if it starts a line, and empties held.
func (t *prefixConsole) piece(out, p []byte) []byte {
	if t.atLineStart {
		out = t.appendPrefix(out)
	}
	out = append(out, t.held...)
	t.held = t.held[:0]
	return append(out, p...)
}

func (t *prefixConsole) flush(int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.held) > 0 {
		out := t.piece(nil, []byte{'\n'})
		t.atLineStart = true
		t.w.Write(out)
	}
	return nil
}
func (t *prefixConsole) reopen() error { return nil }
func (t *prefixConsole) clear() error  { return nil }
func (t *prefixConsole) close() error  { return nil }

// syslogTarget sends each line as one syslog message.
type syslogTarget struct {
	sender             *SyslogSender
	facility, severity int
	tag                string
	prefix             string // put before every message ("name " for *_syslog)
	withPid            bool

	mu   sync.Mutex // guards held
	held []byte
}

func (t *syslogTarget) write(p []byte, pid int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			t.held = append(t.held, p...)
			if len(t.held) >= maxHeldLine {
				t.send(pid)
			}
			return nil
		}
		t.held = append(t.held, p[:i]...)
		t.send(pid)
		p = p[i+1:]
	}
	return nil
}

func (t *syslogTarget) send(pid int) {
	msg := t.held
	if t.prefix != "" {
		msg = append([]byte(t.prefix), msg...)
	}
	if !t.withPid {
		pid = 0
	}
	t.sender.Send(t.facility, t.severity, t.tag, pid, msg)
	t.held = t.held[:0]
}

func (t *syslogTarget) flush(pid int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.held) > 0 {
		t.send(pid)
	}
	return nil
}
func (t *syslogTarget) reopen() error { return nil }
func (t *syslogTarget) clear() error  { return nil }
func (t *syslogTarget) close() error  { return nil }
