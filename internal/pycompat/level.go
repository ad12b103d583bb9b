package pycompat

import (
	"fmt"
	"log/slog"
	"strings"
)

// Level is a Supervisor log level with the reference's numbers: higher is
// more severe (critical=50 ... blather=3).
type Level int

// The reference's seven log levels.
const (
	LevelCritical Level = 50
	LevelError    Level = 40
	LevelWarn     Level = 30
	LevelInfo     Level = 20
	LevelDebug    Level = 10
	LevelTrace    Level = 5
	LevelBlather  Level = 3
)

// levels lists the levels from the most severe down, with the name the
// loglevel option takes and the tag log lines carry.
var levels = [...]struct {
	level Level
	desc  string
	tag   string
}{
	{LevelCritical, "critical", "CRIT"},
	{LevelError, "error", "ERRO"},
	{LevelWarn, "warn", "WARN"},
	{LevelInfo, "info", "INFO"},
	{LevelDebug, "debug", "DEBG"},
	{LevelTrace, "trace", "TRAC"},
	{LevelBlather, "blather", "BLAT"},
}

// ParseLevel reads a level as the loglevel option does: critical, error,
// warn, info, debug, trace or blather, in any case.
func ParseLevel(s string) (Level, error) {
	l := strings.ToLower(s)
	for _, e := range levels {
		if e.desc == l {
			return e.level, nil
		}
	}
	return 0, fmt.Errorf("bad logging level name %s", Repr(s))
}

// floor is the index in levels of the most severe level at or below l.
func (l Level) floor() int {
	for i, e := range levels {
		if l >= e.level {
			return i
		}
	}
	return len(levels) - 1
}

// Tag is the four-letter name log lines carry for l ("CRIT" ... "BLAT").
func (l Level) Tag() string { return levels[l.floor()].tag }

// String is the loglevel option's name for l ("critical" ... "blather").
func (l Level) String() string { return levels[l.floor()].desc }

// slogLevels places the seven levels on slog's scale: info, warn, error
// and debug are slog's own; critical, trace and blather extend the scale
// by slog's step of 4.
var slogLevels = [...]slog.Level{
	slog.LevelError + 4, slog.LevelError, slog.LevelWarn, slog.LevelInfo,
	slog.LevelDebug, slog.LevelDebug - 4, slog.LevelDebug - 8,
}

// Slog is l on slog's scale.
func (l Level) Slog() slog.Level { return slogLevels[l.floor()] }

// LevelOfSlog is the Supervisor level an slog level falls in: the most
// severe one whose slog level is at or below s.
func LevelOfSlog(s slog.Level) Level {
	for i, sl := range slogLevels {
		if s >= sl {
			return levels[i].level
		}
	}
	return LevelBlather
}
