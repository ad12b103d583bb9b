package cgroup

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// openFDs counts this process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// An OOM kill of a program's child, with the program itself still
// running, is reported for the right group; on a v1 memory controller
// the groups share eventfds, their removals do not have the groups read,
// and a removal that fails leaves the group reported.
func TestOOMOfAChildIsReportedForItsGroup(t *testing.T) {
	parent := testParent(t)
	m := openOrSkip(t, Options{Parent: parent, Name: "d3"})
	if !m.have.Memory {
		t.Skip("no memory controller")
	}
	v1 := m.hybrid
	defer func(n int) { oomShardSize = n }(oomShardSize)
	oomShardSize = 8

	var others []*Group
	before := 0
	for i := range 20 {
		if i == 1 {
			// The first group made the first eventfd (and the poller
			// its epoll instance); the others take one per eight.
			before = openFDs(t)
		}
		g, err := m.Group(GroupName("other", "o_"+string(rune('a'+i))), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, g)
	}
	if grew, want := openFDs(t)-before, 0; v1 {
		want = 2
		if grew != want {
			t.Errorf("19 more groups took %d descriptors, want %d (an eventfd per 8 groups)", grew, want)
		}
	} else if grew != want {
		t.Errorf("19 more groups took %d descriptors, want none", grew)
	}

	g, err := m.Group(GroupName("hog", "hog"), Limits{MemoryBytes: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	gate := filepath.Join(t.TempDir(), "go")
	// The shell waits for the gate, starts a child that outgrows the
	// limit, and lives on (as sleep, which is tiny and already running
	// when the child reaches the limit, so it is not the victim).
	startIn(t, g, "/bin/sh", "-c", `while [ ! -e `+gate+` ]; do sleep 0.02; done
python3 -c "b = bytearray(200 << 20); b[::4096] = b'x' * len(range(0, len(b), 4096))" &
exec sleep 1000`)

	for _, o := range others {
		if err := o.Remove(); err != nil {
			t.Fatal(err)
		}
	}
	if v1 {
		// The kernel signals each removal; wait until all 20 are read
		// (the positive signal), then no group may have been read.
		deadline := time.Now().Add(5 * time.Second)
		for {
			m.oom.mu.Lock()
			left := uint64(0)
			for _, sh := range m.oom.shards {
				left += sh.removed
			}
			m.oom.mu.Unlock()
			if left == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d removal signals never came", left)
			}
			time.Sleep(5 * time.Millisecond)
		}
		if n := m.oom.scans.Load(); n != 0 {
			t.Errorf("removing 20 groups read every group %d times", n)
		}
		// A group that cannot be removed (its processes are in it) is
		// still reported.
		if err := g.Remove(); err == nil {
			t.Fatal("Remove of a populated group succeeded")
		}
		m.oom.mu.Lock()
		_, still := m.oom.of[g]
		m.oom.mu.Unlock()
		if !still {
			t.Fatal("a group that is still there is no longer resolved")
		}
	}

	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev := <-m.Events():
			if ev.Group != g || ev.Kind != OOM {
				continue
			}
		case <-timeout:
			t.Fatalf("no OOM event (oom_kill now %d)", g.OOMKills())
		}
		break
	}
	if n := g.OOMKills(); n < 1 {
		t.Errorf("OOM event but oom_kill = %d", n)
	}
	if p, err := g.Populated(); err != nil || !p {
		t.Errorf("the program should still run after its child was killed: populated %v, %v", p, err)
	}
	if v1 && m.oom.scans.Load() < 1 {
		t.Error("an OOM event without reading the groups")
	}
}
