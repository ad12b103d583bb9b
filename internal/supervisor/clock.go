package supervisor

import "time"

// Clock is where the supervisor reads the time and gets its timer: the
// loop reads it once per input and sleeps on one Timer until the next
// deadline (startsecs, backoff, stopwaitsecs, TICK events). Tests inject a
// clock they advance by hand, so that waiting on those deadlines needs no
// sleep.
type Clock interface {
	Now() time.Time
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the loop uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// realClock is the wall clock and the runtime's timers.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

type realTimer struct{ t *time.Timer }

func (t realTimer) C() <-chan time.Time        { return t.t.C }
func (t realTimer) Stop() bool                 { return t.t.Stop() }
func (t realTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }
