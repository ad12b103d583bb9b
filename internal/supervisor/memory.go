package supervisor

import (
	"runtime/debug"
	"sync/atomic"
	"time"
)

// A burst of work (starting a thousand programs, a reload, a mass
// restart) leaves the heap at its high-water mark: the collector frees the
// objects, but the runtime returns the pages to the OS only slowly, and an
// idle daemon runs no collections to let it. So once a burst has been
// over for a moment, the loop has the runtime collect and hand the free
// pages back at once, and the daemon idles at what it holds, not at what
// the burst needed. The same goes for the executable's pages: the start
// maps nearly all of them, the idle daemon needs a seventh.
//
// This is housekeeping with nothing to observe but the daemon's RSS, so it
// runs on a real timer, off the loop, not on the injected clock.
const (
	// burstChanges is how many state changes make a burst.
	burstChanges = 64
	// quietAfterBurst is how long after the last of them memory goes back.
	quietAfterBurst = 500 * time.Millisecond
)

// memoryReturn is the loop's record of bursts.
type memoryReturn struct {
	mark  int         // l.changes when a burst was last seen
	timer *time.Timer // returns memory quietAfterBurst after the last burst
}

// startMemoryReturn counts a generation's start (the configuration read,
// the autostart programs launched) as a burst.
func (l *loop) startMemoryReturn() { l.mem.mark = l.changes - burstChanges }

// returnMemoryAfterBurst runs after every step: a burst (re)starts the
// countdown to returning memory.
func (l *loop) returnMemoryAfterBurst() {
	if l.changes-l.mem.mark < burstChanges {
		return
	}
	l.mem.mark = l.changes
	if l.mem.timer == nil {
		l.mem.timer = time.AfterFunc(quietAfterBurst, returnMemory)
		return
	}
	l.mem.timer.Reset(quietAfterBurst)
}

// returnMemory collects, hands the free heap pages back and drops the
// executable's pages that only the burst needed (codepages_linux.go).
func returnMemory() {
	debug.FreeOSMemory()
	dropCodePages()
}

// Serving a client brings back the pages its requests need (about 7 MiB
// of code and read-only data with the kernel's fault-around) and grows the
// heap to the collector's goal; a daemon queried once would keep them
// forever. So once no request has come for quietAfterCalls, memory is
// handed back as after a burst. A client that calls more often than that
// never pays for it; one that calls less often (a status now and then, a
// scrape every 15 s) costs the daemon a collection and the faults that
// bring the serving code back, a few milliseconds, per call.
const quietAfterCalls = 5 * time.Second

// quietCalls times the quiet after the last request. A request only
// stores the time; one timer at a time checks it.
type quietCalls struct {
	last  atomic.Int64 // the last request, in Unix nanoseconds
	armed atomic.Bool  // a check is pending

	quiet time.Duration // quietAfterCalls; shorter in tests
	ret   func()        // returnMemory; a hook in tests
}

// CallSeen notes a request from a client; the server calls it for each.
func (s *Supervisor) CallSeen() { s.calls.seen() }

func (q *quietCalls) seen() {
	q.last.Store(time.Now().UnixNano())
	if q.armed.Load() || !q.armed.CompareAndSwap(false, true) {
		return
	}
	time.AfterFunc(q.quietFor(), q.check)
}

func (q *quietCalls) quietFor() time.Duration {
	if q.quiet > 0 {
		return q.quiet
	}
	return quietAfterCalls
}

// check runs when the quiet may be over: it waits out what is left of it,
// or hands memory back.
func (q *quietCalls) check() {
	quiet := q.quietFor()
	if left := quiet - time.Since(time.Unix(0, q.last.Load())); left > 0 {
		time.AfterFunc(left, q.check)
		return
	}
	q.armed.Store(false)
	// A request between the look above and the store saw a check
	// pending and did not arm one: look again. Whoever arms next checks.
	if time.Since(time.Unix(0, q.last.Load())) < quiet {
		if q.armed.CompareAndSwap(false, true) {
			time.AfterFunc(quiet, q.check)
		}
		return
	}
	if q.ret != nil {
		q.ret()
		return
	}
	returnMemory()
}

// stopMemoryReturn cancels a pending return when the loop ends.
func (l *loop) stopMemoryReturn() {
	if l.mem.timer != nil {
		l.mem.timer.Stop()
	}
}
