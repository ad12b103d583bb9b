package supervisor

import (
	"strings"
	"sync"
	"testing"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/process"
)

// fakeClock is a Clock that moves only when the test advances it. Its
// timers fire when the clock passes their deadline.
type fakeClock struct {
	mu     sync.Mutex
	cond   *sync.Cond
	now    time.Time
	timers []*fakeTimer
}

func newFakeClock() *fakeClock {
	c := &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	c.cond = sync.NewCond(&c.mu)
	return c
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTimer(d time.Duration) Timer {
	t := &fakeTimer{c: c, ch: make(chan time.Time, 1)}
	c.mu.Lock()
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	t.Reset(d)
	return t
}

// Advance moves the clock on by d and fires the timers now due.
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		t.fireIfDue()
	}
	c.mu.Unlock()
}

// waitArmed waits until a timer is armed for exactly at: the loop has
// seen what the test made happen and is now waiting for that deadline.
func (c *fakeClock) waitArmed(t *testing.T, at time.Time) {
	t.Helper()
	stop := time.AfterFunc(10*time.Second, c.cond.Broadcast)
	defer stop.Stop()
	deadline := time.Now().Add(10 * time.Second)
	c.mu.Lock()
	defer c.mu.Unlock()
	for {
		for _, tm := range c.timers {
			if tm.active && tm.deadline.Equal(at) {
				return
			}
		}
		if time.Now().After(deadline) {
			var armed []time.Time
			for _, tm := range c.timers {
				if tm.active {
					armed = append(armed, tm.deadline)
				}
			}
			t.Fatalf("no timer armed for %v (clock at %v); armed: %v", at, c.now, armed)
		}
		c.cond.Wait()
	}
}

type fakeTimer struct {
	c        *fakeClock
	ch       chan time.Time
	deadline time.Time // guarded by c.mu
	active   bool      // guarded by c.mu
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.active = false
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := t.active
	t.deadline = t.c.now.Add(d)
	t.active = true
	t.fireIfDue()
	t.c.cond.Broadcast()
	return was
}

// fireIfDue sends on the channel when the deadline has come; c.mu held.
func (t *fakeTimer) fireIfDue() {
	if !t.active || t.deadline.After(t.c.now) {
		return
	}
	t.active = false
	select {
	case t.ch <- t.c.now:
	default:
	}
}

// startWithClock is start with the supervisor on clock.
func startWithClock(t *testing.T, clock Clock, groups ...*config.Group) *harness {
	t.Helper()
	return startWith(t, func(o *Options) { o.Clock = clock }, groups...)
}

// TestStartsecsOnFakeClock waits out startsecs by advancing the clock:
// the process stays STARTING until the clock reaches startsecs, then
// enters RUNNING at once, with no sleep anywhere.
func TestStartsecsOnFakeClock(t *testing.T) {
	clock := newFakeClock()
	t0 := clock.Now()
	h := startWithClock(t, clock, prog("sleeper", "exec sleep 30", func(p *config.Process) {
		p.Startsecs = 5 * time.Second
	}))
	h.log.waitFor(t, "spawned: 'sleeper'", 1, 10*time.Second)
	clock.waitArmed(t, t0.Add(5*time.Second))
	clock.Advance(4 * time.Second)
	// The timer still waits for second 5: nothing can have fired.
	clock.waitArmed(t, t0.Add(5*time.Second))
	if st := h.info("sleeper").State; st != process.Starting {
		t.Fatalf("state %s before startsecs, want STARTING", st)
	}
	clock.Advance(time.Second)
	h.log.waitFor(t, "success: sleeper entered RUNNING state, process has stayed up for > than 5 seconds (startsecs)", 1, 10*time.Second)
	if st := h.info("sleeper").State; st != process.Running {
		t.Fatalf("state %s after startsecs, want RUNNING", st)
	}
}

// TestBackoffOnFakeClock walks a failing program through its retries: the
// n-th retry comes n seconds after the n-th failure, as in the
// reference, and after startretries the process is FATAL.
func TestBackoffOnFakeClock(t *testing.T) {
	clock := newFakeClock()
	h := startWithClock(t, clock, prog("flaky", "exit 3", func(p *config.Process) {
		p.Startsecs = 5 * time.Second
		p.Startretries = 2
	}))
	for n := 1; n <= 2; n++ {
		h.log.waitFor(t, "exited: flaky (exit status 3; not expected)", n, 10*time.Second)
		retry := clock.Now().Add(time.Duration(n) * time.Second)
		clock.waitArmed(t, retry)
		if info := h.info("flaky"); info.State != process.Backoff {
			t.Fatalf("state %s after failure %d, want BACKOFF", info.State, n)
		}
		clock.Advance(time.Duration(n)*time.Second - time.Millisecond)
		clock.waitArmed(t, retry) // not yet
		clock.Advance(time.Millisecond)
		h.log.waitFor(t, "spawned: 'flaky'", n+1, 10*time.Second)
	}
	h.log.waitFor(t, "gave up: flaky entered FATAL state, too many start retries too quickly", 1, 10*time.Second)
	if info := h.info("flaky"); info.State != process.Fatal {
		t.Fatalf("state %s, want FATAL", info.State)
	}
	want := []string{
		"spawned: 'flaky' with pid N", "exited: flaky (exit status 3; not expected)",
		"spawned: 'flaky' with pid N", "exited: flaky (exit status 3; not expected)",
		"spawned: 'flaky' with pid N", "exited: flaky (exit status 3; not expected)",
		"gave up: flaky entered FATAL state, too many start retries too quickly",
	}
	if got := h.log.events(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
