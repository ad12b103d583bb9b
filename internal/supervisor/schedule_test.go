package supervisor

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"supervisord/internal/config"
)

func newTestLoop(t *testing.T, n int) *loop {
	t.Helper()
	dir := t.TempDir()
	cfg := &config.Config{File: filepath.Join(dir, "supervisord.conf"), Groups: []*config.Group{benchGroup(dir, n)}}
	l := New(cfg, Options{Logger: slog.New(slog.DiscardHandler)}).loop
	l.timer = l.s.opts.Clock.NewTimer(time.Hour)
	t.Cleanup(func() { l.timer.Stop() })
	l.now = time.Now()
	return l
}

func flat(pss [][]*proc) []*proc {
	var out []*proc
	for _, ps := range pss {
		out = append(out, ps...)
	}
	return out
}

// After a change to some processes, only they are stepped, in start
// order, each once; a process whose deadline has come joins them.
func TestScheduleStepsTouchedAndDue(t *testing.T) {
	l := newTestLoop(t, 50)
	if got := len(flat(l.takeReady())); got != 50 {
		t.Fatalf("first step visits %d processes, want all 50", got)
	}
	l.nextDue()
	if got := flat(l.takeReady()); len(got) != 0 {
		t.Fatalf("nothing changed, yet %d processes are ready", len(got))
	}
	procs := l.groups[0].procs
	l.touch(procs[30])
	l.touch(procs[3])
	l.touch(procs[30])
	l.setDue(procs[7], l.now.Add(-time.Millisecond))
	l.setDue(procs[9], l.now.Add(time.Hour))
	got := flat(l.takeReady())
	want := []*proc{procs[3], procs[7], procs[30]}
	if len(got) != len(want) {
		t.Fatalf("ready: %d processes, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ready[%d] = %s, want %s", i, got[i].Config.Name, want[i].Config.Name)
		}
	}
	if d := l.nextDue(); !d.Equal(l.now.Add(time.Hour)) {
		t.Errorf("next deadline %v, want in an hour", d)
	}
	// A mood change steps everything again.
	l.requestShutdown(l.mood - 1)
	if got := len(flat(l.takeReady())); got != 50 {
		t.Errorf("after a mood change %d processes are ready, want 50", got)
	}
}

// A removed process is never stepped again, even when it was queued.
func TestScheduleForgetsRemovedGroups(t *testing.T) {
	l := newTestLoop(t, 3)
	l.takeReady()
	l.nextDue()
	p := l.groups[0].procs[1]
	l.touch(p)
	l.setDue(p, l.now.Add(time.Second))
	l.removeGroup("p")
	if got := flat(l.takeReady()); len(got) != 0 {
		t.Errorf("%d processes of a removed group are ready", len(got))
	}
	if d := l.nextDue(); !d.IsZero() {
		t.Errorf("a removed process still has a deadline at %v", d)
	}
}

// The probes and a snapshot refresh only read: the step after them visits
// no process, where a command that may change something visits them all.
func TestReadOnlyCommandsStepNothing(t *testing.T) {
	l := newTestLoop(t, 50)
	l.takeReady()
	l.nextDue()
	s := l.s
	// serve runs the next command the way the loop does and returns how
	// many processes the following step visits.
	serve := func(call func()) int {
		done := make(chan struct{})
		go func() { call(); close(done) }()
		f := <-s.cmds
		f(l)
		l.afterCommand()
		<-done
		return len(flat(l.takeReady()))
	}
	ctx := context.Background()
	if n := serve(func() { s.Healthz(ctx) }); n != 0 {
		t.Errorf("healthz: the next step visits %d processes", n)
	}
	if n := serve(func() { s.Readyz(ctx) }); n != 0 {
		t.Errorf("readyz: the next step visits %d processes", n)
	}
	s.dirty.Store(true)
	if n := serve(func() { s.Rows() }); n != 0 {
		t.Errorf("snapshot refresh: the next step visits %d processes", n)
	}
	if n := serve(func() { s.do(ctx, func(*loop) {}) }); n != 50 {
		t.Errorf("a command: the next step visits %d processes, want all 50", n)
	}
}
