package supervisor

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a send function that records messages and can be made to
// block or fail.
type recorder struct {
	mu    sync.Mutex // guards msgs, times
	msgs  []string
	times []time.Time
	gate  chan struct{} // when not nil, each send waits for a value
	err   error
	got   chan struct{}
}

func newRecorder() *recorder { return &recorder{got: make(chan struct{}, 1024)} }

func (r *recorder) send(msg string) error {
	if r.gate != nil {
		<-r.gate
	}
	r.mu.Lock()
	r.msgs = append(r.msgs, msg)
	r.times = append(r.times, time.Now())
	r.mu.Unlock()
	r.got <- struct{}{}
	return r.err
}

func (r *recorder) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		if len(r.msgs) >= n {
			out := append([]string(nil), r.msgs...)
			r.mu.Unlock()
			return out
		}
		r.mu.Unlock()
		select {
		case <-r.got:
		case <-deadline:
			t.Fatalf("waited for %d messages, have %q", n, r.msgs)
		}
	}
}

func TestSdNotifierOrderAndCoalescing(t *testing.T) {
	r := newRecorder()
	n := NewSdNotifier(r.send, 0)
	defer n.Close(time.Second)
	n.Notify("READY=1")
	n.Status("a")
	got := r.wait(t, 2)
	if got[0] != "READY=1" || got[1] != "STATUS=a" {
		t.Fatalf("got %q", got)
	}
	// Within the interval: only the latest status goes, when it ends.
	n.Status("b")
	n.Status("c")
	n.Status("d")
	got = r.wait(t, 3)
	if got[2] != "STATUS=d" {
		t.Fatalf("got %q, want the latest status only", got)
	}
	r.mu.Lock()
	gap := r.times[2].Sub(r.times[1])
	r.mu.Unlock()
	if gap < statusInterval-10*time.Millisecond {
		t.Errorf("statuses %v apart, want at least %v", gap, statusInterval)
	}
	// A message behind a held status takes it along, in order.
	n.Status("e")
	n.Notify("STOPPING=1")
	got = r.wait(t, 5)
	if got[3] != "STATUS=e" || got[4] != "STOPPING=1" {
		t.Fatalf("got %q", got)
	}
	// Nothing more goes out: a later status waits for the sender's next
	// turn after the interval, by which anything left over would have
	// gone first.
	n.Status("f")
	got = r.wait(t, 6)
	if got[5] != "STATUS=f" {
		t.Fatalf("extra messages: %q", got)
	}
}

// TestSdNotifierNeverBlocks: a manager that does not read does not stop
// the caller; the queue is bounded and drops are counted.
func TestSdNotifierNeverBlocks(t *testing.T) {
	r := newRecorder()
	r.gate = make(chan struct{})
	n := NewSdNotifier(r.send, 0)
	done := make(chan struct{})
	go func() {
		for i := 0; i < 10*maxQueued; i++ {
			n.Notify("WATCHDOG=1")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Notify blocked on a stuck receiver")
	}
	if n.Dropped() == 0 {
		t.Error("nothing counted as dropped")
	}
	close(r.gate)
	n.Close(time.Second)
}

func TestSdNotifierFailureLoggedOnce(t *testing.T) {
	r := newRecorder()
	r.err = errors.New("connection refused")
	n := NewSdNotifier(r.send, 0)
	var buf bytes.Buffer
	var mu sync.Mutex
	n.SetLogger(slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, nil)))
	for i := 0; i < 5; i++ {
		n.Notify("WATCHDOG=1")
	}
	r.wait(t, 5)
	n.Close(time.Second)
	mu.Lock()
	defer mu.Unlock()
	if c := strings.Count(buf.String(), "cannot notify the service manager"); c != 1 {
		t.Fatalf("logged %d times:\n%s", c, buf.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestStripNotifyEnv(t *testing.T) {
	got := StripNotifyEnv([]string{"A=1", "NOTIFY_SOCKET=/run/x", "WATCHDOG_USEC=5", "WATCHDOG_PID=3", "NOTIFY_SOCKETX=y"})
	if strings.Join(got, " ") != "A=1 NOTIFY_SOCKETX=y" {
		t.Fatalf("got %q", got)
	}
}

func TestNilSdNotifier(t *testing.T) {
	var n *SdNotifier
	n.Notify("READY=1")
	n.Status("x")
	n.SetLogger(nil)
	n.Close(time.Millisecond)
	if n.WatchdogInterval() != 0 || n.Dropped() != 0 {
		t.Fatal("nil notifier reports something")
	}
}
