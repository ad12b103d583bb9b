package logfile

import (
	"bytes"
	"io"
	"sync"
	"testing"
	"time"
)

// gatedWriter accepts one write per token on its gate, so the ring fills,
// wraps and grows while data is in flight.
type gatedWriter struct {
	mu   sync.Mutex
	got  bytes.Buffer
	gate chan struct{}
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	<-g.gate
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.got.Write(p)
}

// TestAsyncWriterGrowsByNeed: an AsyncWriter holds no buffer until it is
// written to, grows its ring as data queues up (keeping every queued byte
// in order when the queue wraps around the ring's end while the
// destination is still writing part of it), and lets a big ring go once
// the queue empties.
func TestAsyncWriterGrowsByNeed(t *testing.T) {
	g := &gatedWriter{gate: make(chan struct{}, 16)}
	a := NewAsyncWriter("test", g, AsyncOptions{Size: 256 << 10, Stall: -1})
	defer a.Close()
	if held := a.held(); held != 0 {
		t.Fatalf("unused writer holds %d bytes", held)
	}
	var want bytes.Buffer
	write := func(n int, c byte) {
		p := bytes.Repeat([]byte{c}, n)
		if !a.TryWrite(p) {
			t.Fatalf("%d bytes of %q dropped", n, c)
		}
		want.Write(p)
	}
	flushed := func() {
		if !a.Flush(10 * time.Second) {
			t.Fatal("queue did not empty")
		}
	}
	write(3000, 'a') // the destination takes it in one write, held at the gate
	g.gate <- struct{}{}
	flushed() // the ring's head is now 3000 bytes in
	write(2000, 'b')
	if held := a.held(); held != minAsyncBuf {
		t.Fatalf("ring of %d bytes, want %d", held, minAsyncBuf)
	}
	// 'b' wraps around the ring's end, and the destination holds its
	// first part at the gate while 'c' makes the ring grow.
	write(5000, 'c')
	if held := a.held(); held != 2*minAsyncBuf {
		t.Fatalf("ring of %d bytes after growing, want %d", held, 2*minAsyncBuf)
	}
	for i := range 100 { // past idleBuf
		write(1500, byte('d'+i%20))
	}
	if held := a.held(); held <= idleBuf {
		t.Fatalf("ring of %d bytes with %d queued", held, want.Len())
	}
	close(g.gate) // the destination takes everything now
	flushed()
	g.mu.Lock()
	got := g.got.String()
	g.mu.Unlock()
	if got != want.String() {
		t.Fatalf("destination got %d bytes, want %d (first difference at %d)", len(got), want.Len(), firstDiff(got, want.String()))
	}
	if held := a.held(); held != 0 {
		t.Fatalf("emptied writer still holds a ring of %d bytes", held)
	}
	// A write larger than the whole size is dropped, not queued.
	if a.TryWrite(make([]byte, 256<<10+1)) {
		t.Fatal("oversized write queued")
	}
	io.WriteString(a, "after\n")
	flushed()
}

// held is the size of the ring the writer holds now.
func (a *AsyncWriter) held() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.buf)
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
