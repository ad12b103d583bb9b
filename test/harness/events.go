package harness

import (
	"regexp"
	"strings"
)

// Event is one process life-cycle line of a supervisord main log, with the
// timestamp dropped and pids replaced by "N" so that runs can be compared.
type Event struct {
	Level string // CRIT, ERRO, WARN, INFO, ...
	Text  string // normalised message
	Proc  string // process the line is about; "" when it names none or several
}

// String renders the event as "LEVEL text".
func (e Event) String() string { return e.Level + " " + e.Text }

var (
	logLine = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ([A-Z]{4}) (.*)$`)
	pidRefs = []struct {
		re   *regexp.Regexp
		repl string
	}{
		{regexp.MustCompile(`^(spawned: '.*' with pid )\d+$`), "${1}N"},
		{regexp.MustCompile(`^(killing '.*' \()\d+(\) with SIG[A-Z0-9]+)$`), "${1}N${2}"},
	}
	procOf = []*regexp.Regexp{
		regexp.MustCompile(`^spawned: '(.*)' with pid`),
		regexp.MustCompile(`^success: (\S+) entered RUNNING`),
		regexp.MustCompile(`^exited: (\S+) \(`),
		regexp.MustCompile(`^gave up: (\S+) entered FATAL`),
		regexp.MustCompile(`^stopped: (\S+) \(`),
		regexp.MustCompile(`^killing '(.*)' \(`),
	}
)

// lifecyclePrefixes are the message prefixes that describe what happened to
// a process, as opposed to diagnostics whose wording may legitimately differ.
var lifecyclePrefixes = []string{
	"spawned: ", "spawnerr: ", "success: ", "exited: ", "gave up: ",
	"stopped: ", "waiting for ", "killing '",
}

// ParseLog extracts the life-cycle events from a main log's text. Lines
// that are not log records (tracebacks, continuation lines) are skipped.
func ParseLog(text string) []Event {
	var out []Event
	for _, line := range strings.Split(text, "\n") {
		if e, ok := ParseLine(line); ok {
			out = append(out, e)
		}
	}
	return out
}

// ParseLine parses one main-log line; ok is false when it is not a
// life-cycle record.
func ParseLine(line string) (e Event, ok bool) {
	m := logLine.FindStringSubmatch(strings.TrimRight(line, "\r"))
	if m == nil {
		return Event{}, false
	}
	msg := m[2]
	keep := false
	for _, p := range lifecyclePrefixes {
		if strings.HasPrefix(msg, p) {
			keep = true
			break
		}
	}
	// "waiting for x to stop" is printed while a stopProcess call waits,
	// only if the child was not yet reaped when the call looked: a race,
	// not a life-cycle fact. The shutdown report "waiting for ... to die"
	// is kept.
	if !keep || (strings.HasPrefix(msg, "waiting for ") && !strings.HasSuffix(msg, " to die")) {
		return Event{}, false
	}
	for _, r := range pidRefs {
		msg = r.re.ReplaceAllString(msg, r.repl)
	}
	e = Event{Level: m[1], Text: msg}
	for _, re := range procOf {
		if pm := re.FindStringSubmatch(msg); pm != nil {
			e.Proc = pm[1]
			break
		}
	}
	return e, true
}

// Strings renders events one per element.
func Strings(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.String()
	}
	return out
}

// ByProcess splits events into per-process sequences, keeping each one's
// order; events naming no single process go under "".
func ByProcess(evs []Event) map[string][]string {
	out := map[string][]string{}
	for _, e := range evs {
		out[e.Proc] = append(out[e.Proc], e.String())
	}
	return out
}

// SpawnedPids returns the pids named by "spawned:" lines of a main log.
func SpawnedPids(text string) []int {
	var pids []int
	for _, line := range strings.Split(text, "\n") {
		i := strings.Index(line, "' with pid ")
		if i < 0 || !strings.Contains(line, " spawned: '") {
			continue
		}
		n := 0
		digits := strings.TrimSpace(line[i+len("' with pid "):])
		for _, c := range digits {
			if c < '0' || c > '9' {
				n = 0
				break
			}
			n = n*10 + int(c-'0')
			if n > 1<<30 {
				n = 0
				break
			}
		}
		if n > 1 {
			pids = append(pids, n)
		}
	}
	return pids
}

// FirstShutdownReport drops every "waiting for ... to die" line after the
// first of each shutdown (a shutdown ends when something is spawned again,
// as after a SIGHUP restart). The first is written as soon as shutdown
// begins and names every process not yet stopped; later ones repeat on a
// timer, so how many there are depends on how long the children take to
// die.
func FirstShutdownReport(evs []Event) []Event {
	out := make([]Event, 0, len(evs))
	seen := false
	for _, e := range evs {
		switch {
		case strings.HasPrefix(e.Text, "waiting for ") && strings.HasSuffix(e.Text, " to die"):
			if seen {
				continue
			}
			seen = true
		case strings.HasPrefix(e.Text, "spawned: "), strings.HasPrefix(e.Text, "spawnerr: "):
			seen = false
		}
		out = append(out, e)
	}
	return out
}
