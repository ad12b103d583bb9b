package process

import (
	"fmt"
	"strconv"
	"time"

	"supervisord/internal/config"
)

// Lifecycle is the part of a process's state that the lifecycle options
// (backoff, startretries=infinite, ready_when) need. With every option at
// its default it changes nothing the reference would do.
type Lifecycle struct {
	// BackoffDelay is the delay chosen on entering BACKOFF last.
	BackoffDelay time.Duration
	// NotifyStatus is the last STATUS= the process sent on its notify
	// socket; cleared at every spawn.
	NotifyStatus string
	// notReady is set when the process was stopped because it did not
	// become ready within startsecs: its exit is a failed start.
	notReady bool
}

func (l *Lifecycle) spawned() {
	l.NotifyStatus = ""
	l.notReady = false
}

// takeNotReady reports and clears notReady.
func (l *Lifecycle) takeNotReady() bool {
	v := l.notReady
	l.notReady = false
	return v
}

// Jitterer is implemented by an Env that randomises backoff delays. Jitter
// returns a number in [-1, 1]; an Env without it gets no jitter, which
// keeps table tests exact.
type Jitterer interface {
	Jitter() float64
}

// backoffJitter is the spread of an exponential delay: ±20 %.
const backoffJitter = 0.2

// backoffDelay is the delay before the retry that follows the p.Backoff-th
// failure. Linear is the reference's n seconds (capped at backoff_max
// only when retries are endless, so that the delay does not grow for
// ever); exponential doubles from 1 s up to backoff_max, with jitter.
func (p *Proc) backoffDelay(env Env) time.Duration {
	c := p.Config
	n := p.Backoff
	limit := c.BackoffMax
	if limit <= 0 {
		limit = config.DefaultBackoffMax
	}
	var d time.Duration
	switch c.Backoff {
	case config.BackoffExponential:
		d = limit
		if n-1 < 32 && time.Second<<(n-1) < d {
			d = time.Second << (n - 1)
		}
		if j, ok := env.(Jitterer); ok {
			f := j.Jitter()
			f = max(-1, min(1, f))
			d = time.Duration(float64(d) * (1 + backoffJitter*f))
		}
	default:
		d = time.Duration(n) * time.Second
		if c.Startretries == config.InfiniteRetries && d > limit {
			d = limit
		}
	}
	p.Life.BackoffDelay = d
	return d
}

// retriesExhausted reports whether BACKOFF has used every retry: the
// reference's rule, except that startretries=infinite never runs out.
func (p *Proc) retriesExhausted() bool {
	if p.Config.Startretries == config.InfiniteRetries {
		return false
	}
	return p.Backoff > p.Config.Startretries
}

// awaitsReadiness reports whether the process becomes RUNNING by a signal
// of readiness (ready_when=notify or a check) rather than by lasting
// startsecs.
func (p *Proc) awaitsReadiness() bool {
	return p.Config.ReadyWhen.Kind != config.ReadyStartsecs
}

// readinessDeadline handles a STARTING process that waits for readiness:
// once startsecs have passed without it, the process is stopped and its
// exit counts as a failed start (systemd's TimeoutStartSec does the
// same). startsecs=0 means no deadline.
func (p *Proc) readinessDeadline(env Env, now time.Time) error {
	c := p.Config
	if p.State != Starting || p.Hook || c.Startsecs <= 0 || now.Sub(p.LastStart) < c.Startsecs {
		return nil
	}
	p.log(env, config.LevelWarn, fmt.Sprintf("not ready: %s did not become ready within %d seconds (startsecs), stopping it", c.Name, int(c.Startsecs/time.Second)))
	err := p.Kill(env, c.StopSignal, now)
	if p.State == Stopping {
		p.Life.notReady = true
	}
	return err
}

// readinessFailed records the exit of a process stopped for missing its
// readiness deadline: STOPPING → BACKOFF, so that the usual retries (or
// FATAL) follow.
func (p *Proc) readinessFailed(env Env, how string, now time.Time) error {
	if err := p.check(EventNotReadyExit); err != nil {
		return err
	}
	p.Killing = false
	p.HasExit = false
	p.SpawnErr = fmt.Sprintf("Not ready within %d seconds (startsecs)", int(p.Config.Startsecs/time.Second))
	p.changeState(env, Backoff, true, now)
	p.log(env, config.LevelWarn, fmt.Sprintf("exited: %s (%s; not ready)", p.Config.Name, how))
	return nil
}

// MarkReady is the process's own report of readiness (READY=1, or its
// ready_when check passing): STARTING → RUNNING. A report in any other
// state (a repeated READY=1, a report while stopping) changes nothing and
// returns an error saying why.
func (p *Proc) MarkReady(env Env, how string, now time.Time) error {
	if p.Hook {
		return fmt.Errorf("%w: %s is running its pre_start_hook", ErrBadTransition, p.Config.Name)
	}
	if err := p.check(EventReady); err != nil {
		return err
	}
	p.Delay = time.Time{}
	p.Backoff = 0
	p.changeState(env, Running, true, now)
	p.log(env, config.LevelInfo, fmt.Sprintf("success: %s entered RUNNING state, %s", p.Config.Name, how))
	return nil
}

// RestartComing reports whether autorestart will start the process again
// after its last exit.
func (p *Proc) RestartComing() bool { return p.wantsAutorestart() }

// lifecycleInfo adds what the lifecycle options show to a row.
func (p *Proc) lifecycleInfo(info *Info) {
	if p.Pid != 0 && p.State.IsSignallable() {
		info.NotifyStatus = p.Life.NotifyStatus
	}
	if p.State == Backoff && p.Config.ShowRetry && !p.retriesExhausted() && !p.Delay.IsZero() {
		// Both this and the row's Now are whole seconds rounded down,
		// so the difference is the remaining time to within a second.
		info.RetryAt = p.Delay.Unix()
	}
}

// DescribeIn is Describe with stop times shown in loc. With the lifecycle
// options at their defaults it is the reference's description; otherwise
// it adds when the next retry comes and the program's own status line.
func DescribeIn(i Info, loc *time.Location) string {
	return string(AppendDescription(nil, &i, loc))
}

// AppendDescription appends DescribeIn(*i, loc).
func AppendDescription(b []byte, i *Info, loc *time.Location) []byte {
	start := len(b)
	b = appendReference(b, i, loc)
	if i.State == Backoff && i.RetryAt != 0 {
		b = append(b, "; retry in "...)
		b = strconv.AppendInt(b, max(i.RetryAt-i.Now, 0), 10)
		b = append(b, 's')
	}
	if i.NotifyStatus != "" {
		if len(b) > start {
			b = append(b, "; "...)
		}
		b = append(b, i.NotifyStatus...)
	}
	return b
}
