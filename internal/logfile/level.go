package logfile

import (
	"log/slog"

	"supervisord/internal/config"
	"supervisord/internal/pycompat"
)

// Supervisor's seven log levels as slog levels. The four that slog knows
// keep slog's values, so slog.LevelInfo and LevelInfo are interchangeable.
const (
	LevelBlather  slog.Level = -12
	LevelTrace    slog.Level = -8
	LevelDebug    slog.Level = slog.LevelDebug
	LevelInfo     slog.Level = slog.LevelInfo
	LevelWarn     slog.Level = slog.LevelWarn
	LevelError    slog.Level = slog.LevelError
	LevelCritical slog.Level = 12
)

// ParseLevel reads a level name as the loglevel option accepts it:
// critical, error, warn, info, debug, trace or blather, in any case.
func ParseLevel(s string) (slog.Level, error) {
	l, err := pycompat.ParseLevel(s)
	if err != nil {
		return 0, err
	}
	return l.Slog(), nil
}

// FromConfig converts a configured level to its slog level. The zero
// value (no level configured) is info, Supervisor's default.
func FromConfig(l config.Level) slog.Level {
	if l == 0 {
		return LevelInfo
	}
	return l.Slog()
}

// levelTag is the four-letter name Supervisor writes in its log lines.
func levelTag(l slog.Level) string { return pycompat.LevelOfSlog(l).Tag() }

// levelSeverity maps a level to a syslog severity.
func levelSeverity(l slog.Level) int {
	switch {
	case l >= LevelCritical:
		return sevCrit
	case l >= LevelError:
		return sevErr
	case l >= LevelWarn:
		return sevWarning
	case l >= LevelInfo:
		return sevInfo
	}
	return sevDebug
}
