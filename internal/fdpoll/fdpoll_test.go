//go:build linux

package fdpoll

import (
	"os"
	"runtime"
	"testing"
	"time"
)

// TestOneShot: a registered pipe's callback runs once when it becomes
// readable, not again until Rearm, and never after Remove; and a thousand
// quiet pipes hold no goroutines.
func TestOneShot(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	fd := rawFD(t, r)
	calls := make(chan struct{}, 10)
	h, err := Register(fd, func() { calls <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("x"))
	wait(t, calls)
	// Still readable, but one-shot: nothing until Rearm. The second pipe
	// below, registered and written after, is the positive signal that
	// the poller has looked again in between.
	r2, w2, _ := os.Pipe()
	defer r2.Close()
	defer w2.Close()
	other := make(chan struct{}, 1)
	h2, err := Register(rawFD(t, r2), func() { other <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Remove()
	w2.Write([]byte("y"))
	wait(t, other)
	select {
	case <-calls:
		t.Fatal("callback ran again without Rearm")
	default:
	}
	if err := h.Rearm(); err != nil {
		t.Fatal(err)
	}
	wait(t, calls) // the byte is still there
	h.Remove()
	if err := h.Rearm(); err == nil {
		t.Error("Rearm after Remove succeeded")
	}

	base := runtime.NumGoroutine()
	var hs []*Handle
	for range 1000 {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		defer pw.Close()
		h, err := Register(rawFD(t, pr), func() {})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	if n := runtime.NumGoroutine() - base; n > 10 {
		t.Errorf("1,000 quiet descriptors hold %d goroutines", n)
	}
	for _, h := range hs {
		h.Remove()
	}
}

func rawFD(t *testing.T, f *os.File) int {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	fd := -1
	rc.Control(func(u uintptr) { fd = int(u) })
	return fd
}

func wait(t *testing.T, c <-chan struct{}) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatal("no callback")
	}
}
