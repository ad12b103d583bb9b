package supervisor

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// dropReportEvery is the least time between two log lines about the same
// kind of drop.
const dropReportEvery = 10 * time.Second

// dropCounter counts what a full queue made the daemon drop, and says so
// in the main log: the first drop at once, later ones in one line per
// dropReportEvery at most, reported when a drop comes after the interval.
// The total also reaches /metrics (Supervisor.Drops). Safe for concurrent
// use; add never blocks on the loop.
type dropCounter struct {
	what  string // e.g. "output events (the event listeners are behind)"
	total atomic.Uint64
	log   *slog.Logger
	clock Clock

	mu       sync.Mutex // guards lastAt, reported
	lastAt   time.Time
	reported uint64
}

func newDropCounter(what string, log *slog.Logger, clock Clock) *dropCounter {
	return &dropCounter{what: what, log: log, clock: clock}
}

// add counts one drop and logs when the last report is old enough.
func (d *dropCounter) add() {
	total := d.total.Add(1)
	now := d.clock.Now()
	d.mu.Lock()
	if !d.lastAt.IsZero() && now.Sub(d.lastAt) < dropReportEvery {
		d.mu.Unlock()
		return
	}
	n := total - d.reported
	d.reported = total
	d.lastAt = now
	d.mu.Unlock()
	d.log.Warn(fmt.Sprintf("dropped %d %s; %d since start", n, d.what, total))
}

// drops are the daemon's drop counters, by the label /metrics gives them.
type drops struct {
	events, health, watch *dropCounter
}

func newDrops(log *slog.Logger, clock Clock) *drops {
	return &drops{
		events: newDropCounter("output events (the loop is behind)", log, clock),
		health: newDropCounter("liveness transitions (the loop is behind)", log, clock),
		watch:  newDropCounter("file watch events (the loop is behind)", log, clock),
	}
}

// Drops reports, for /metrics, how many items each queue dropped since
// start: output events on their way to the loop ("events"), liveness
// transitions ("health"), file watch events ("watch") and what the shared
// console and syslog outputs could not deliver ("output:<name>").
func (s *Supervisor) Drops() map[string]uint64 {
	out := map[string]uint64{
		"events": s.drops.events.total.Load(),
		"health": s.drops.health.total.Load(),
		"watch":  s.drops.watch.total.Load(),
	}
	for name, n := range s.opts.Outputs.Dropped() {
		out["output:"+name] = n
	}
	return out
}
