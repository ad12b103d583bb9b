package events

import (
	"testing"

	"supervisord/internal/process"
)

// BenchmarkPoolRoundTrip measures one event through a pool: publish,
// envelope written, listener answers OK and READY.
func BenchmarkPoolRoundTrip(b *testing.B) {
	p, err := NewPool("bench", PoolOptions{Events: []Type{TypeProcessState}, Members: []string{"l"}})
	if err != nil {
		b.Fatal(err)
	}
	p.ProcessState(0, process.Starting, t0)
	p.ProcessState(0, process.Running, t0)
	p.Feed(0, []byte(ReadyToken), t0)
	answer := []byte("RESULT 2\nOKREADY\n")
	c := ProcessStateChange{Name: "web", Group: "web", From: process.Starting, To: process.Running, Pid: 1234}
	b.ReportAllocs()
	for b.Loop() {
		if len(p.Publish(ProcessStateEvent(c), t0)) == 0 {
			b.Fatal("nothing sent")
		}
		p.Feed(0, answer, t0)
	}
}

// BenchmarkPublishUnsubscribed measures publishing an event no pool wants.
func BenchmarkPublishUnsubscribed(b *testing.B) {
	bus := NewBus("")
	if _, err := bus.AddPool("ticks", PoolOptions{Events: []Type{TypeTick}, Members: []string{"l"}}); err != nil {
		b.Fatal(err)
	}
	ev := RemoteCommunicationEvent("t", "d")
	b.ReportAllocs()
	for b.Loop() {
		bus.Publish(ev, t0)
	}
}
