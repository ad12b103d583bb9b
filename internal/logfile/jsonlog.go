package logfile

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"time"
)

// Fields of a JSON record that say which program (and which pid of it)
// the record is about.
const (
	ProgramKey = "program"
	PidKey     = "pid"
)

// processKey is the key of the attribute ProcessAttr makes.
const processKey = "process"

// processRef is the value of a ProcessAttr.
type processRef struct {
	name string
	pid  int
}

// ProcessAttr says which program (and pid, when > 0) a record is about.
// Supervisor's lines already name the program in the message, so the text
// format leaves this attribute out and stays byte for byte the
// reference's; the JSON format writes it as the program and pid fields.
func ProcessAttr(name string, pid int) slog.Attr {
	return slog.Any(processKey, processRef{name: name, pid: pid})
}

// Log formats for NewDaemonLog (the [supervisord] logformat values).
const (
	FormatText = "text"
	FormatJSON = "json"
)

// JSONTimeFormat is the "time" field of a JSON log record: RFC 3339 with
// milliseconds and the local offset.
const JSONTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// levelName is the level as the loglevel option spells it.
func levelName(l slog.Level) string {
	switch {
	case l >= LevelCritical:
		return "critical"
	case l >= LevelError:
		return "error"
	case l >= LevelWarn:
		return "warn"
	case l >= LevelInfo:
		return "info"
	case l >= LevelDebug:
		return "debug"
	case l >= LevelTrace:
		return "trace"
	}
	return "blather"
}

// isTextHidden reports whether the text format leaves an attribute out.
func isTextHidden(a slog.Attr) bool {
	_, ok := a.Value.Any().(processRef)
	return ok && a.Value.Kind() == slog.KindAny
}

// appendJSONRecord writes one record as a JSON object and a newline:
// time, level, message, then the attributes (program and pid among them
// when the record has them) with group names joined by dots.
func appendJSONRecord(b []byte, t time.Time, r slog.Record, pre []slog.Attr, group string) []byte {
	b = append(b, `{"time":"`...)
	b = t.AppendFormat(b, JSONTimeFormat)
	b = append(b, `","level":"`...)
	b = append(b, levelName(r.Level)...)
	b = append(b, `","message":`...)
	b = appendJSONString(b, r.Message)
	seen := map[string]bool{"time": true, "level": true, "message": true}
	for _, a := range pre {
		b = appendJSONAttr(b, "", a, seen) // keys already qualified
	}
	r.Attrs(func(a slog.Attr) bool {
		b = appendJSONAttr(b, group, a, seen)
		return true
	})
	return append(b, "}\n"...)
}

func appendJSONAttr(b []byte, group string, a slog.Attr, seen map[string]bool) []byte {
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
			b = appendJSONAttr(b, g, ga, seen)
		}
		return b
	}
	if ref, ok := a.Value.Any().(processRef); ok && a.Value.Kind() == slog.KindAny {
		b = appendJSONAttr(b, "", slog.String(ProgramKey, ref.name), seen)
		if ref.pid > 0 {
			b = appendJSONAttr(b, "", slog.Int(PidKey, ref.pid), seen)
		}
		return b
	}
	key := group + a.Key
	if seen[key] {
		// A record's own attribute never overrides the fixed fields or
		// an earlier one with the same key: JSON readers disagree on
		// which duplicate wins.
		return b
	}
	seen[key] = true
	b = append(b, ',')
	b = appendJSONString(b, key)
	b = append(b, ':')
	v := a.Value
	switch v.Kind() {
	case slog.KindInt64:
		return append(b, v.String()...)
	case slog.KindUint64:
		return append(b, v.String()...)
	case slog.KindBool:
		return append(b, v.String()...)
	case slog.KindFloat64:
		out, err := json.Marshal(v.Float64())
		if err != nil { // NaN and infinities are not JSON numbers
			return appendJSONString(b, v.String())
		}
		return append(b, out...)
	case slog.KindTime:
		return appendJSONString(b, v.Time().Format(JSONTimeFormat))
	case slog.KindDuration:
		return appendJSONString(b, v.Duration().String())
	}
	return appendJSONString(b, v.String())
}

// appendJSONString quotes s as a JSON string, leaving <, > and & as they
// are; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // cannot fail for a string
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})...)
}

// qualify prefixes the keys of a (and of its group members) with group.
func qualify(group string, a slog.Attr) slog.Attr {
	if group == "" {
		return a
	}
	a.Value = a.Value.Resolve()
	if a.Value.Kind() == slog.KindGroup && a.Key == "" {
		as := a.Value.Group()
		out := make([]any, len(as))
		for i, ga := range as {
			out[i] = qualify(group, ga)
		}
		return slog.Group("", out...)
	}
	a.Key = group + a.Key
	return a
}

// NewJSONHandler returns a handler writing JSON records to each of outs at
// or above level.
func NewJSONHandler(level slog.Leveler, outs ...io.Writer) *Handler {
	h := NewHandler(level, outs...)
	h.shared.json = true
	return h
}
