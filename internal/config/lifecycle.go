package config

import (
	"fmt"
	"strings"
	"time"
)

// ShutdownWhen says when a program's end takes the whole daemon down
// (shutdown_when=). The idea is s6's "finish script that brings the
// container down" and process-compose's exit_on_end, for Supervisor #712.
type ShutdownWhen int

const (
	// ShutdownNever is the reference's behaviour: the daemon outlives
	// every program.
	ShutdownNever ShutdownWhen = iota
	// ShutdownFatal shuts the daemon down when the program gives up
	// (FATAL).
	ShutdownFatal
	// ShutdownExited shuts the daemon down whenever the program ends for
	// good: EXITED with no restart coming, or FATAL.
	ShutdownExited
)

func (s ShutdownWhen) String() string {
	switch s {
	case ShutdownFatal:
		return "fatal"
	case ShutdownExited:
		return "exited"
	}
	return "never"
}

// BackoffKind is the rule for the delay between start retries (backoff=).
type BackoffKind int

const (
	// BackoffLinear is the reference's rule: the nth retry comes n
	// seconds after the nth failure.
	BackoffLinear BackoffKind = iota
	// BackoffExponential doubles the delay from 1 s up to BackoffMax,
	// with ±20 % jitter (as systemd's RestartSteps and most retry
	// libraries do) so that many programs failing together do not retry
	// in lockstep.
	BackoffExponential
)

func (b BackoffKind) String() string {
	if b == BackoffExponential {
		return "exponential"
	}
	return "linear"
}

// InfiniteRetries is Startretries for startretries=infinite (or -1): a
// failing program is retried for ever and never becomes FATAL.
const InfiniteRetries = -1

// DefaultBackoffMax is backoff_max's default, used when BackoffMax is 0.
const DefaultBackoffMax = 60 * time.Second

// ReadyKind is what makes a STARTING process RUNNING (ready_when=).
type ReadyKind int

const (
	// ReadyStartsecs is the reference's rule: RUNNING once the process
	// has stayed up for startsecs.
	ReadyStartsecs ReadyKind = iota
	// ReadyNotify waits for READY=1 on the process's NOTIFY_SOCKET, as
	// systemd does for Type=notify services; startsecs is the deadline.
	ReadyNotify
	// ReadyCheck waits for Check to pass once; startsecs is the deadline.
	ReadyCheck
)

// ReadyWhen is the readiness rule of a process.
type ReadyWhen struct {
	Kind ReadyKind
	// Check is the probe for ReadyCheck, in the liveness check's terms.
	Check *Liveness
	// Text is the option as written, for messages.
	Text string
}

// readyCheckPeriod is how often a ready_when check is tried while the
// process is STARTING.
const readyCheckPeriod = 500 * time.Millisecond

// lifecycle reads shutdown_when, backoff, backoff_max and ready_when.
// Each defaults to the reference's behaviour.
func (l *loader) lifecycle(sc scope, p *Process, n names) {
	p.ShutdownWhen = typed(l, sc, "shutdown_when", n, ShutdownNever, parseShutdownWhen)
	p.Backoff = typed(l, sc, "backoff", n, BackoffLinear, parseBackoff)
	if v, ok := l.opt(sc, "backoff", n); ok && v.set {
		p.ShowRetry = true
	}
	p.BackoffMax = typed(l, sc, "backoff_max", n, 0, parseBackoffMax)
	p.ReadyWhen = typed(l, sc, "ready_when", n, ReadyWhen{}, parseReadyWhen)
}

func parseShutdownWhen(s string) (ShutdownWhen, error) {
	switch strings.ToLower(pyStrip(s)) {
	case "never", "":
		return ShutdownNever, nil
	case "fatal":
		return ShutdownFatal, nil
	case "exited":
		return ShutdownExited, nil
	}
	return ShutdownNever, fmt.Errorf("invalid shutdown_when %q (want never, fatal or exited)", s)
}

func parseBackoff(s string) (BackoffKind, error) {
	switch strings.ToLower(pyStrip(s)) {
	case "linear":
		return BackoffLinear, nil
	case "exponential":
		return BackoffExponential, nil
	}
	return BackoffLinear, fmt.Errorf("invalid backoff %q (want linear or exponential)", s)
}

func parseBackoffMax(s string) (time.Duration, error) {
	d, err := durationParser(s)
	if err != nil {
		return 0, err
	}
	if d < time.Second {
		return 0, fmt.Errorf("invalid backoff_max %q (want at least 1 second)", s)
	}
	return d, nil
}

// parseStartRetries reads startretries: an integer as the reference
// does, or "infinite".
func parseStartRetries(s string) (int, error) {
	if strings.EqualFold(pyStrip(s), "infinite") {
		return InfiniteRetries, nil
	}
	n, err := parseInt(s)
	if err != nil {
		return 0, fmt.Errorf("invalid startretries %q (want an integer or infinite)", s)
	}
	return n, nil
}

// parseReadyWhen reads "startsecs", "notify", "tcp://host:port",
// "http(s)://url" or "script:<command>" (an absolute command path needs no
// prefix).
func parseReadyWhen(s string) (ReadyWhen, error) {
	t := pyStrip(s)
	low := strings.ToLower(t)
	r := ReadyWhen{Text: t}
	check := &Liveness{Method: "GET", Period: readyCheckPeriod, Timeout: time.Second, SuccessThreshold: 1, FailureThreshold: 1}
	switch {
	case low == "startsecs":
		return ReadyWhen{}, nil
	case low == "notify":
		r.Kind = ReadyNotify
		return r, nil
	case strings.HasPrefix(low, "http://"), strings.HasPrefix(low, "https://"):
		if _, rest, _ := strings.Cut(t, "://"); rest != "" {
			check.Kind, check.Target = "http", t
		}
	case strings.HasPrefix(low, "tcp://"):
		hostPort := t[len("tcp://"):]
		if _, port, found := strings.Cut(hostPort, ":"); !found || port == "" {
			return ReadyWhen{}, fmt.Errorf("invalid ready_when %q (a tcp check needs host:port)", s)
		}
		check.Kind, check.Target = "tcp", hostPort
	case strings.HasPrefix(low, "script:"), strings.HasPrefix(t, "/"):
		cmd := t
		if strings.HasPrefix(low, "script:") {
			cmd = t[len("script:"):]
		}
		args, err := commandParser(cmd)
		if err != nil || len(args) == 0 || args[0] == "" {
			return ReadyWhen{}, fmt.Errorf("invalid ready_when %q (cannot parse the command)", s)
		}
		check.Kind, check.Target, check.Args = "script", args[0], args[1:]
	}
	if check.Kind == "" {
		return ReadyWhen{}, fmt.Errorf("invalid ready_when %q (want startsecs, notify, tcp://host:port, http(s)://url or script:<command>)", s)
	}
	r.Kind, r.Check = ReadyCheck, check
	return r, nil
}
