//go:build linux

package logfile

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStartSharesOnePoller: many pipes captured with Start cost no
// goroutine while they are quiet; each one's data reaches its own log
// intact when it comes, including a big burst from a real child; done is
// called once per pipe when it ends.
func TestStartSharesOnePoller(t *testing.T) {
	dir := t.TempDir()
	const pipes = 200
	type piped struct {
		s    *Stream
		w    *os.File
		path string
		done chan struct{}
	}
	base := runtime.NumGoroutine()
	var ps []piped
	for i := range pipes {
		path := filepath.Join(dir, fmt.Sprintf("p%d.log", i))
		s, err := OpenStream(fileStream(t, path, 0, 0), StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		done := make(chan struct{})
		s.Start(r, 1000+i, func() { close(done) })
		ps = append(ps, piped{s, w, path, done})
	}
	if g := runtime.NumGoroutine() - base; g > pipes/10 {
		t.Fatalf("%d quiet pipes hold %d goroutines", pipes, g)
	}
	// Every pipe writes twice, with a pause the poller sees, and ends.
	for round := range 2 {
		for i, p := range ps {
			fmt.Fprintf(p.w, "pipe %d round %d\n", i, round)
		}
		waitFor(t, "every pipe's round "+strconv.Itoa(round), func() bool {
			for i, p := range ps {
				b, _ := os.ReadFile(p.path)
				if !strings.Contains(string(b), fmt.Sprintf("pipe %d round %d\n", i, round)) {
					return false
				}
			}
			return true
		})
	}
	for _, p := range ps {
		p.w.Close()
	}
	for i, p := range ps {
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			t.Fatalf("pipe %d: no end after its writer closed", i)
		}
		b, _ := os.ReadFile(p.path)
		if want := fmt.Sprintf("pipe %d round 0\npipe %d round 1\n", i, i); string(b) != want {
			t.Fatalf("pipe %d logged %q, want %q", i, b, want)
		}
	}

	// A real child's burst through the poller: every line, in order.
	path := filepath.Join(dir, "burst.log")
	s, err := OpenStream(fileStream(t, path, 0, 0), StreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 50000
	cmd, r := startChild(t, "lines:"+strconv.Itoa(n))
	done := make(chan struct{})
	s.Start(r, cmd.Process.Pid, func() { close(done) })
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	<-done
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != n {
		t.Fatalf("got %d lines, want %d", len(lines), n)
	}
	for i, l := range lines {
		if want := fmt.Sprintf("line %09d %s", i, strings.Repeat("x", i%197)); l != want {
			t.Fatalf("line %d = %.40q, want %.40q", i, l, want)
		}
	}
}

// TestStartExpires: a pipe whose writer stays open (a grandchild holding
// it) ends at the ExpireAt deadline, with what was written before it
// logged and done called.
func TestStartExpires(t *testing.T) {
	dir := t.TempDir()
	for _, busy := range []bool{false, true} {
		path := filepath.Join(dir, fmt.Sprintf("busy-%v.log", busy))
		s, err := OpenStream(fileStream(t, path, 0, 0), StreamOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		done := make(chan struct{})
		c := s.Start(r, 7, func() { close(done) })
		fmt.Fprintln(w, "before")
		waitFor(t, "the first line", func() bool { b, _ := os.ReadFile(path); return string(b) == "before\n" })
		stop := make(chan struct{})
		if busy { // the writer never pauses: expiry must still end it
			go func() {
				for {
					select {
					case <-stop:
						return
					default:
						fmt.Fprintln(w, "more")
					}
				}
			}()
		}
		c.ExpireAt(time.Now().Add(50 * time.Millisecond))
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("busy=%v: capture did not end at its deadline", busy)
		}
		close(stop)
		if _, err := r.Stat(); err == nil {
			t.Errorf("busy=%v: pipe still open after the capture ended", busy)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
