package supervisor

import (
	"context"
	"testing"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/process"
)

// nextChange waits for the next transition on sub.
func nextChange(t *testing.T, sub *Subscription) Change {
	t.Helper()
	select {
	case c, ok := <-sub.C:
		if !ok {
			t.Fatal("subscription closed")
		}
		return c
	case <-time.After(10 * time.Second):
		t.Fatal("no change within 10 s")
	}
	return Change{}
}

func TestSubscribeSeesTransitionsInOrder(t *testing.T) {
	h := start(t, prog("sleeper", "exec sleep 30", func(p *config.Process) { p.Autostart = false }))
	sub := h.sup.Subscribe(16)
	defer sub.Close()
	if err := h.sup.StartProcess(context.Background(), "sleeper", "sleeper", true); err != nil {
		t.Fatal(err)
	}
	if err := h.sup.StopProcess(context.Background(), "sleeper", "sleeper", true); err != nil {
		t.Fatal(err)
	}
	want := []process.State{process.Starting, process.Running, process.Stopping, process.Stopped}
	from := process.Stopped
	for _, st := range want {
		c := nextChange(t, sub)
		if c.Group != "sleeper" || c.Name != "sleeper" || c.From != from || c.To != st {
			t.Fatalf("change %+v, want %s -> %s", c, from, st)
		}
		from = st
	}
	select {
	case <-sub.Dirty:
	default:
		t.Fatal("Dirty not signalled after transitions")
	}
}

// A subscriber that never reads is dropped and counted, and neither the
// loop nor the other subscribers wait for it.
func TestSlowSubscriberIsDropped(t *testing.T) {
	h := start(t, prog("sleeper", "exec sleep 30", func(p *config.Process) { p.Autostart = false }))
	slow := h.sup.Subscribe(1)
	fast := h.sup.Subscribe(64)
	defer fast.Close()
	ctx := context.Background()
	for range 3 {
		if err := h.sup.StartProcess(ctx, "sleeper", "sleeper", true); err != nil {
			t.Fatal(err)
		}
		if err := h.sup.StopProcess(ctx, "sleeper", "sleeper", true); err != nil {
			t.Fatal(err)
		}
	}
	for range 12 {
		nextChange(t, fast)
	}
	n := 0
	for range slow.C {
		n++
	}
	if n != 1 || !slow.Dropped() || fast.Dropped() {
		t.Fatalf("slow got %d changes, dropped=%v; fast dropped=%v", n, slow.Dropped(), fast.Dropped())
	}
	if got := h.sup.DroppedSubscribers(); got != 1 {
		t.Fatalf("DroppedSubscribers = %d, want 1", got)
	}
	slow.Close() // a no-op after a drop
	fast.Close()
	fast.Close()
	if _, ok := <-fast.C; ok {
		t.Fatal("C open after Close")
	}
}
