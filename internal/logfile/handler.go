package logfile

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"supervisord/internal/config"
)

// Handler is an slog.Handler that writes Supervisor's log line format,
// "2006-01-02 15:04:05,000 INFO spawned: 'web' with pid 42", one line per
// record in a single Write to each writer. Attributes, which the reference
// does not have, follow the message as " key=value".
type Handler struct {
	level  slog.Leveler
	shared *handlerShared
	attrs  []byte      // preformatted " key=value" pairs from WithAttrs
	group  string      // dotted group prefix from WithGroup, with trailing '.'
	jattrs []slog.Attr // WithAttrs attributes with qualified keys, for JSON
}

type handlerShared struct {
	mu     sync.Mutex // guards buf and writes to outs
	buf    []byte
	outs   []io.Writer
	syslog *SyslogSender
	json   bool // one JSON object per line instead of Supervisor's lines
}

// NewHandler returns a handler writing to each of outs at or above level.
func NewHandler(level slog.Leveler, outs ...io.Writer) *Handler {
	return &Handler{level: level, shared: &handlerShared{outs: outs}}
}

// Enabled reports whether records at l are written.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

// Handle formats and writes one record.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	sh := h.shared
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b := sh.buf[:0]
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	if sh.json {
		b = appendJSONRecord(b, t, r, h.jattrs, h.group)
		return sh.writeRecord(b, r)
	}
	b = t.AppendFormat(b, "2006-01-02 15:04:05,000")
	b = append(b, ' ')
	lineStart := len(b)
	b = append(b, levelTag(r.Level)...)
	b = append(b, ' ')
	b = append(b, r.Message...)
	b = append(b, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, h.group, a)
		return true
	})
	b = append(b, '\n')
	var errs []error
	for _, w := range sh.outs {
		if _, err := w.Write(b); err != nil {
			errs = append(errs, err)
		}
	}
	if sh.syslog != nil {
		// One message per line, without our timestamp: syslog adds its own.
		body := b[lineStart : len(b)-1]
		for _, line := range bytes.Split(body, []byte{'\n'}) {
			sh.syslog.Send(1, levelSeverity(r.Level), "supervisord", 0, line)
		}
	}
	if cap(b) <= 64<<10 {
		sh.buf = b
	}
	return errors.Join(errs...)
}

// writeRecord writes a formatted JSON record to every output; syslog gets
// the record as one JSON message (its own header carries the time).
// Called with sh.mu held.
func (sh *handlerShared) writeRecord(b []byte, r slog.Record) error {
	var errs []error
	for _, w := range sh.outs {
		if _, err := w.Write(b); err != nil {
			errs = append(errs, err)
		}
	}
	if sh.syslog != nil {
		sh.syslog.Send(1, levelSeverity(r.Level), "supervisord", 0, b[:len(b)-1])
	}
	if cap(b) <= 64<<10 {
		sh.buf = b
	}
	return errors.Join(errs...)
}

func appendAttr(b []byte, group string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		g := group
		if a.Key != "" {
			g = group + a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			b = appendAttr(b, g, ga)
		}
		return b
	}
	if isTextHidden(a) {
		return b
	}
	b = append(b, ' ')
	b = append(b, group...)
	b = append(b, a.Key...)
	b = append(b, '=')
	s := a.Value.String()
	if needsQuote(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c == '"' || c == '=' || c >= 0x7f {
			return true
		}
	}
	return false
}

// WithAttrs returns a handler that adds attrs to every record.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = bytes.Clone(h.attrs)
	h2.jattrs = append([]slog.Attr(nil), h.jattrs...)
	for _, a := range attrs {
		h2.attrs = appendAttr(h2.attrs, h.group, a)
		h2.jattrs = append(h2.jattrs, qualify(h.group, a))
	}
	return &h2
}

// WithGroup returns a handler that qualifies later attribute keys.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.group = h.group + name + "."
	return &h2
}

// DaemonLog is the daemon's own log: Supervisor's line format to the
// logfile (rotated per logfile_maxbytes/logfile_backups) or to syslog, and
// echoed to the console when running in the foreground.
type DaemonLog struct {
	logger   *slog.Logger
	level    *slog.LevelVar
	file     *RotatingFile // nil when logging to syslog or nowhere
	syslog   *SyslogSender
	echo     *AsyncWriter
	ownsEcho bool
}

// DaemonLogOptions are optional collaborators of NewDaemonLog.
type DaemonLogOptions struct {
	// LocalSyslogPaths override where the syslog socket is looked for
	// when logfile = syslog.
	LocalSyslogPaths []string
}

// NewDaemonLog opens the daemon log described by cfg. Records are echoed
// to echo when cfg.Nodaemon is set and cfg.Silent is not (as the reference
// does); the echo never blocks: when echo is stuck, lines for it are
// dropped and counted. Pass the shared Outputs.Stdout as echo so that the
// daemon's lines and children's console output do not interleave
// mid-line.
func NewDaemonLog(cfg config.Supervisord, echo io.Writer, o DaemonLogOptions) (*DaemonLog, error) {
	d := &DaemonLog{level: new(slog.LevelVar)}
	d.level.Set(FromConfig(cfg.Loglevel))
	var outs []io.Writer
	switch cfg.Logfile {
	case "":
	case "syslog":
		d.syslog = NewLocalSyslog(o.LocalSyslogPaths, SyslogOptions{})
	default:
		f, err := OpenRotating(cfg.Logfile, cfg.LogfileMaxBytes, cfg.LogfileBackups)
		if err != nil {
			return nil, fmt.Errorf("logfile: daemon log: %w", err)
		}
		d.file = f
		outs = append(outs, f)
	}
	if echo != nil && cfg.Nodaemon && !cfg.Silent {
		if a, ok := echo.(*AsyncWriter); ok {
			d.echo = a
		} else {
			d.echo = NewAsyncWriter("console", echo, AsyncOptions{Size: 256 << 10, Stall: -1})
			d.ownsEcho = true
		}
		outs = append(outs, tryWriter{d.echo})
	}
	h := NewHandler(d.level, outs...)
	h.shared.syslog = d.syslog
	h.shared.json = cfg.LogFormat == FormatJSON
	d.logger = slog.New(h)
	return d, nil
}

// tryWriter writes to an AsyncWriter without ever waiting.
type tryWriter struct{ a *AsyncWriter }

func (w tryWriter) Write(p []byte) (int, error) {
	w.a.TryWrite(p)
	return len(p), nil
}

// Logger returns the logger writing to this log.
func (d *DaemonLog) Logger() *slog.Logger { return d.logger }

// SetLevel changes the level (for a reload).
func (d *DaemonLog) SetLevel(l slog.Level) { d.level.Set(l) }

// Path is the log file, or "" when the log is not a file.
func (d *DaemonLog) Path() string {
	if d.file == nil {
		return ""
	}
	return d.file.Path()
}

// Reopen reopens the log file (SIGUSR2).
func (d *DaemonLog) Reopen() error {
	if d.file == nil {
		return nil
	}
	return d.file.Reopen()
}

// Clear empties the log file and removes its backups (clearLog).
func (d *DaemonLog) Clear() error {
	if d.file == nil {
		return nil
	}
	return d.file.Clear()
}

// EchoStats returns the console echo's counters (zero without echo).
func (d *DaemonLog) EchoStats() AsyncStats {
	if d.echo == nil {
		return AsyncStats{}
	}
	return d.echo.Stats()
}

// Close flushes the echo for at most a short while and closes the file.
func (d *DaemonLog) Close() error {
	if d.echo != nil && d.ownsEcho {
		d.echo.Flush(time.Second)
		d.echo.Close()
	}
	if d.syslog != nil {
		d.syslog.Close()
	}
	if d.file != nil {
		return d.file.Close()
	}
	return nil
}
