package supervisor

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"supervisord/internal/cgroup"
	"supervisord/internal/process"
)

// sweepGroups makes n real, empty cgroups under a parent of the test's
// own, removed when it ends, and a Supervisor whose snapshot holds them.
func sweepGroups(t *testing.T, n int) (*Supervisor, []*cgroup.Group) {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	parent := "/supervisord-test-" + hex.EncodeToString(b)
	t.Cleanup(func() { cgroup.RemoveAll(parent) })
	m, err := cgroup.Open(cgroup.Options{Parent: parent, Name: "d"})
	if err != nil {
		if os.Getuid() == 0 {
			t.Fatalf("cgroup.Open as root: %v", err)
		}
		t.Skipf("cgroups cannot be created here: %v", err)
	}
	t.Cleanup(m.Close)
	var gs []*cgroup.Group
	for i := range n {
		g, err := m.Group(cgroup.GroupName("g", string(rune('a'+i))), cgroup.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Remove() })
		gs = append(gs, g)
	}
	s := &Supervisor{}
	s.snap.Store(&snapshot{cgroups: [][]*cgroup.Group{gs}})
	return s, gs
}

// TestUsageSweep: a reply about every process reads each group once per
// sweep; it waits for a sweep only when the readings are not recent, and
// then no longer than sweepWait; and no new sweep starts while the last
// one is recent.
func TestUsageSweep(t *testing.T) {
	s, gs := sweepGroups(t, 3)
	for _, g := range gs {
		if _, ok := g.CachedUsage(); ok {
			t.Fatal("a group has a reading before any sweep")
		}
	}
	s.RefreshUsage()
	for i, g := range gs {
		if _, ok := g.CachedUsage(); !ok {
			t.Errorf("group %d not read by a quick sweep", i)
		}
	}
	info := process.Info{}
	fillCachedUsage(&info, gs[0])
	if !info.Usage.Measured {
		t.Error("a row after the sweep has no usage")
	}
	s.RefreshUsage()
	if s.sweep.sweeps != 1 {
		t.Errorf("%d sweeps for two replies within the readings' TTL, want 1", s.sweep.sweeps)
	}

	// Readings taken less than sweepRecent ago: a new sweep starts, the
	// reply does not wait for it.
	release, d := blockedSweep(t, s, time.Now(), time.Minute) // a wait would show, however slow the machine
	if d >= 30*time.Second {
		t.Errorf("a reply with recent readings waited %v for a sweep", d)
	}
	release()

	// A slow sweep without recent readings: the reply returns after
	// sweepWait, the sweep ends later, and the next reply waits for no
	// new one.
	release, d = blockedSweep(t, s, time.Now().Add(-time.Hour), 0)
	if d < sweepWait {
		t.Errorf("the reply waited %v for a blocked sweep, want sweepWait (%v)", d, sweepWait)
	}
	// A reply that comes once the sweep has run longer than the wait
	// bound does not wait again, however long the bound (a minute: a
	// wait would show, however slow the machine).
	s.sweep.mu.Lock()
	began := s.sweep.began
	s.sweep.wait, s.sweep.began = time.Minute, time.Now().Add(-2*time.Minute)
	s.sweep.mu.Unlock()
	t0 := time.Now()
	s.RefreshUsage()
	if d := time.Since(t0); d >= 30*time.Second {
		t.Errorf("a reply during a long sweep waited %v again", d)
	}
	s.sweep.mu.Lock()
	s.sweep.wait, s.sweep.began = 0, began
	s.sweep.mu.Unlock()
	release()
	sweeps, took := s.UsageSweeps()
	if took < sweepWait || sweeps != 3 {
		t.Errorf("the slow sweep took %v (%d sweeps)", took, sweeps)
	}
	s.RefreshUsage()
	if s.sweep.sweeps != 3 {
		t.Error("a sweep began right after one that took long")
	}
}

// blockedSweep makes the next reply start a sweep that blocks before its
// first reading, with the last sweep ended at ended and the reply's wait
// bound set to wait (0: sweepWait). It returns how long the reply took
// and a function that lets the sweep go and waits for its end.
func blockedSweep(t *testing.T, s *Supervisor, ended time.Time, wait time.Duration) (release func(), took time.Duration) {
	t.Helper()
	gate := make(chan struct{})
	s.sweep.mu.Lock()
	s.sweep.began = time.Now().Add(-time.Hour)
	s.sweep.ended = ended
	s.sweep.wait = wait
	s.sweep.read = func(g *cgroup.Group) {
		<-gate
		g.Usage()
	}
	s.sweep.mu.Unlock()
	t0 := time.Now()
	s.RefreshUsage()
	took = time.Since(t0)
	s.sweep.mu.Lock()
	done := s.sweep.running
	s.sweep.mu.Unlock()
	if done == nil {
		t.Fatal("no sweep running after a reply past the readings' TTL")
	}
	return func() { close(gate); <-done }, took
}
