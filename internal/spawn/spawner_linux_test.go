package spawn

import (
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

// tableSize is how many descriptors the thread tid's table holds.
func tableSize(t *testing.T, tid int) int {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/self/task/%d/fd", tid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestSpawnerTableStaysSmall: descriptors the daemon opens do not reach
// the spawner's table, so a fork does not copy them.
func TestSpawnerTableStaysSmall(t *testing.T) {
	sp := theSpawner()
	if sp == nil {
		t.Fatal("no spawner")
	}
	for range 300 {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close()
	}
	if n := tableSize(t, sp.tid); n > 16 {
		t.Errorf("the spawner's table holds %d descriptors with 600 more open in the daemon", n)
	}
	p := startSpawner(t, helperSpec(t, "echo"))
	if got := readAll(t, p.Stdout); got != "to stdout\n" {
		t.Errorf("stdout %q", got)
	}
	if code := p.exitCode(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// TestStartChoosesBySize: Start forks from the daemon's table while it is
// small and through the spawner once it is large; a child of the spawner
// shows it by not having a descriptor the daemon opened without
// close-on-exec.
func TestStartChoosesBySize(t *testing.T) {
	var lim syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	if lim.Cur < spawnerFrom+64 {
		lim.Cur = spawnerFrom + 64
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Skipf("cannot open %d descriptors: %v", spawnerFrom, err)
		}
	}
	marker, err := syscall.Open(os.DevNull, syscall.O_RDONLY, 0) // inherited by a fork from our table
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(marker)
	fromOurTable := func() bool {
		spec := helperSpec(t, "ready-block")
		spec.Stdin = true
		p := start(t, spec)
		waitReady(t, p)
		_, has := openFds(t, p.Pid)[marker]
		p.Stdin.Close()
		p.exitCode()
		return has
	}
	if bigTable() {
		t.Fatal("the table is large before the test fills it")
	}
	if !fromOurTable() {
		t.Error("with a small table the child was not forked from it")
	}
	var held []int
	defer func() {
		for _, fd := range held {
			syscall.Close(fd)
		}
	}()
	for !bigTable() {
		fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, fd)
	}
	if fromOurTable() {
		t.Errorf("with %d descriptors open the child was forked from the daemon's table", len(held))
	}
}

// TestSpawnerKeepsNothingOpen: what the daemon had open when the spawner
// started is closed in the spawner's table, so closing it in the daemon
// closes it (here: the reader of a pipe sees the end of it).
func TestSpawnerKeepsNothingOpen(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sp, err := newSpawner()
	if err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	w.Close()
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := r.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("read after the last writer closed: %d, %v; the spawner holds a writer", n, err)
	}
	// And it forks.
	c, err := sp.start(helperSpec(t, "echo").Path, helperSpec(t, "echo"))
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{Child: c, t: t}
	if got := readAll(t, p.Stdout); got != "to stdout\n" {
		t.Errorf("stdout %q", got)
	}
	p.Stdout.Close()
	p.Stderr.Close()
	if code := p.exitCode(); code != 0 {
		t.Errorf("exit %d", code)
	}
}

// TestSpawnerPdeathsig: the parent-death signal is tied to the thread that
// forked, which for the spawner is its own; when that thread ends (only a
// test's spawner ends) the child gets the signal.
func TestSpawnerPdeathsig(t *testing.T) {
	sp, err := newSpawner()
	if err != nil {
		t.Fatal(err)
	}
	spec := helperSpec(t, "ready-block")
	spec.Stdin = true
	spec.Contain.Pdeathsig = syscall.SIGKILL
	c, err := sp.start(spec.Path, spec)
	if err != nil {
		sp.close()
		t.Fatal(err)
	}
	p := &proc{Child: c, t: t}
	t.Cleanup(func() { c.Stdin.Close(); c.Stdout.Close(); c.Stderr.Close() })
	waitReady(t, p)
	sp.close()
	if ws := p.wait(); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Errorf("after the spawner's thread ended the child ended with %v", ws)
	}
}
