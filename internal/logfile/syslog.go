package logfile

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Syslog severities.
const (
	sevEmerg = iota
	sevAlert
	sevCrit
	sevErr
	sevWarning
	sevNotice
	sevInfo
	sevDebug
)

var facilities = map[string]int{
	"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "syslog": 5,
	"lpr": 6, "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11,
	"local0": 16, "local1": 17, "local2": 18, "local3": 19,
	"local4": 20, "local5": 21, "local6": 22, "local7": 23,
}

var severities = map[string]int{
	"emerg": sevEmerg, "panic": sevEmerg, "alert": sevAlert, "crit": sevCrit,
	"critical": sevCrit, "err": sevErr, "error": sevErr, "warning": sevWarning,
	"warn": sevWarning, "notice": sevNotice, "info": sevInfo, "debug": sevDebug,
}

// ParseFacility reads a syslog facility name (user, daemon, local0 ...),
// with or without a "LOG_" prefix, in any case. "" gives def.
func ParseFacility(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	if f, ok := facilities[strings.TrimPrefix(strings.ToLower(s), "log_")]; ok {
		return f, nil
	}
	return 0, fmt.Errorf("unknown syslog facility %q", s)
}

// ParseSeverity reads a syslog priority name (err, warning, info ...),
// with or without a "LOG_" prefix, in any case. "" gives def.
func ParseSeverity(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	if v, ok := severities[strings.TrimPrefix(strings.ToLower(s), "log_")]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("unknown syslog priority %q", s)
}

// SyslogFormat selects the wire format of a SyslogSender.
type SyslogFormat int

const (
	// RFC3164 is the traditional BSD format that local syslog daemons read
	// from /dev/log: "<PRI>Mmm dd hh:mm:ss tag[pid]: msg".
	RFC3164 SyslogFormat = iota
	// RFC5424 is used for remote servers: "<PRI>1 TIMESTAMP HOST APP PROCID
	// - - MSG". Over TCP every message is sent with octet counting
	// ("LEN SP MSG", RFC 6587), which survives newlines in messages.
	RFC5424
)

// SyslogSender delivers messages to one syslog destination from its own
// goroutine. Send never blocks: messages beyond the queue are dropped and
// counted. The connection is made lazily and remade after failures, so a
// missing /dev/log or a down server costs counted drops, not errors.
type SyslogSender struct {
	name     string
	network  string   // "udp", "tcp", "unixgram" (local, with stream fallback)
	addrs    []string // candidate addresses, tried in order
	format   SyslogFormat
	hostname string
	now      func() time.Time
	onError  func(name string, err error)

	q    chan []byte
	done chan struct{}

	// Fields below are touched only by the sending goroutine.
	conn     net.Conn
	stream   bool // conn is a byte stream (tcp or unix stream)
	failing  bool
	closeOne sync.Once

	sent    atomic.Int64
	dropped atomic.Int64
	errs    atomic.Int64
}

// SyslogOptions configure a SyslogSender.
type SyslogOptions struct {
	Queue   int              // messages queued before dropping (default 4096)
	Now     func() time.Time // clock for timestamps (default time.Now)
	OnError func(name string, err error)
}

// NewLocalSyslog returns a sender to the local syslog socket at one of
// paths, in RFC 3164 format. With no paths it tries /dev/log, then the
// BSD and macOS locations.
func NewLocalSyslog(paths []string, o SyslogOptions) *SyslogSender {
	if len(paths) == 0 {
		paths = []string{"/dev/log", "/var/run/syslog", "/var/run/log"}
	}
	return newSyslogSender("syslog", "unixgram", paths, RFC3164, o)
}

// NewRemoteSyslog returns a sender to a remote server, network "udp" or
// "tcp", addr "host" or "host:port" (port 514 by default), in RFC 5424
// format.
func NewRemoteSyslog(network, addr string, o SyslogOptions) (*SyslogSender, error) {
	switch network {
	case "", "udp":
		network = "udp"
	case "tcp":
	default:
		return nil, fmt.Errorf("logfile: syslog: unknown network %q", network)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), "514")
	}
	return newSyslogSender("syslog "+network+":"+addr, network, []string{addr}, RFC5424, o), nil
}

func newSyslogSender(name, network string, addrs []string, f SyslogFormat, o SyslogOptions) *SyslogSender {
	if o.Queue <= 0 {
		o.Queue = 4096
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "-"
	}
	s := &SyslogSender{
		name: name, network: network, addrs: addrs, format: f,
		hostname: host, now: o.Now, onError: o.OnError,
		q: make(chan []byte, o.Queue), done: make(chan struct{}),
	}
	go s.run()
	return s
}

// Send queues one message. pid 0 leaves the pid out. It reports false when
// the message was dropped because the queue is full or closed.
func (s *SyslogSender) Send(facility, severity int, tag string, pid int, msg []byte) (ok bool) {
	m := s.format3164or5424(facility, severity, tag, pid, msg)
	defer func() {
		// Send after Close: count, do not crash the capture goroutine.
		if recover() != nil {
			ok = false
			s.dropped.Add(1)
		}
	}()
	select {
	case s.q <- m:
		return true
	default:
		s.dropped.Add(1)
		return false
	}
}

func (s *SyslogSender) format3164or5424(facility, severity int, tag string, pid int, msg []byte) []byte {
	pri := facility<<3 | severity
	now := s.now()
	b := make([]byte, 0, len(msg)+96)
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(pri), 10)
	b = append(b, '>')
	if s.format == RFC3164 {
		b = now.AppendFormat(b, time.Stamp)
		b = append(b, ' ')
		b = append(b, tag...)
		if pid > 0 {
			b = append(b, '[')
			b = strconv.AppendInt(b, int64(pid), 10)
			b = append(b, ']')
		}
		b = append(b, ": "...)
	} else {
		b = append(b, "1 "...)
		b = now.AppendFormat(b, "2006-01-02T15:04:05.000000Z07:00")
		b = append(b, ' ')
		b = append(b, s.hostname...)
		b = append(b, ' ')
		b = append(b, appName(tag)...)
		b = append(b, ' ')
		if pid > 0 {
			b = strconv.AppendInt(b, int64(pid), 10)
		} else {
			b = append(b, '-')
		}
		b = append(b, " - - "...)
	}
	return append(b, msg...)
}

// appName makes tag a valid RFC 5424 APP-NAME: printable ASCII without
// spaces, at most 48 characters.
func appName(tag string) string {
	if tag == "" {
		return "-"
	}
	b := []byte(tag)
	for i, c := range b {
		if c <= ' ' || c > '~' {
			b[i] = '_'
		}
	}
	if len(b) > 48 {
		b = b[:48]
	}
	return string(b)
}

func (s *SyslogSender) run() {
	defer close(s.done)
	defer func() {
		if s.conn != nil {
			s.conn.Close()
		}
	}()
	for m := range s.q {
		err := s.deliver(m)
		if err != nil {
			// One redial, then give up on this message.
			err = s.deliver(m)
		}
		if err != nil {
			s.dropped.Add(1)
			s.errs.Add(1)
			if !s.failing && s.onError != nil {
				s.onError(s.name, err)
			}
			s.failing = true
			continue
		}
		s.failing = false
		s.sent.Add(1)
	}
}

func (s *SyslogSender) deliver(m []byte) error {
	if s.conn == nil {
		if err := s.dial(); err != nil {
			return err
		}
	}
	if s.stream {
		s.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
		var frame []byte
		if s.network == "tcp" {
			frame = strconv.AppendInt(make([]byte, 0, len(m)+8), int64(len(m)), 10)
			frame = append(frame, ' ')
			frame = append(frame, m...)
		} else {
			frame = append(m, '\n')
		}
		m = frame
	}
	if _, err := s.conn.Write(m); err != nil {
		s.conn.Close()
		s.conn = nil
		return fmt.Errorf("logfile: %s: %w", s.name, err)
	}
	return nil
}

func (s *SyslogSender) dial() error {
	var errs []error
	for _, a := range s.addrs {
		if s.network == "unixgram" {
			c, err := net.DialTimeout("unixgram", a, 5*time.Second)
			if err == nil {
				s.conn, s.stream = c, false
				return nil
			}
			if c, err2 := net.DialTimeout("unix", a, 5*time.Second); err2 == nil {
				s.conn, s.stream = c, true
				return nil
			}
			errs = append(errs, err)
			continue
		}
		c, err := net.DialTimeout(s.network, a, 5*time.Second)
		if err == nil {
			s.conn, s.stream = c, s.network == "tcp"
			return nil
		}
		errs = append(errs, err)
	}
	return fmt.Errorf("logfile: %s: no syslog to connect to: %w", s.name, errors.Join(errs...))
}

// SyslogStats are a SyslogSender's counters.
type SyslogStats struct {
	Sent, Dropped, Errors int64
}

// Stats returns the counters so far.
func (s *SyslogSender) Stats() SyslogStats {
	return SyslogStats{Sent: s.sent.Load(), Dropped: s.dropped.Load(), Errors: s.errs.Load()}
}

// Close stops accepting messages; queued ones are still sent. Wait, if
// needed, with Done.
func (s *SyslogSender) Close() error {
	s.closeOne.Do(func() { close(s.q) })
	return nil
}

// Done is closed when the sender has finished after Close.
func (s *SyslogSender) Done() <-chan struct{} { return s.done }
