package cgroup

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"supervisord/internal/fdpoll"
)

// Where the memory controller is v1, the kernel reports an OOM only by
// signalling eventfds registered with a group's memory.oom_control through
// its cgroup.event_control (the kernel's cgroup-v1 memory documentation,
// "OOM Control"); inotify sees nothing. Any number of groups may signal
// the same eventfd, so the daemon registers every group with one: an
// eventfd per group was a descriptor per program on top of its stdin
// pipe, and it held a daemon at half the programs its descriptor limit
// allows (9,872 of 10,000 under a hard limit of 20,000).
//
// A signal does not say which group it came from, so it is resolved by
// reading every registered group's oom_kill counter and reporting those
// that grew. That is a read per program, once per OOM: rare, and far
// cheaper than the kill itself. The kernel also signals a registration
// when its group goes away (the memory controller's offline work notifies
// each eventfd before dropping it); those signals are counted as the
// daemon removes its groups and absorbed, so a shutdown of thousands of
// groups does not read the rest thousands of times over.
type oomV1 struct {
	m *Manager

	mu      sync.Mutex
	fd      int               // the shared eventfd; -1 until the first group
	h       *fdpoll.Handle    // nil when read by a goroutine instead
	file    *os.File          // that goroutine's handle on fd
	groups  map[*Group]uint64 // registered groups and the oom_kill count last reported
	removed uint64            // removals whose signal has not been read yet
	closed  bool

	scans atomic.Int64 // how many times every group was read (for tests)
}

func newOOMV1(m *Manager) *oomV1 { return &oomV1{m: m, fd: -1, groups: map[*Group]uint64{}} }

// register has the kernel signal the shared eventfd when g's memory
// cgroup (dir) runs out of memory.
func (o *oomV1) register(g *Group, dir string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return fmt.Errorf("cgroup: manager closed")
	}
	if o.fd < 0 {
		if err := o.open(); err != nil {
			return err
		}
	}
	ctl, err := unix.Open(filepath.Join(dir, "memory.oom_control"), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return &os.PathError{Op: "open", Path: filepath.Join(dir, "memory.oom_control"), Err: err}
	}
	// The kernel keeps its own reference to the file it watches: the
	// descriptor is needed only for the write.
	defer unix.Close(ctl)
	line := strconv.Itoa(o.fd) + " " + strconv.Itoa(ctl)
	if err := writeRaw(filepath.Join(dir, "cgroup.event_control"), []byte(line)); err != nil {
		return err
	}
	o.groups[g] = 0
	return nil
}

// open makes the eventfd and starts waiting on it; o.mu is held.
func (o *oomV1) open() error {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return fmt.Errorf("cgroup: eventfd: %w", err)
	}
	o.fd = fd
	if h, err := fdpoll.Register(fd, o.ready); err == nil {
		o.h = h
		return nil
	}
	o.file = os.NewFile(uintptr(fd), "cgroup oom")
	go o.readLoop(o.file)
	return nil
}

// ready is the poller's callback: the eventfd has been signalled.
func (o *oomV1) ready() {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	var b [8]byte
	n, _ := unix.Read(o.fd, b[:])
	o.mu.Unlock()
	if n == len(b) {
		o.signalled(binary.NativeEndian.Uint64(b[:]))
	}
	// Rearmed after the scan: signals meanwhile add up in the counter and
	// make the descriptor ready again, so scans never overlap.
	o.mu.Lock()
	if !o.closed {
		o.h.Rearm()
	}
	o.mu.Unlock()
}

// readLoop waits on the eventfd where the shared poller is not available.
func (o *oomV1) readLoop(f *os.File) {
	var b [8]byte
	for {
		n, err := f.Read(b[:])
		if err != nil {
			return
		}
		if n == len(b) {
			o.signalled(binary.NativeEndian.Uint64(b[:]))
		}
	}
}

// signalled takes n signals: the removals' are absorbed, and any other
// has every group read.
func (o *oomV1) signalled(n uint64) {
	o.mu.Lock()
	absorbed := min(n, o.removed)
	o.removed -= absorbed
	o.mu.Unlock()
	if n > absorbed {
		o.scan()
	}
}

// rescans is when, after a signal, the groups are read. The kernel
// signals as a group enters its OOM handling, before the killer has
// chosen and counted a victim (its report to the kernel log alone can
// take milliseconds), and under_oom, which could say that the handling is
// still going on, is seen clear before the kill is counted; nor does the
// signal say which group it is about. So every group is read again over
// a couple of seconds. Signals meanwhile add up in the eventfd and start
// another round after this one.
var rescans = []time.Duration{0, 20 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second}

// scan reads every registered group's oom_kill counter at each of
// rescans and sends an OOM event for each group whose counter grew.
func (o *oomV1) scan() {
	o.scans.Add(1)
	start := time.Now()
	for _, at := range rescans {
		if d := time.Until(start.Add(at)); d > 0 {
			time.Sleep(d)
		}
		o.mu.Lock()
		if o.closed {
			o.mu.Unlock()
			return
		}
		groups := make([]*Group, 0, len(o.groups))
		for g := range o.groups {
			groups = append(groups, g)
		}
		o.mu.Unlock()
		for _, g := range groups {
			kills := g.OOMKills()
			o.mu.Lock()
			last, ok := o.groups[g]
			grew := ok && kills > last
			if grew {
				o.groups[g] = kills
			}
			o.mu.Unlock()
			if grew {
				o.m.send(Event{Group: g, Kind: OOM})
			}
		}
	}
}

// removing is called just before g's directories are removed: g is no
// longer resolved, and one signal (the removal's) is expected. It is
// counted before the rmdir because the kernel may signal before rmdir
// returns. It reports whether g was registered, and the count last seen.
func (o *oomV1) removing(g *Group) (last uint64, registered bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	last, registered = o.groups[g]
	if registered {
		delete(o.groups, g)
		o.removed++
	}
	return last, registered
}

// notRemoved undoes removing when g's memory cgroup is still there: g is
// resolved again, and the signal expected for it is no longer. When that
// signal's place has already been taken by another (an OOM absorbed in
// its name), the groups are read to make up for it.
func (o *oomV1) notRemoved(g *Group, last uint64) {
	o.mu.Lock()
	o.groups[g] = last
	absorbedOther := o.removed == 0
	if !absorbedOther {
		o.removed--
	}
	o.mu.Unlock()
	if absorbedOther {
		o.scan()
	}
}

// close stops waiting and closes the eventfd; the kernel drops each
// registration when its group goes.
func (o *oomV1) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	o.closed = true
	switch {
	case o.h != nil:
		o.h.Remove()
		unix.Close(o.fd)
	case o.file != nil:
		o.file.Close()
	}
}
