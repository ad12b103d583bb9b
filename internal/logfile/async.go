package logfile

import (
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// AsyncWriter puts a bounded buffer between writers and a destination that
// may be slow or stuck, such as the daemon's stdout when it is a pipe
// nobody drains. One goroutine copies the buffer to the destination.
//
// Write waits for room only while the destination is making progress: if
// it has accepted nothing for the stall time, Write drops the data instead
// and counts it. TryWrite never waits. Every Write is buffered whole or
// dropped whole, so lines handed over in one Write are never torn.
type AsyncWriter struct {
	name   string
	dst    io.Writer
	stall  time.Duration
	onDrop func(name string, bytes, writes int64)

	mu       sync.Mutex // guards buf, head, n, closed, progress, lastMove, streak*
	buf      []byte     // ring, grown by need up to size; nil while idle
	size     int        // the most that may be queued
	head     int        // index of the first queued byte
	n        int        // queued bytes
	closed   bool
	progress chan struct{} // closed and replaced whenever the drain frees space
	lastMove time.Time     // when the destination last accepted bytes (or was idle)
	streakB  int64         // drops since the destination last made progress
	streakW  int64

	wake chan struct{} // cap 1: data queued
	done chan struct{} // closed when the drain goroutine exits

	written       atomic.Int64
	droppedBytes  atomic.Int64
	droppedWrites atomic.Int64
	writeErrors   atomic.Int64
}

// AsyncOptions tune an AsyncWriter. Zero values pick the defaults.
type AsyncOptions struct {
	// Size is the buffer size in bytes (default 1 MiB).
	Size int
	// Stall is how long Write waits for a destination that accepts nothing
	// before dropping (default 1s). A negative value never waits.
	Stall time.Duration
	// OnDrop, if set, is called from the drain goroutine when the
	// destination recovers after drops, with the name and what was lost
	// in that episode. It must not write to this AsyncWriter's destination
	// synchronously.
	OnDrop func(name string, bytes, writes int64)
}

// NewAsyncWriter starts a drain goroutine copying to dst. name identifies
// the destination in drop reports. Close stops it.
func NewAsyncWriter(name string, dst io.Writer, o AsyncOptions) *AsyncWriter {
	if o.Size <= 0 {
		o.Size = 1 << 20
	}
	if o.Stall == 0 {
		o.Stall = time.Second
	}
	a := &AsyncWriter{
		name:     name,
		dst:      dst,
		stall:    o.Stall,
		onDrop:   o.OnDrop,
		size:     o.Size,
		progress: make(chan struct{}),
		lastMove: time.Now(),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	go a.drain()
	return a
}

// Write queues p, waiting for room while the destination makes progress.
// It always reports len(p), nil: a destination's trouble is the writer's
// to count, not the caller's.
func (a *AsyncWriter) Write(p []byte) (int, error) {
	a.write(p, a.stall > 0)
	return len(p), nil
}

// TryWrite queues p if there is room now and reports whether it did.
func (a *AsyncWriter) TryWrite(p []byte) bool { return a.write(p, false) }

func (a *AsyncWriter) write(p []byte, wait bool) bool {
	if len(p) == 0 {
		return true
	}
	a.mu.Lock()
	for {
		if a.closed || len(p) > a.size {
			break
		}
		if a.size-a.n >= len(p) {
			a.enqueue(p)
			a.mu.Unlock()
			select {
			case a.wake <- struct{}{}:
			default:
			}
			return true
		}
		if !wait {
			break
		}
		left := a.stall - time.Since(a.lastMove)
		if left <= 0 {
			break
		}
		ch := a.progress
		a.mu.Unlock()
		t := time.NewTimer(left)
		select {
		case <-ch:
		case <-t.C:
		}
		t.Stop()
		a.mu.Lock()
	}
	a.streakB += int64(len(p))
	a.streakW++
	a.mu.Unlock()
	a.droppedBytes.Add(int64(len(p)))
	a.droppedWrites.Add(1)
	return false
}

// enqueue copies p into the ring, growing it if need be; a.mu held and
// room within size checked.
func (a *AsyncWriter) enqueue(p []byte) {
	if len(a.buf)-a.n < len(p) {
		a.grow(a.n + len(p))
	}
	tail := (a.head + a.n) % len(a.buf)
	c := copy(a.buf[tail:], p)
	copy(a.buf, p[c:])
	a.n += len(p)
}

// minAsyncBuf is the smallest ring an AsyncWriter allocates.
const minAsyncBuf = 4 << 10

// grow makes the ring hold at least need bytes (need ≤ size): it doubles,
// at least to minAsyncBuf and at most to size, and lays the queued bytes
// out from the start. An AsyncWriter that is never written to (the
// daemon's stdout when no program logs there) holds no buffer at all.
func (a *AsyncWriter) grow(need int) {
	n := max(2*len(a.buf), minAsyncBuf, need)
	n = min(n, a.size)
	nb := make([]byte, n)
	if a.n > 0 {
		end := min(a.head+a.n, len(a.buf))
		c := copy(nb, a.buf[a.head:end])
		copy(nb[c:], a.buf[:a.n-c])
	}
	a.buf, a.head = nb, 0
}

// idleBuf is the largest ring kept once the queue empties; a bigger one,
// grown by a burst, goes back to the collector.
const idleBuf = 64 << 10

func (a *AsyncWriter) drain() {
	defer close(a.done)
	for {
		a.mu.Lock()
		for a.n == 0 {
			if a.closed {
				a.mu.Unlock()
				return
			}
			a.mu.Unlock()
			<-a.wake
			a.mu.Lock()
			// Idle time is not a stall: the clock starts with new data.
			a.lastMove = time.Now()
		}
		end := a.head + a.n
		if end > len(a.buf) {
			end = len(a.buf)
		}
		seg := a.buf[a.head:end]
		a.mu.Unlock()

		n, err := a.dst.Write(seg)
		if err != nil || n < len(seg) {
			// The destination refused; what it did not take is lost.
			a.writeErrors.Add(1)
			if n < len(seg) {
				a.droppedBytes.Add(int64(len(seg) - n))
			}
			n = len(seg)
		}
		a.written.Add(int64(n))

		a.mu.Lock()
		a.head = (a.head + n) % len(a.buf)
		a.n -= n
		if a.n == 0 && len(a.buf) > idleBuf {
			a.buf, a.head = nil, 0
		}
		a.lastMove = time.Now()
		close(a.progress)
		a.progress = make(chan struct{})
		sb, sw := a.streakB, a.streakW
		a.streakB, a.streakW = 0, 0
		a.mu.Unlock()
		if sw > 0 && a.onDrop != nil {
			a.onDrop(a.name, sb, sw)
		}
	}
}

// AsyncStats are an AsyncWriter's counters.
type AsyncStats struct {
	Written       int64 // bytes handed to the destination
	DroppedBytes  int64
	DroppedWrites int64
	WriteErrors   int64 // failed writes to the destination
}

// Stats returns the counters so far.
func (a *AsyncWriter) Stats() AsyncStats {
	return AsyncStats{
		Written:       a.written.Load(),
		DroppedBytes:  a.droppedBytes.Load(),
		DroppedWrites: a.droppedWrites.Load(),
		WriteErrors:   a.writeErrors.Load(),
	}
}

// Flush waits until everything queued has been handed to the destination
// or the timeout passes, and reports whether the buffer emptied.
func (a *AsyncWriter) Flush(timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		if a.n == 0 {
			a.mu.Unlock()
			return true
		}
		ch := a.progress
		a.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// Close stops accepting data and lets the drain goroutine finish what is
// queued. It does not wait for a stuck destination; use Flush first to
// give it a bounded chance.
func (a *AsyncWriter) Close() error {
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	select {
	case a.wake <- struct{}{}:
	default:
	}
	return nil
}
