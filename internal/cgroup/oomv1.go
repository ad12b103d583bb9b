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
// the same eventfd, so groups share them, oomShardSize to an eventfd: an
// eventfd per group was a descriptor per program on top of its stdin
// pipe, and it held a daemon at half the programs its descriptor limit
// allows (9,872 of 10,000 under a hard limit of 20,000). Not one for all:
// the kernel's registration puts a waiter on the eventfd's queue for each
// group, and every signal of that eventfd walks the queue, so removing N
// groups that share one would cost the kernel N²/2 steps.
//
// A signal does not say which group it came from, so it is resolved by
// reading the oom_kill counter of every group of that eventfd and
// reporting those that grew: a few hundred reads, once per OOM. The kernel
// also signals a registration when its group goes away (the memory
// controller's offline work notifies each eventfd before dropping it);
// those signals are counted as the daemon removes its groups and absorbed,
// so a shutdown does not read the groups over and over.
type oomV1 struct {
	m *Manager

	mu     sync.Mutex // guards the fields below and the shards'
	shards []*oomShard
	of     map[*Group]*oomShard
	closed bool

	scans atomic.Int64 // how many times a shard's groups were read (for tests)
}

// oomShardSize is how many groups share an eventfd.
var oomShardSize = 256

// oomShard is one eventfd and the groups registered with it.
type oomShard struct {
	o       *oomV1
	fd      int
	h       *fdpoll.Handle    // nil when read by a goroutine instead
	file    *os.File          // that goroutine's handle on fd
	groups  map[*Group]uint64 // the oom_kill count last reported, by group
	removed uint64            // removals whose signal has not been read yet
}

func newOOMV1(m *Manager) *oomV1 { return &oomV1{m: m, of: map[*Group]*oomShard{}} }

// register has the kernel signal an eventfd when g's memory cgroup (dir)
// runs out of memory.
func (o *oomV1) register(g *Group, dir string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return fmt.Errorf("cgroup: manager closed")
	}
	var sh *oomShard
	for _, s := range o.shards {
		if len(s.groups) < oomShardSize {
			sh = s
			break
		}
	}
	if sh == nil {
		var err error
		if sh, err = o.newShard(); err != nil {
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
	line := strconv.Itoa(sh.fd) + " " + strconv.Itoa(ctl)
	if err := writeRaw(filepath.Join(dir, "cgroup.event_control"), []byte(line)); err != nil {
		return err
	}
	sh.groups[g] = 0
	o.of[g] = sh
	return nil
}

// newShard makes an eventfd and starts waiting on it; o.mu is held.
func (o *oomV1) newShard() (*oomShard, error) {
	fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("cgroup: eventfd: %w", err)
	}
	sh := &oomShard{o: o, fd: fd, groups: map[*Group]uint64{}}
	if h, err := fdpoll.Register(fd, sh.ready); err == nil {
		sh.h = h
	} else {
		sh.file = os.NewFile(uintptr(fd), "cgroup oom")
		go sh.readLoop(sh.file)
	}
	o.shards = append(o.shards, sh)
	return sh, nil
}

// ready is the poller's callback: the eventfd has been signalled.
func (sh *oomShard) ready() {
	o := sh.o
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return
	}
	var b [8]byte
	n, _ := unix.Read(sh.fd, b[:])
	o.mu.Unlock()
	if n == len(b) {
		sh.signalled(binary.NativeEndian.Uint64(b[:]))
	}
	// Rearmed after the scan: signals meanwhile add up in the counter and
	// make the descriptor ready again, so scans of a shard never overlap.
	o.mu.Lock()
	if !o.closed {
		sh.h.Rearm()
	}
	o.mu.Unlock()
}

// readLoop waits on the eventfd where the shared poller is not available.
func (sh *oomShard) readLoop(f *os.File) {
	var b [8]byte
	for {
		n, err := f.Read(b[:])
		if err != nil {
			return
		}
		if n == len(b) {
			sh.signalled(binary.NativeEndian.Uint64(b[:]))
		}
	}
}

// signalled takes n signals: the removals' are absorbed, and any other
// has the shard's groups read.
func (sh *oomShard) signalled(n uint64) {
	o := sh.o
	o.mu.Lock()
	absorbed := min(n, sh.removed)
	sh.removed -= absorbed
	o.mu.Unlock()
	if n > absorbed {
		sh.scan()
	}
}

// rescans is when, after a signal, the groups are read. The kernel
// signals as a group enters its OOM handling, before the killer has
// chosen and counted a victim (its report to the kernel log alone can
// take milliseconds), and under_oom, which could say that the handling is
// still going on, is seen clear before the kill is counted. So the groups
// are read again over a couple of seconds. Signals meanwhile add up in
// the eventfd and start another round after this one.
var rescans = []time.Duration{0, 20 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, 2 * time.Second}

// scan reads the oom_kill counter of each of the shard's groups at each
// of rescans and sends an OOM event for each group whose counter grew.
func (sh *oomShard) scan() {
	o := sh.o
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
		groups := make([]*Group, 0, len(sh.groups))
		for g := range sh.groups {
			groups = append(groups, g)
		}
		o.mu.Unlock()
		for _, g := range groups {
			kills := g.OOMKills()
			o.mu.Lock()
			last, ok := sh.groups[g]
			grew := ok && kills > last
			if grew {
				sh.groups[g] = kills
			}
			o.mu.Unlock()
			if grew {
				o.m.send(Event{Group: g, Kind: OOM})
			}
		}
	}
}

// removing is called just before g's directories are removed: g is no
// longer resolved, and one signal (the removal's) is expected on its
// shard. It is counted before the rmdir because the kernel may signal
// before rmdir returns. It returns g's shard (nil when g was not
// registered) and the count last seen, for notRemoved.
func (o *oomV1) removing(g *Group) (*oomShard, uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	sh := o.of[g]
	if sh == nil {
		return nil, 0
	}
	last := sh.groups[g]
	delete(sh.groups, g)
	delete(o.of, g)
	sh.removed++
	return sh, last
}

// notRemoved undoes removing when g's memory cgroup is still there: g is
// resolved again, and the signal expected for it is no longer. When that
// signal's place has already been taken by another (an OOM absorbed in
// its name), the shard's groups are read to make up for it.
func (o *oomV1) notRemoved(g *Group, sh *oomShard, last uint64) {
	o.mu.Lock()
	sh.groups[g] = last
	o.of[g] = sh
	absorbedOther := sh.removed == 0
	if !absorbedOther {
		sh.removed--
	}
	o.mu.Unlock()
	if absorbedOther {
		go sh.scan() // it sleeps between reads; the caller may be the loop
	}
}

// close stops waiting and closes the eventfds; the kernel drops each
// registration when its group goes.
func (o *oomV1) close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return
	}
	o.closed = true
	for _, sh := range o.shards {
		switch {
		case sh.h != nil:
			sh.h.Remove()
			unix.Close(sh.fd)
		case sh.file != nil:
			sh.file.Close()
		}
	}
}
