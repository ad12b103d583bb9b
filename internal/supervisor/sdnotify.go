package supervisor

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"

	"supervisord/internal/process"
)

// The daemon's side of systemd's notification protocol (sd_notify(3)):
// READY=1 once the servers are bound and the autostart programs launched,
// STATUS= with the program counts as they change, RELOADING=1 on a
// reload, STOPPING=1 at shutdown and WATCHDOG=1 at half of WATCHDOG_USEC.
//
// The loop never writes to the socket itself: it queues messages and a
// sender goroutine writes them, so a service manager that does not read
// cannot stall supervision. The watchdog ping is queued by the loop on its
// own tick, so a loop that is stuck stops pinging and systemd notices.

// notifyEnv are the variables the service manager gives the daemon; they
// are the daemon's and are not passed on to its programs.
var notifyEnv = []string{"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}

// StripNotifyEnv returns environ without the service manager's
// notification variables, so a program cannot speak for the daemon.
func StripNotifyEnv(environ []string) []string {
	out := make([]string, 0, len(environ))
next:
	for _, kv := range environ {
		for _, k := range notifyEnv {
			if strings.HasPrefix(kv, k+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// statusInterval is the least time between two STATUS= messages; a
// change within it is sent when it runs out (only the latest counts).
const statusInterval = 500 * time.Millisecond

// maxQueued bounds the messages waiting for the sender; beyond it the
// oldest are dropped and counted.
const maxQueued = 64

// SdNotifier sends the daemon's notifications to the service manager. It
// outlives a restart (HUP), so one daemon process has one notifier. A nil
// *SdNotifier is valid and sends nothing.
type SdNotifier struct {
	send     func(string) error
	watchdog time.Duration // ping interval: half of WATCHDOG_USEC; 0 = off
	log      atomic.Pointer[slog.Logger]
	failed   atomic.Bool // a write failed; logged once
	dropped  atomic.Uint64

	mu         sync.Mutex // guards queue, lastStatus, closed
	queue      []string
	lastStatus time.Time
	closed     bool

	wake chan struct{}
	quit chan struct{}
	done chan struct{}
}

// NewSdNotifierFromEnv returns a notifier for $NOTIFY_SOCKET, or nil when
// the daemon was not started by a service manager that listens. A
// malformed WATCHDOG_USEC is reported and the watchdog left off.
func NewSdNotifierFromEnv() (*SdNotifier, error) {
	if os.Getenv("NOTIFY_SOCKET") == "" {
		return nil, nil
	}
	var werr error
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		werr = fmt.Errorf("watchdog off: %v", err)
		interval = 0
	}
	send := func(msg string) error {
		_, err := daemon.SdNotify(false, msg)
		return err
	}
	return NewSdNotifier(send, interval/2), werr
}

// NewSdNotifier returns a notifier writing each message with send and, when
// watchdog > 0, asking the loop for a WATCHDOG=1 every watchdog.
func NewSdNotifier(send func(string) error, watchdog time.Duration) *SdNotifier {
	n := &SdNotifier{
		send:     send,
		watchdog: watchdog,
		wake:     make(chan struct{}, 1),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	n.log.Store(slog.New(slog.DiscardHandler))
	go n.run()
	return n
}

// WatchdogInterval is how often the loop pings; 0 when there is no
// watchdog.
func (n *SdNotifier) WatchdogInterval() time.Duration {
	if n == nil {
		return 0
	}
	return n.watchdog
}

// SetLogger sets where a failure to write is reported (the current
// generation's main log).
func (n *SdNotifier) SetLogger(l *slog.Logger) {
	if n != nil && l != nil {
		n.log.Store(l)
	}
}

// Dropped counts messages lost because the queue was full.
func (n *SdNotifier) Dropped() uint64 {
	if n == nil {
		return 0
	}
	return n.dropped.Load()
}

// Notify queues msg (e.g. "READY=1") without waiting.
func (n *SdNotifier) Notify(msg string) {
	if n == nil {
		return
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	if len(n.queue) >= maxQueued {
		n.queue = n.queue[1:]
		n.dropped.Add(1)
	}
	n.queue = append(n.queue, msg)
	n.mu.Unlock()
	n.poke()
}

// Status queues "STATUS=text", replacing a status still waiting to go.
func (n *SdNotifier) Status(text string) {
	if n == nil {
		return
	}
	msg := "STATUS=" + text
	n.mu.Lock()
	if k := len(n.queue); k > 0 && strings.HasPrefix(n.queue[k-1], "STATUS=") {
		n.queue[k-1] = msg
		n.mu.Unlock()
		return
	}
	n.mu.Unlock()
	n.Notify(msg)
}

func (n *SdNotifier) poke() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Close sends what is queued, waiting at most timeout, and stops the
// sender.
func (n *SdNotifier) Close(timeout time.Duration) {
	if n == nil {
		return
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.closed = true
	n.mu.Unlock()
	close(n.quit)
	select {
	case <-n.done:
	case <-time.After(timeout):
	}
}

// run is the sender goroutine. It sleeps until a message is queued, and
// arms a timer only while a STATUS waits for its interval.
func (n *SdNotifier) run() {
	defer close(n.done)
	var timer *time.Timer
	var timerC <-chan time.Time
	for {
		quitting := false
		select {
		case <-n.wake:
		case <-timerC:
			timerC = nil
		case <-n.quit:
			quitting = true
		}
		msgs, wait := n.take(time.Now(), quitting)
		for _, m := range msgs {
			n.write(m)
		}
		if quitting {
			return
		}
		if wait > 0 && timerC == nil {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			timerC = timer.C
		}
	}
}

// take removes the messages due now. A STATUS at the end of the queue
// waits for statusInterval since the last one; anything queued behind a
// STATUS takes it along, so the order is kept.
func (n *SdNotifier) take(now time.Time, all bool) ([]string, time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	q := n.queue
	var wait time.Duration
	if k := len(q); k > 0 && !all && strings.HasPrefix(q[k-1], "STATUS=") {
		if due := n.lastStatus.Add(statusInterval); now.Before(due) {
			wait = due.Sub(now)
			q = q[:k-1]
		}
	}
	out := append([]string(nil), q...)
	n.queue = append(n.queue[:0], n.queue[len(q):]...)
	for _, m := range out {
		if strings.HasPrefix(m, "STATUS=") {
			n.lastStatus = now
		}
	}
	return out, wait
}

func (n *SdNotifier) write(msg string) {
	if err := n.send(msg); err != nil && n.failed.CompareAndSwap(false, true) {
		n.log.Load().Warn(fmt.Sprintf("cannot notify the service manager (NOTIFY_SOCKET=%s): %v; further failures are not logged", os.Getenv("NOTIFY_SOCKET"), err))
	}
}

// sdState is what the loop has told the service manager.
type sdState struct {
	ready     bool // READY=1 sent by this generation
	reloading bool // RELOADING=1 sent for a restart
	stopping  bool // STOPPING=1 sent
	status    string
	changes   int // l.changes when status was computed
	counted   bool
	ticker    *time.Ticker
}

// sdStart sets the notifier up for this generation and returns the
// watchdog tick (nil, never ready, when there is no watchdog, so an idle
// daemon does not wake).
func (l *loop) sdStart() <-chan time.Time {
	n := l.s.opts.SdNotify
	if n == nil {
		return nil
	}
	n.SetLogger(l.log)
	if d := n.WatchdogInterval(); d > 0 {
		l.sd.ticker = time.NewTicker(d)
		n.Notify("WATCHDOG=1")
		return l.sd.ticker.C
	}
	return nil
}

func (l *loop) sdStop() {
	if l.sd.ticker != nil {
		l.sd.ticker.Stop()
	}
}

// sdWatchdog is the loop's watchdog tick: the loop is alive.
func (l *loop) sdWatchdog() { l.s.opts.SdNotify.Notify("WATCHDOG=1") }

// sdNotifyStep tells the service manager what changed in this iteration.
// It runs after the step, so the first call comes once the autostart
// programs have been launched.
func (l *loop) sdNotifyStep() {
	n := l.s.opts.SdNotify
	if n == nil {
		return
	}
	if !l.sd.ready && !l.stopping {
		l.sd.ready = true
		n.Notify("READY=1")
	}
	if l.stopping {
		switch {
		case l.mood == process.SupervisorRestarting && !l.sd.reloading:
			l.sd.reloading = true
			n.Notify(reloadingMessage())
		case l.mood == process.SupervisorShutdown && !l.sd.stopping:
			l.sd.stopping = true
			n.Notify("STOPPING=1")
		}
	}
	if l.sd.counted && l.sd.changes == l.changes {
		return
	}
	l.sd.counted, l.sd.changes = true, l.changes
	if s := l.statusLine(); s != l.sd.status {
		l.sd.status = s
		n.Status(s)
	}
}

// sdReloaded reports a reloadConfig: the configuration was read again and
// the daemon is ready with it.
func (l *loop) sdReloaded() {
	n := l.s.opts.SdNotify
	if n == nil {
		return
	}
	n.Notify(reloadingMessage())
	n.Notify("READY=1")
}

// reloadingMessage is RELOADING=1 with the CLOCK_MONOTONIC time systemd
// (253 and later) wants with it to order reloads.
func reloadingMessage() string {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return "RELOADING=1"
	}
	return fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d", ts.Nano()/1000)
}

// statusLine counts the programs by what an operator cares about.
func (l *loop) statusLine() string {
	var total, running, starting, failed int
	for _, g := range l.groups {
		for _, p := range g.procs {
			total++
			switch p.State {
			case process.Running:
				running++
			case process.Starting:
				starting++
			case process.Backoff, process.Fatal, process.Unknown:
				failed++
			}
		}
	}
	prefix := ""
	switch l.mood {
	case process.SupervisorRestarting:
		prefix = "restarting: "
	case process.SupervisorShutdown:
		prefix = "stopping: "
	}
	return fmt.Sprintf("%s%d/%d running, %d starting, %d failed", prefix, running, total, starting, failed)
}
