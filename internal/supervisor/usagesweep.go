package supervisor

import (
	"cmp"
	"runtime"
	"sync"
	"time"

	"supervisord/internal/cgroup"
	"supervisord/internal/process"
)

// A reply about every process (getAllProcessInfo, the console, /metrics)
// carries what each process's tree uses, read from four cgroup files per
// process. Held open, a file costs one pread; but the descriptor limit
// lets only a quarter of the table be held, and past a few thousand
// programs every reading opens and closes its files, some 40 µs each:
// about two and a half seconds for 10,000 programs, in every reply.
//
// So those replies do not read the files themselves. They start a sweep
// that reads every group (one at a time, in the background) and take each
// group's last reading (taking it never waits for a reading in progress);
// a group never read yet has no usage in the reply. A reply waits for the
// running sweep only when the last sweep ended more than sweepRecent ago,
// and only until sweepWait after that sweep began: a client polling in a loop gets readings at most a
// sweep and two seconds old and never waits, while a status asked now and
// then gets readings taken for it. With a few thousand programs the
// sweep ends within the wait and the replies are as fresh as before. With
// more, a reply does not wait for the files, and its readings lag by at
// most a sweep and the pause after it. A sweep starts only when a reply
// asks for one, at most once per usage TTL, and no sooner after the last
// one began than sweepDuty times what that one took: a client polling in
// a loop costs at most a quarter of the time in readings, and with no
// client there is no sweep, so an idle daemon still never wakes. A call
// about one process (getProcessInfo) reads its files directly, as before.
//
// A sweep runs at full speed rather than paced: measured with 9,872
// programs on two cores, replies during a sweep paced to a quarter of a
// core took 30–110 ms against 11–15 ms between full-speed sweeps, so the
// CPU is better given in one piece and then left alone.
//
// This is housekeeping with nothing to observe but how fresh the readings
// are, so it runs on the real clock, like the cgroup's reading cache.
const (
	sweepWait   = 20 * time.Millisecond
	sweepDuty   = 4
	sweepRecent = 2 * time.Second // readings a reply takes without waiting
)

// usageSweep is the state of the background readings.
type usageSweep struct {
	mu      sync.Mutex
	running chan struct{} // closed when the running sweep ends; nil when none runs
	began   time.Time     // when the last sweep began
	ended   time.Time     // when the last finished sweep ended
	took    time.Duration // how long the last finished sweep took
	sweeps  uint64        // sweeps begun
	// read takes one group's reading: (*cgroup.Group).Usage; a test
	// slows it down to see the wait's bound. wait, when set, replaces
	// sweepWait, for a test to tell a wait from none on a slow machine.
	read func(*cgroup.Group)
	wait time.Duration
}

// RefreshUsage brings the usage readings of every process up to date for
// a reply about all of them, waiting at most sweepWait.
func (s *Supervisor) RefreshUsage() {
	snap := s.snap.Load()
	if snap == nil || !snap.hasCgroups() {
		return
	}
	sw := &s.sweep
	sw.mu.Lock()
	now := time.Now()
	done := sw.running
	if done == nil {
		if !sw.began.IsZero() && now.Sub(sw.began) < max(cgroup.UsageTTL, sweepDuty*sw.took) {
			sw.mu.Unlock()
			return
		}
		done = make(chan struct{})
		sw.running, sw.began = done, now
		sw.sweeps++
		go s.sweepUsage(snap, done)
	}
	recent := !sw.ended.IsZero() && now.Sub(sw.ended) < sweepRecent
	// The wait is the sweep's, not each reply's: replies that come while
	// it runs wait only for what is left of sweepWait since it began. At
	// 10,000 programs with cgroups a sweep lasts about a second, and every
	// reply in it had waited the whole sweepWait again (a client polling
	// right after a start: p50 80–95 ms against 8 ms between sweeps).
	wait := cmp.Or(sw.wait, sweepWait) - now.Sub(sw.began)
	sw.mu.Unlock()
	if recent || wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

func (s *Supervisor) sweepUsage(snap *snapshot, done chan struct{}) {
	t0 := time.Now()
	sw := &s.sweep
	// On one processor the sweep, always runnable between its yields,
	// would keep the scheduler from polling the network (cli/procs.go).
	if widen := s.opts.Widen; widen != nil {
		defer widen()()
	}
	// With a processor of its own the sweep must not yield: the yield
	// hands its goroutine to the other processor's thread and parks its
	// own (a futex wake and sleep per group), and with both threads
	// bouncing the sweep between them neither waits in the network
	// poller, so a reply writing its answer waited for the monitor
	// thread's 10 ms poll at each full socket buffer (perf at 10,000
	// programs: a fifth of the sweep's CPU in goschedImpl, and the first
	// getAllProcessInfo after a quiet spell took 130–350 ms).
	yield := runtime.GOMAXPROCS(0) < 2
	for _, gs := range snap.cgroups {
		for _, g := range gs {
			if g == nil {
				continue
			}
			if sw.read != nil {
				sw.read(g)
			} else {
				g.Usage()
			}
			// Where the daemon runs on one processor and could not be
			// given another, a reading is system calls too short for the
			// runtime to hand the processor on: yield it after each
			// group, so that a reply being encoded is not held up.
			if yield {
				runtime.Gosched()
			}
		}
	}
	sw.mu.Lock()
	sw.ended = time.Now()
	sw.took, sw.running = sw.ended.Sub(t0), nil
	sw.mu.Unlock()
	close(done)
}

// UsageSweeps implements metrics.SweepSource: the sweeps begun so far and
// how long the last finished one took.
func (s *Supervisor) UsageSweeps() (begun uint64, last time.Duration) {
	s.sweep.mu.Lock()
	defer s.sweep.mu.Unlock()
	return s.sweep.sweeps, s.sweep.took
}

// hasCgroups reports whether any process of the snapshot has a cgroup.
func (snap *snapshot) hasCgroups() bool {
	for _, gs := range snap.cgroups {
		for _, g := range gs {
			if g != nil {
				return true
			}
		}
	}
	return false
}

// fillCachedUsage completes info.Usage from g's last reading, if any.
func fillCachedUsage(info *process.Info, g *cgroup.Group) {
	if g == nil {
		return
	}
	u, ok := g.CachedUsage()
	if !ok {
		return
	}
	setUsage(info, u)
}

// CachedUsage implements rpc.UsageReader: the last reading of one
// process's tree, for the rows of a reply RefreshUsage prepared.
func (s *Supervisor) CachedUsage(group, name string, u process.Usage) process.Usage {
	g := s.groupOf(group, name)
	info := process.Info{Usage: u}
	fillCachedUsage(&info, g)
	return info.Usage
}
