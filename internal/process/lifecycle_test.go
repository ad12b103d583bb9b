package process

import (
	"strings"
	"testing"
	"time"

	"supervisord/internal/config"
)

// jitterer is a recorder whose Env also randomises backoff, from a script.
type jitterer struct {
	recorder
	next []float64
}

func (j *jitterer) Jitter() float64 {
	if len(j.next) == 0 {
		return 0
	}
	v := j.next[0]
	j.next = j.next[1:]
	return v
}

// failFast spawns p at now and has it exit at once; it returns the delay
// of the BACKOFF it entered.
func failFast(t *testing.T, env Env, p *Proc, now time.Time) time.Duration {
	t.Helper()
	if err := p.Spawn(env, now); err != nil {
		t.Fatal(err)
	}
	p.Exited(env, 1, "exit status 1", now)
	if p.State != Backoff {
		t.Fatalf("state %s after a quick exit", p.State)
	}
	return p.Delay.Sub(now)
}

func TestBackoffDelays(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mod    func(*config.Process)
		jitter []float64
		want   []time.Duration
	}{
		{"linear is the reference's", func(c *config.Process) { c.Startretries = 10 }, nil,
			[]time.Duration{1, 2, 3, 4, 5, 6}},
		{"linear endless is capped", func(c *config.Process) { c.Startretries = config.InfiniteRetries; c.BackoffMax = 3 * time.Second }, nil,
			[]time.Duration{1, 2, 3, 3, 3}},
		{"exponential doubles to the cap", func(c *config.Process) {
			c.Startretries = 10
			c.Backoff, c.BackoffMax = config.BackoffExponential, 4*time.Second
		}, nil, []time.Duration{1, 2, 4, 4, 4}},
		{"exponential with a large count stays at the cap", func(c *config.Process) {
			c.Startretries = config.InfiniteRetries
			c.Backoff, c.BackoffMax = config.BackoffExponential, time.Hour
		}, nil, []time.Duration{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &jitterer{next: tc.jitter}
			p := newProc(tc.mod)
			now := at(0)
			for i, w := range tc.want {
				if got := failFast(t, r, p, now); got != w*time.Second {
					t.Fatalf("delay %d = %v, want %v", i+1, got, w*time.Second)
				}
				now = p.Delay
			}
		})
	}
}

func TestBackoffJitterStaysWithinTwentyPercent(t *testing.T) {
	r := &jitterer{next: []float64{-1, 1, 0.5, -7, 7}}
	p := newProc(func(c *config.Process) {
		c.Startretries = 10
		c.Backoff, c.BackoffMax = config.BackoffExponential, 60*time.Second
	})
	want := []time.Duration{800 * time.Millisecond, 2400 * time.Millisecond, 4400 * time.Millisecond, 6400 * time.Millisecond, 19200 * time.Millisecond}
	now := at(0)
	for i, w := range want {
		if got := failFast(t, r, p, now); got != w {
			t.Fatalf("delay %d = %v, want %v", i+1, got, w)
		}
		now = p.Delay
	}
}

func TestInfiniteRetriesNeverFatal(t *testing.T) {
	r := &recorder{}
	p := newProc(func(c *config.Process) { c.Startretries = config.InfiniteRetries; c.BackoffMax = 2 * time.Second })
	p.Transition(r, SupervisorRunning, at(0))
	now := at(0)
	for try := 1; try <= 50; try++ {
		if p.State != Starting {
			t.Fatalf("try %d: state %s, want STARTING", try, p.State)
		}
		p.Exited(r, 1, "exit status 1", now)
		p.Transition(r, SupervisorRunning, now)
		if p.State != Backoff {
			t.Fatalf("try %d: state %s after transition, want BACKOFF", try, p.State)
		}
		if d := p.Deadline(SupervisorRunning); !d.Equal(p.Delay) {
			t.Fatalf("try %d: deadline %v, want the retry at %v", try, d, p.Delay)
		}
		now = p.Delay
		p.Transition(r, SupervisorRunning, now)
	}
	if strings.Contains(strings.Join(r.lines, "\n"), "gave up") {
		t.Fatal("gave up with startretries=infinite")
	}
}

func TestRetryInDescription(t *testing.T) {
	r := &recorder{}
	p := newProc(func(c *config.Process) {
		c.Startretries = 10
		c.Backoff, c.BackoffMax, c.ShowRetry = config.BackoffExponential, time.Minute, true
	})
	now := at(0)
	for range 4 {
		failFast(t, r, p, now)
		now = p.Delay
	}
	// The fourth failure waits 8 s.
	info := p.Info(now.Add(-8 * time.Second))
	if want := "Exited too quickly (process log may have details); retry in 8s"; info.Description != want {
		t.Fatalf("description %q, want %q", info.Description, want)
	}
	// Without the backoff option the reference's text is kept.
	q := newProc(nil)
	failFast(t, r, q, at(0))
	if info := q.Info(at(0)); info.Description != "Exited too quickly (process log may have details)" || info.RetryAt != 0 {
		t.Fatalf("default description %+v", info)
	}
}

func TestNotifyReadiness(t *testing.T) {
	r := &recorder{}
	p := newProc(func(c *config.Process) {
		c.Startsecs = 10 * time.Second
		c.ReadyWhen = config.ReadyWhen{Kind: config.ReadyNotify}
	})
	p.Transition(r, SupervisorRunning, at(0))
	p.Life.NotifyStatus = "loading"
	if info := p.Info(at(1)); info.Description != "loading" {
		t.Fatalf("STARTING description %q, want the program's status", info.Description)
	}
	// Lasting past... not yet: without readiness, 5 s is still STARTING.
	p.Transition(r, SupervisorRunning, at(5))
	if p.State != Starting {
		t.Fatalf("state %s at 5 s without READY=1", p.State)
	}
	if err := p.MarkReady(r, "ready", at(6)); err != nil || p.State != Running {
		t.Fatalf("MarkReady: %v, state %s", err, p.State)
	}
	if err := p.MarkReady(r, "ready", at(7)); err == nil {
		t.Fatal("a second READY=1 changed state")
	}
	p.Life.NotifyStatus = "serving"
	if info := p.Info(at(66)); info.Description != "pid 1, uptime 0:01:06; serving" {
		t.Fatalf("RUNNING description %q", info.Description)
	}
	// Running past startsecs and exiting is an ordinary exit.
	p.Exited(r, 0, "exit status 0", at(70))
	if p.State != Exited {
		t.Fatalf("state %s", p.State)
	}
}

func TestNotifyDeadline(t *testing.T) {
	r := &recorder{}
	p := newProc(func(c *config.Process) {
		c.Startsecs = 10 * time.Second
		c.Startretries = 0
		c.ReadyWhen = config.ReadyWhen{Kind: config.ReadyNotify}
	})
	p.Transition(r, SupervisorRunning, at(0))
	if d := p.Deadline(SupervisorRunning); !d.Equal(at(10)) {
		t.Fatalf("deadline %v", d)
	}
	p.Transition(r, SupervisorRunning, at(10))
	if p.State != Stopping || len(r.kills) != 1 {
		t.Fatalf("state %s kills %v at the deadline", p.State, r.kills)
	}
	p.Exited(r, -1, "terminated by SIGTERM", at(10.1))
	if p.State != Backoff || p.SpawnErr != "Not ready within 10 seconds (startsecs)" {
		t.Fatalf("state %s spawnerr %q", p.State, p.SpawnErr)
	}
	p.Transition(r, SupervisorRunning, at(10.1))
	if p.State != Fatal {
		t.Fatalf("state %s, want FATAL with no retries left", p.State)
	}
	want := "STOPPED>STARTING STARTING>STOPPING STOPPING>BACKOFF BACKOFF>FATAL"
	if got := strings.Join(r.states, " "); got != want {
		t.Fatalf("states %s, want %s", got, want)
	}
}

func TestNotifyDeadlineStoppedByHand(t *testing.T) {
	r := &recorder{}
	p := newProc(func(c *config.Process) {
		c.Startsecs = 2 * time.Second
		c.ReadyWhen = config.ReadyWhen{Kind: config.ReadyNotify}
	})
	p.Transition(r, SupervisorRunning, at(0))
	p.Transition(r, SupervisorRunning, at(2))
	p.Stop(r, at(2.5))
	p.Exited(r, -1, "terminated by SIGTERM", at(3))
	if p.State != Stopped {
		t.Fatalf("state %s, want STOPPED after a stop by hand", p.State)
	}
}

func TestNotifyNoDeadlineWithZeroStartsecs(t *testing.T) {
	r := &recorder{}
	p := newProc(func(c *config.Process) {
		c.Startsecs = 0
		c.ReadyWhen = config.ReadyWhen{Kind: config.ReadyNotify}
	})
	p.Transition(r, SupervisorRunning, at(0))
	p.Transition(r, SupervisorRunning, at(1000))
	if p.State != Starting || !p.Deadline(SupervisorRunning).IsZero() {
		t.Fatalf("state %s deadline %v", p.State, p.Deadline(SupervisorRunning))
	}
}

func TestMarkReadyRefusedOutsideStarting(t *testing.T) {
	r := &recorder{}
	p := newProc(func(c *config.Process) { c.ReadyWhen = config.ReadyWhen{Kind: config.ReadyNotify} })
	if err := p.MarkReady(r, "ready", at(0)); err == nil || p.State != Stopped {
		t.Fatalf("MarkReady while STOPPED: %v, %s", err, p.State)
	}
	p.Transition(r, SupervisorRunning, at(0))
	p.Hook = true // the pre_start_hook, not the command, is running
	if err := p.MarkReady(r, "ready", at(1)); err == nil || p.State != Starting {
		t.Fatalf("MarkReady during the hook: %v, %s", err, p.State)
	}
	p.HookDone(r, 9, at(2))
	if err := p.MarkReady(r, "ready", at(3)); err != nil || p.State != Running {
		t.Fatalf("MarkReady after the hook: %v, %s", err, p.State)
	}
	p.Stop(r, at(4))
	if err := p.MarkReady(r, "ready", at(5)); err == nil || p.State != Stopping {
		t.Fatalf("MarkReady while STOPPING: %v, %s", err, p.State)
	}
}
