package supervisor

import (
	"testing"
	"time"
)

// Memory goes back once, a quiet period after the last of a run of
// requests, not during the run.
func TestMemoryReturnsWhenCallsStop(t *testing.T) {
	const quiet = 200 * time.Millisecond
	returned := make(chan time.Time, 4)
	q := &quietCalls{quiet: quiet, ret: func() { returned <- time.Now() }}

	// A run of calls, each sooner than the quiet period after the last,
	// for several quiet periods.
	var last time.Time
	for end := time.Now().Add(3 * quiet); time.Now().Before(end); {
		last = time.Now()
		q.seen()
		time.Sleep(quiet / 10) // the client's pace, not a wait for the daemon
	}
	select {
	case at := <-returned:
		if gap := at.Sub(last); gap < quiet {
			t.Fatalf("memory went back %v after the last call, before the %v quiet was over", gap, quiet)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("memory never went back after the calls stopped")
	}

	// One call after the return arms a new quiet period: it returns again,
	// once.
	last = time.Now()
	q.seen()
	at := <-returned
	if gap := at.Sub(last); gap < quiet {
		t.Fatalf("the second return came %v after its call, before the quiet was over", gap)
	}
	// Both returns are in; a third would have to come from a check still
	// pending, which a call now would join rather than start.
	if q.armed.Load() {
		t.Fatal("a check is still pending after the return")
	}
	if len(returned) != 0 {
		t.Fatalf("memory went back %d more times", len(returned))
	}
}
