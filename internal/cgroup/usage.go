package cgroup

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/containerd/cgroups/v3/cgroup1"
	"golang.org/x/sys/unix"
)

// Usage is what a group's whole tree uses.
type Usage struct {
	CPUSeconds      float64
	MemoryBytes     uint64
	MemoryPeakBytes uint64 // 0 where the kernel keeps no peak
	Tasks           int
}

// UsageTTL bounds how often Usage reads the files: readers of the process
// list may ask many times a second.
const UsageTTL = 500 * time.Millisecond

// Usage reads the tree's CPU time, memory and tasks, or returns a reading
// younger than half a second.
func (g *Group) Usage() Usage {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	if r := g.last.Load(); r != nil && now.Sub(r.at) < UsageTTL {
		return r.u
	}
	r := &reading{u: g.readUsage(), at: now}
	g.last.Store(r)
	return r.u
}

// reading is a Usage and when it was read.
type reading struct {
	u  Usage
	at time.Time
}

// Memory reads the tree's memory use now, uncached.
func (g *Group) Memory() uint64 {
	if d := g.v1dirs[cgroup1.Memory]; d != "" {
		return readUint(filepath.Join(d, "memory.usage_in_bytes"))
	}
	return readUint(filepath.Join(g.v2path, "memory.current"))
}

func (g *Group) readUsage() Usage {
	g.usagePaths()
	// One buffer on the stack for every file: cpu.stat, the longest, is a
	// few hundred bytes; a longer read falls back to os.ReadFile.
	var buf [512]byte
	var u Usage
	if b, err := g.read(usageCPU, buf[:]); err == nil {
		u.CPUSeconds = float64(keyValue(b, "usage_usec")) / 1e6
	}
	u.MemoryBytes = g.readUint(usageMemory, buf[:])
	u.MemoryPeakBytes = g.readUint(usagePeak, buf[:])
	if n, err := g.read(usagePids, buf[:]); err == nil {
		v, _ := strconv.Atoi(strings.TrimSpace(string(n)))
		u.Tasks = v
	} else if b, err := os.ReadFile(filepath.Join(g.v2path, "cgroup.threads")); err == nil {
		u.Tasks = strings.Count(string(b), "\n")
	}
	return u
}

// The files a usage reading reads, by slot.
const (
	usageCPU = iota
	usageMemory
	usagePeak
	usagePids
	usageFiles
)

// usagePaths works out the usage files' paths once; g.mu held. A path
// left empty (no memory accounting on a hybrid host without the v1
// memory controller) reads as absent.
func (g *Group) usagePaths() {
	if g.usage.paths[usageCPU] != "" {
		return
	}
	p := &g.usage.paths
	p[usageCPU] = filepath.Join(g.v2path, "cpu.stat")
	if d := g.v1dirs[cgroup1.Memory]; d != "" {
		p[usageMemory] = filepath.Join(d, "memory.usage_in_bytes")
		p[usagePeak] = filepath.Join(d, "memory.max_usage_in_bytes")
	} else if !g.m.hybrid {
		p[usageMemory] = filepath.Join(g.v2path, "memory.current")
		p[usagePeak] = filepath.Join(g.v2path, "memory.peak")
	}
	p[usagePids] = filepath.Join(g.v2path, "pids.current")
	if d := g.v1dirs[cgroup1.Pids]; d != "" {
		p[usagePids] = filepath.Join(d, "pids.current")
	}
}

// usageState is a group's usage files: their paths and the descriptors
// of those kept open; guarded by the group's mu.
type usageState struct {
	paths   [usageFiles]string
	fds     [usageFiles]int // descriptor + 1 of a file kept open, 0 for none
	removed bool
}

// A usage reading keeps its files open: a reading is then one pread per
// file, where opening and closing a cgroup file costs many times the read
// itself (about 40 µs against 2–3 µs on a virtual machine), and a reply
// about a thousand processes reads four thousand of them. They are held as
// bare descriptors: an os.File for each would cost more than the reading
// it keeps. The files held open must never starve the children's pipes,
// so a file is held only while the held ones stay under a quarter of the
// descriptor limit and the descriptor it got lies in the lower half of the
// table (descriptors are handed out lowest first, so a high one means the
// table is filling up); otherwise it is opened per read.
var heldUsageFiles atomic.Int64

// usageFileLimit is the soft descriptor limit, or 0 when unknown, asked
// of the kernel at most once a second: a sweep over thousands of groups
// would otherwise ask before every file it opens.
func usageFileLimit() uint64 {
	now := time.Now().UnixNano()
	if at := fileLimitAt.Load(); at != 0 && now-at < int64(time.Second) {
		return fileLimit.Load()
	}
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) != nil {
		rl.Cur = 0
	}
	fileLimit.Store(rl.Cur)
	fileLimitAt.Store(now)
	return rl.Cur
}

var (
	fileLimit   atomic.Uint64
	fileLimitAt atomic.Int64 // when fileLimit was asked, in Unix nanoseconds
)

func takeUsageFile() bool {
	limit := usageFileLimit()
	if heldUsageFiles.Add(1) > int64(limit/4) {
		heldUsageFiles.Add(-1)
		return false
	}
	return true
}

// read returns the content of one of the group's usage files, in buf when
// it fits; g.mu held. The file stays open while g.mu is held, so its
// descriptor cannot be closed and reused under the read.
func (g *Group) read(slot int, buf []byte) ([]byte, error) {
	us := &g.usage
	path := us.paths[slot]
	if path == "" {
		return nil, os.ErrNotExist
	}
	if fd := us.fds[slot] - 1; fd >= 0 {
		return preadAll(fd, path, buf)
	}
	held := !us.removed && takeUsageFile()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		if held {
			heldUsageFiles.Add(-1)
		}
		return nil, err
	}
	if held && uint64(fd) < usageFileLimit()/2 {
		us.fds[slot] = fd + 1
		return preadAll(fd, path, buf)
	}
	// Not to be kept: the table is filling up, or the group is gone.
	if held {
		heldUsageFiles.Add(-1)
	}
	b, err := preadAll(fd, path, buf)
	unix.Close(fd)
	return b, err
}

// preadAll reads the file open as fd from its start into buf, or the whole
// file by its path when buf is too short.
func preadAll(fd int, path string, buf []byte) ([]byte, error) {
	n, err := unix.Pread(fd, buf, 0)
	if err == nil && n < len(buf) {
		return buf[:n], nil
	}
	return os.ReadFile(path)
}

func (g *Group) readUint(slot int, buf []byte) uint64 {
	b, err := g.read(slot, buf)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64)
	return n
}

// closeUsageFiles closes the files readings hold; g.mu held.
func (g *Group) closeUsageFiles() {
	us := &g.usage
	us.removed = true
	for i, fd := range us.fds {
		if fd > 0 {
			unix.Close(fd - 1)
			us.fds[i] = 0
			heldUsageFiles.Add(-1)
		}
	}
}

// OOMKills is how many processes of the group the OOM killer has killed
// since the group was made.
func (g *Group) OOMKills() uint64 {
	var buf [512]byte
	path := filepath.Join(g.v2path, "memory.events")
	if d := g.v1dirs[cgroup1.Memory]; d != "" {
		path = filepath.Join(d, "memory.oom_control")
	}
	b, _ := readFile(path, buf[:])
	return keyValue(b, "oom_kill")
}

func readUint(path string) uint64 {
	var buf [64]byte
	b, err := readFile(path, buf[:])
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(string(bytes.TrimSpace(b)), 10, 64)
	return n
}

// readFile reads a small cgroup file with three system calls (open, read,
// close), into buf when it fits. os.ReadFile would also stat the file and,
// cgroup files being pollable, add it to the runtime's poller and take it
// out again: seven calls, for each of the two files a stopping process's
// group is read for, a thousand times over in a daemon's shutdown.
func readFile(path string, buf []byte) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	return preadAll(fd, path, buf)
}

// CachedUsage returns the last reading, however old, without reading the
// files or waiting for a reading in progress; ok is false when the group
// was never read.
func (g *Group) CachedUsage() (u Usage, ok bool) {
	if r := g.last.Load(); r != nil {
		return r.u, true
	}
	return Usage{}, false
}
