package cgroup

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/internal/spawn"
)

// testParent makes a cgroup parent of the test's own, removed (with
// anything left in it) when the test ends, also on failure. It skips only
// where cgroups cannot be created at all.
func testParent(t *testing.T) string {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	parent := "/supervisord-test-" + hex.EncodeToString(b)
	t.Cleanup(func() { RemoveAll(parent) })
	return parent
}

func openOrSkip(t *testing.T, opts Options) *Manager {
	t.Helper()
	m, err := Open(opts)
	if err != nil {
		if os.Getuid() == 0 {
			t.Fatalf("Open as root: %v", err)
		}
		t.Skipf("cgroups cannot be created here: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

func startIn(t *testing.T, g *Group, argv ...string) int {
	t.Helper()
	return startWith(t, spawn.Start, g, argv...)
}

// startWith starts argv in g with start (spawn.Start or
// spawn.StartFromSpawner).
func startWith(t *testing.T, start func(spawn.Spec) (*spawn.Child, error), g *Group, argv ...string) int {
	t.Helper()
	fd, err := g.OpenFD()
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	c, err := start(spawn.Spec{Argv: argv, Env: []string{"PATH=/usr/bin:/bin"}, Umask: -1, Setpgid: true,
		Contain: spawn.Containment{UseCgroupFD: true, CgroupFD: fd, JoinThread: g.JoinV1()}})
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout.Close()
	if c.Stderr != nil {
		c.Stderr.Close()
	}
	go func() {
		var ws syscall.WaitStatus
		syscall.Wait4(c.Pid, &ws, 0, nil)
	}()
	return c.Pid
}

func inCgroup(pid int, hierarchy string) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	for _, line := range strings.Split(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) == 3 && (parts[1] == hierarchy) {
			return parts[2]
		}
	}
	return ""
}

// TestGroupHoldsTreeAndKillsIt, with the child forked from the daemon's
// table and by the spawner (which gets the cgroup's descriptor over its
// socket and joins the v1 controllers on its own thread).
func TestGroupHoldsTreeAndKillsIt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(spawn.Spec) (*spawn.Child, error)
	}{{"web", spawn.Start}, {"spawned", spawn.StartFromSpawner}} {
		t.Run(tc.name, func(t *testing.T) { groupHoldsTreeAndKillsIt(t, tc.name, tc.start) })
	}
}

func groupHoldsTreeAndKillsIt(t *testing.T, name string, start func(spawn.Spec) (*spawn.Child, error)) {
	parent := testParent(t)
	m := openOrSkip(t, Options{Parent: parent, Name: "d1"})
	g, err := m.Group(GroupName(name, name), Limits{MemoryBytes: 64 << 20, Pids: 50})
	if err != nil {
		t.Fatal(err)
	}
	pid := startWith(t, start, g, "/bin/sh", "-c", "setsid sleep 1000 & exec sleep 1000")
	want := filepath.Join(parent, "d1", name+":"+name)
	if got := inCgroup(pid, ""); got != want {
		t.Errorf("v2 cgroup of child = %q, want %q", got, want)
	}
	if m.hybrid {
		for _, h := range []string{"memory", "pids"} {
			if got := inCgroup(pid, h); got != want {
				t.Errorf("%s cgroup of child = %q, want %q", h, got, want)
			}
		}
	}
	waitProcs(t, g, 2) // both sleeps are counted
	if u := g.Usage(); u.Tasks != 2 || u.MemoryBytes == 0 {
		t.Errorf("usage = %+v", u)
	}
	if p, err := g.Populated(); err != nil || !p {
		t.Fatalf("populated = %v, %v", p, err)
	}
	if err := g.Kill(); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-m.Events():
			if ev.Group != g || ev.Kind != Populated {
				continue
			}
			if p, _ := g.Populated(); p {
				continue
			}
		case <-timeout:
			t.Fatal("no populated 0 event")
		}
		break
	}
	if err := g.Remove(); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if _, err := os.Stat(g.Path()); !os.IsNotExist(err) {
		t.Errorf("cgroup still there: %v", err)
	}
}

func TestSweepKillsLeftovers(t *testing.T) {
	parent := testParent(t)
	m := openOrSkip(t, Options{Parent: parent, Name: "d2"})
	g, err := m.Group(GroupName("a", "a_0"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	startIn(t, g, "/bin/sh", "-c", "sleep 1000 & exec sleep 1000")
	waitProcs(t, g, 2)
	m.Close() // as if the daemon died: the group stays with its processes
	m2 := openOrSkip(t, Options{Parent: parent, Name: "d2"})
	left := m2.Sweep(5 * time.Second)
	if len(left) != 1 || left[0].Name != "a:a_0" || left[0].Procs != 2 || left[0].Err != nil {
		t.Fatalf("sweep = %+v", left)
	}
	if _, err := os.Stat(g.Path()); !os.IsNotExist(err) {
		t.Errorf("leftover cgroup still there: %v", err)
	}
}

func waitProcs(t *testing.T, g *Group, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		procs, _ := g.Procs()
		if len(procs) == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("procs = %v, want %d", procs, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestKeyValue(t *testing.T) {
	b := []byte("populated 1\nfrozen 0\n")
	if keyValue(b, "populated") != 1 || keyValue(b, "frozen") != 0 || keyValue(b, "absent") != 0 {
		t.Error("cgroup.events misread")
	}
	oom := []byte("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
	if keyValue(oom, "oom_kill") != 3 {
		t.Error("memory.oom_control misread")
	}
}

// FuzzKeyValue: no content of a cgroup file makes the reader panic.
func FuzzKeyValue(f *testing.F) {
	f.Add([]byte("populated 1\nfrozen 0\n"), "populated")
	f.Add([]byte("usage_usec 12\nuser_usec 5"), "usage_usec")
	f.Add([]byte("oom_kill 18446744073709551616\n"), "oom_kill")
	f.Fuzz(func(t *testing.T, b []byte, key string) {
		keyValue(b, key)
	})
}

// TestUsageReadsFollowTheGroup: readings through the files a group keeps
// open see every change (tasks coming and going, memory growing), and
// Remove lets the files go.
func TestUsageReadsFollowTheGroup(t *testing.T) {
	parent := testParent(t)
	m := openOrSkip(t, Options{Parent: parent, Name: "d1"})
	g, err := m.Group(GroupName("web", "web"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	before := heldUsageFiles.Load()
	fresh := func() Usage { // a reading now, not the cached one
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.readUsage()
	}
	if u := fresh(); u.Tasks != 0 {
		t.Fatalf("empty group: %+v", u)
	}
	if held := heldUsageFiles.Load() - before; held < 2 {
		t.Fatalf("a reading holds %d files open", held)
	}
	// A child that fills 32 MiB and waits, beside another.
	pid := startIn(t, g, "/bin/sh", "-c", `python3 -c 'import time; x = b"a" * (32 << 20); time.sleep(1000)' & exec sleep 1000`)
	deadline := time.Now().Add(10 * time.Second)
	var u Usage
	for u = fresh(); u.Tasks < 2 || u.MemoryBytes < 32<<20; u = fresh() {
		if time.Now().After(deadline) {
			t.Fatalf("reading never showed the child's tasks and memory: %+v", u)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if u.CPUSeconds <= 0 {
		t.Errorf("no CPU time in %+v", u)
	}
	// A group with processes in it stays, in every hierarchy.
	if err := g.Remove(); err == nil {
		t.Fatal("Remove of a group with processes in it succeeded")
	}
	for _, d := range append([]string{g.v2path}, slices.Collect(maps.Values(g.v1dirs))...) {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("after a refused Remove: %v", err)
		}
	}
	syscall.Kill(pid, syscall.SIGKILL)
	g.Kill()
	for u = fresh(); u.Tasks != 0; u = fresh() {
		if time.Now().After(deadline) {
			t.Fatalf("tasks after the kill: %+v", u)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		if p, _ := g.Populated(); !p {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("group still populated")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := g.Remove(); err != nil {
		t.Fatal(err)
	}
	if held := heldUsageFiles.Load() - before; held != 0 {
		t.Errorf("%d usage files still open after Remove", held)
	}
	for _, d := range append([]string{g.v2path}, slices.Collect(maps.Values(g.v1dirs))...) {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s still there after Remove: %v", d, err)
		}
	}
}

// BenchmarkReadUsage is one uncached reading of a group's usage: the cost
// a reply pays per process once the cached reading has expired.
func BenchmarkReadUsage(b *testing.B) {
	parent := "/supervisord-bench-" + strconv.Itoa(os.Getpid())
	b.Cleanup(func() { RemoveAll(parent) })
	m, err := Open(Options{Parent: parent, Name: "d"})
	if err != nil {
		b.Skipf("cgroups cannot be created here: %v", err)
	}
	b.Cleanup(m.Close)
	g, err := m.Group("bench", Limits{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { g.Remove() })
	for b.Loop() {
		g.mu.Lock()
		g.readUsage()
		g.mu.Unlock()
	}
}

// TestUsageFilesLeaveTheTable: with the descriptor table more than half
// full, a reading holds no file open (it reads and closes), so usage
// readings can never take the descriptors spawns need.
func TestUsageFilesLeaveTheTable(t *testing.T) {
	parent := testParent(t)
	m := openOrSkip(t, Options{Parent: parent, Name: "d1"})
	g, err := m.Group(GroupName("web", "web"), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Remove() })
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if rl.Cur > 4096 { // a table of a size the test can fill quickly
		saved := rl
		rl.Cur = 4096
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &saved) })
	}
	// Fill the table to past its half with descriptors of our own.
	var fill []*os.File
	t.Cleanup(func() {
		for _, f := range fill {
			f.Close()
		}
	})
	for uint64(len(fill)) < rl.Cur/2+8 {
		f, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatalf("filling the table: %v (limit %d)", err, rl.Cur)
		}
		fill = append(fill, f)
	}
	before := heldUsageFiles.Load()
	g.mu.Lock()
	u := g.readUsage()
	g.mu.Unlock()
	if held := heldUsageFiles.Load() - before; held != 0 {
		t.Errorf("a reading with the table half full holds %d files", held)
	}
	if u.Tasks != 0 {
		t.Errorf("usage of an empty group: %+v", u)
	}
	for i, fd := range g.usage.fds {
		if fd != 0 {
			t.Errorf("file held: %s", g.usage.paths[i])
		}
	}
}
