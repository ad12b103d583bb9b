package health

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"supervisord/internal/config"
)

// Status is a process's liveness as far as its check knows.
type Status int

const (
	// Unknown: the check has not reached a threshold yet.
	Unknown Status = iota
	Healthy
	Unhealthy
)

// String gives the word used in process info rows.
func (s Status) String() string {
	switch s {
	case Healthy:
		return "healthy"
	case Unhealthy:
		return "unhealthy"
	}
	return "unknown"
}

// Defaults applied to zero fields of a Liveness, the same as Kubernetes
// probes use.
const (
	DefaultPeriod           = 10 * time.Second
	DefaultTimeout          = 1 * time.Second
	DefaultSuccessThreshold = 1
	DefaultFailureThreshold = 3
)

// Tracker turns a sequence of probe results into status changes: the
// status becomes Healthy after SuccessThreshold passes in a row and
// Unhealthy after FailureThreshold failures in a row. It is pure and not
// safe for concurrent use.
type Tracker struct {
	SuccessThreshold int
	FailureThreshold int

	status    Status
	successes int // consecutive passes
	failures  int // consecutive failures
}

// Observe records one result. It returns the status after it and whether
// the status changed.
func (t *Tracker) Observe(passed bool) (Status, bool) {
	if passed {
		t.successes++
		t.failures = 0
		if t.status != Healthy && t.successes >= max(t.SuccessThreshold, 1) {
			t.status = Healthy
			return t.status, true
		}
	} else {
		t.failures++
		t.successes = 0
		if t.status != Unhealthy && t.failures >= max(t.FailureThreshold, 1) {
			t.status = Unhealthy
			return t.status, true
		}
	}
	return t.status, false
}

// Status is the current status.
func (t *Tracker) Status() Status { return t.status }

// Transition reports that a process's status changed.
type Transition struct {
	// Process is the name the checker was started with.
	Process string
	Status  Status
	// Probes is how many probes the checker has run, this one included.
	Probes int
	// Consecutive is how many passes (Healthy) or failures (Unhealthy) in
	// a row led to the change.
	Consecutive int
	// Err is the last failure, for Unhealthy.
	Err error
	At  time.Time
}

// Options configure a Checker.
type Options struct {
	// Notify receives transitions with a non-blocking send; a full
	// channel drops the transition and counts it (see Dropped). The
	// current status is always available from Status.
	Notify chan<- Transition
	// Result, if set, is called after every probe (for logging at debug
	// level). It must not block.
	Result func(err error)
	// Dropped, if set, is called for every transition the full Notify
	// channel refused, after it was counted. It must not block.
	Dropped func()
}

// Checker runs one process's probe on a schedule in its own goroutine:
// after InitialDelay, then every Period (measured from the start of each
// probe; a probe that takes longer than Period is followed at once by the
// next), each bounded by Timeout.
type Checker struct {
	name    string
	probe   Probe
	spec    config.Liveness
	opts    Options
	status  atomic.Int32
	dropped atomic.Uint64
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
}

// Start starts checking. name identifies the process in transitions. The
// checker runs until Stop is called or ctx is done.
func Start(ctx context.Context, name string, spec config.Liveness, p Probe, opts Options) *Checker {
	if spec.Period <= 0 {
		spec.Period = DefaultPeriod
	}
	if spec.Timeout <= 0 {
		spec.Timeout = DefaultTimeout
	}
	if spec.SuccessThreshold <= 0 {
		spec.SuccessThreshold = DefaultSuccessThreshold
	}
	if spec.FailureThreshold <= 0 {
		spec.FailureThreshold = DefaultFailureThreshold
	}
	ctx, cancel := context.WithCancel(ctx)
	c := &Checker{name: name, probe: p, spec: spec, opts: opts, cancel: cancel, done: make(chan struct{})}
	go c.run(ctx)
	return c
}

// Stop ends the checker and waits for its goroutine (and any probe in
// flight, which is cancelled) to finish. It is safe to call more than once.
func (c *Checker) Stop() {
	c.once.Do(func() {
		c.cancel()
		<-c.done
		if cl, ok := c.probe.(interface{ Close() }); ok {
			cl.Close()
		}
	})
}

// Status is the latest status.
func (c *Checker) Status() Status { return Status(c.status.Load()) }

// Dropped is how many transitions were dropped because Notify was full.
func (c *Checker) Dropped() uint64 { return c.dropped.Load() }

func (c *Checker) run(ctx context.Context) {
	defer close(c.done)
	tr := Tracker{SuccessThreshold: c.spec.SuccessThreshold, FailureThreshold: c.spec.FailureThreshold}
	timer := time.NewTimer(c.spec.InitialDelay)
	defer timer.Stop()
	probes := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		started := time.Now()
		err := runProbe(ctx, c.probe, c.spec.Timeout)
		if ctx.Err() != nil {
			return // stopped while probing: the result means nothing
		}
		probes++
		if c.opts.Result != nil {
			c.opts.Result(err)
		}
		consecutive := tr.successes + 1
		if err != nil {
			consecutive = tr.failures + 1
		}
		if st, changed := tr.Observe(err == nil); changed {
			c.status.Store(int32(st))
			c.notify(Transition{
				Process: c.name, Status: st, Probes: probes, Consecutive: consecutive,
				Err: err, At: time.Now(),
			})
		}
		next := c.spec.Period - time.Since(started)
		timer.Reset(max(next, 0))
	}
}

func (c *Checker) notify(t Transition) {
	if c.opts.Notify == nil {
		return
	}
	select {
	case c.opts.Notify <- t:
	default:
		c.dropped.Add(1)
		if c.opts.Dropped != nil {
			c.opts.Dropped()
		}
	}
}
