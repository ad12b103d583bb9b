package events

import (
	"slices"
	"testing"
)

// feedOutcome is what a run of Listener.Feed leads to.
type feedOutcome struct {
	state    ListenerState
	results  []string
	rejected int
}

func runFeed(busy bool, chunks [][]byte) feedOutcome {
	var out feedOutcome
	l := NewListener("fuzz", func(ev *Event, r []byte) error {
		out.results = append(out.results, string(r))
		return DefaultResultHandler(ev, r)
	})
	if busy {
		l.Feed([]byte(ReadyToken), t0)
		_ = l.Send(SupervisorRunningEvent(), t0)
	}
	for _, c := range chunks {
		for _, e := range l.Feed(c, t0) {
			if _, ok := e.(rejected); ok {
				out.rejected++
			}
		}
	}
	out.state = l.State()
	return out
}

// FuzzListenerFeed checks that the listener parser never panics and that
// how the output is split across reads never changes the outcome.
func FuzzListenerFeed(f *testing.F) {
	for _, s := range []string{
		"READY\n", "RESULT 2\nOKREADY\n", "RESULT 4\nFAILREADY\n", "RESULT x\n", "RESULT 0\nREADY\n",
		"READY\nREADY\n", "RESULT 1_0\n0123456789", "garbage", "RESULT 2\nO",
	} {
		f.Add([]byte(s), uint8(3), true)
		f.Add([]byte(s), uint8(1), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, step uint8, busy bool) {
		whole := runFeed(busy, [][]byte{data})
		var chunks [][]byte
		n := int(step%16) + 1
		for rest := data; len(rest) > 0; {
			k := min(n, len(rest))
			chunks = append(chunks, rest[:k])
			rest = rest[k:]
		}
		split := runFeed(busy, chunks)
		if whole.state != split.state || whole.rejected != split.rejected || !slices.Equal(whole.results, split.results) {
			t.Fatalf("outcome depends on splitting (%d-byte reads): whole %+v, split %+v", n, whole, split)
		}
		switch whole.state {
		case ListenerReady, ListenerBusy, ListenerAcknowledged, ListenerUnknown:
		default:
			t.Fatalf("invalid state %d", whole.state)
		}
	})
}
