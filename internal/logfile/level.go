package logfile

import (
	"fmt"
	"log/slog"
	"strings"

	"supervisord/internal/config"
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
	switch strings.ToLower(s) {
	case "critical":
		return LevelCritical, nil
	case "error":
		return LevelError, nil
	case "warn":
		return LevelWarn, nil
	case "info":
		return LevelInfo, nil
	case "debug":
		return LevelDebug, nil
	case "trace":
		return LevelTrace, nil
	case "blather":
		return LevelBlather, nil
	}
	return 0, fmt.Errorf("bad logging level name %q", s)
}

// FromConfig converts a configured level to its slog level. The zero
// value (no level configured) is info, Supervisor's default.
func FromConfig(l config.Level) slog.Level {
	switch {
	case l == 0:
		return LevelInfo
	case l >= config.LevelCritical:
		return LevelCritical
	case l >= config.LevelError:
		return LevelError
	case l >= config.LevelWarn:
		return LevelWarn
	case l >= config.LevelInfo:
		return LevelInfo
	case l >= config.LevelDebug:
		return LevelDebug
	case l >= config.LevelTrace:
		return LevelTrace
	}
	return LevelBlather
}

// levelTag is the four-letter name Supervisor writes in its log lines.
func levelTag(l slog.Level) string {
	switch {
	case l >= LevelCritical:
		return "CRIT"
	case l >= LevelError:
		return "ERRO"
	case l >= LevelWarn:
		return "WARN"
	case l >= LevelInfo:
		return "INFO"
	case l >= LevelDebug:
		return "DEBG"
	case l >= LevelTrace:
		return "TRAC"
	}
	return "BLAT"
}

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
