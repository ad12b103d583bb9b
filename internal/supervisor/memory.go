package supervisor

import (
	"runtime/debug"
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

// stopMemoryReturn cancels a pending return when the loop ends.
func (l *loop) stopMemoryReturn() {
	if l.mem.timer != nil {
		l.mem.timer.Stop()
	}
}
