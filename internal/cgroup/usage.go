package cgroup

import (
	"io"
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

// usageTTL bounds how often Usage reads the files: readers of the process
// list may ask many times a second.
const usageTTL = 500 * time.Millisecond

// Usage reads the tree's CPU time, memory and tasks, or returns a reading
// younger than half a second.
func (g *Group) Usage() Usage {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	if !g.cachedAt.IsZero() && now.Sub(g.cachedAt) < usageTTL {
		return g.cached
	}
	g.cached, g.cachedAt = g.readUsage(), now
	return g.cached
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
	var u Usage
	if b, err := g.read(usageCPU); err == nil {
		u.CPUSeconds = float64(keyValue(b, "usage_usec")) / 1e6
	}
	u.MemoryBytes = g.readUint(usageMemory)
	u.MemoryPeakBytes = g.readUint(usagePeak)
	if n, err := g.read(usagePids); err == nil {
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

// usageState is a group's usage files: their paths, those kept open, and
// the buffer they are read into; guarded by the group's mu.
type usageState struct {
	paths   [usageFiles]string
	held    [usageFiles]*os.File
	fds     [usageFiles]int
	buf     []byte
	removed bool
}

// A usage reading keeps its files open: a reading is then one pread per
// file, where opening and closing a cgroup file costs many times the read
// itself (about 40 µs against 2–3 µs on a virtual machine), and a reply
// about a thousand processes reads four thousand of them. The files held
// open must never starve the children's pipes, so a file is held only
// while the held ones stay under a quarter of the descriptor limit and
// the descriptor it got lies in the lower half of the table (descriptors
// are handed out lowest first, so a high one means the table is filling
// up); otherwise it is opened per read.
var heldUsageFiles atomic.Int64

// usageFileLimit is the soft descriptor limit, or 0 when unknown.
func usageFileLimit() uint64 {
	var rl unix.Rlimit
	if unix.Getrlimit(unix.RLIMIT_NOFILE, &rl) != nil {
		return 0
	}
	return rl.Cur
}

func takeUsageFile() bool {
	limit := usageFileLimit()
	if heldUsageFiles.Add(1) > int64(limit/4) {
		heldUsageFiles.Add(-1)
		return false
	}
	return true
}

// read returns the content of one of the group's usage files; g.mu held.
// The bytes are valid until the next read.
func (g *Group) read(slot int) ([]byte, error) {
	us := &g.usage
	path := us.paths[slot]
	if path == "" {
		return nil, os.ErrNotExist
	}
	if us.held[slot] == nil && !us.removed && takeUsageFile() {
		f, err := os.Open(path)
		if err != nil {
			heldUsageFiles.Add(-1)
			return nil, err
		}
		fd := -1
		if rc, err := f.SyscallConn(); err == nil {
			rc.Control(func(u uintptr) { fd = int(u) })
		}
		if fd < 0 || uint64(fd) >= usageFileLimit()/2 {
			// The table is filling up: read this once and let it go.
			heldUsageFiles.Add(-1)
			b, err := io.ReadAll(f)
			f.Close()
			return b, err
		}
		us.held[slot], us.fds[slot] = f, fd
	}
	if us.held[slot] != nil && us.fds[slot] >= 0 {
		if us.buf == nil {
			us.buf = make([]byte, 1024)
		}
		// The file stays open while g.mu is held, so its descriptor
		// cannot be closed and reused under this read.
		n, err := unix.Pread(us.fds[slot], us.buf, 0)
		if err == nil && n < len(us.buf) {
			return us.buf[:n], nil
		}
	}
	return os.ReadFile(path)
}

func (g *Group) readUint(slot int) uint64 {
	b, err := g.read(slot)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n
}

// closeUsageFiles closes the files readings hold; g.mu held.
func (g *Group) closeUsageFiles() {
	us := &g.usage
	us.removed = true
	for i, f := range us.held {
		if f != nil {
			f.Close()
			us.held[i] = nil
			heldUsageFiles.Add(-1)
		}
	}
}

// OOMKills is how many processes of the group the OOM killer has killed
// since the group was made.
func (g *Group) OOMKills() uint64 {
	if d := g.v1dirs[cgroup1.Memory]; d != "" {
		b, _ := os.ReadFile(filepath.Join(d, "memory.oom_control"))
		return keyValue(b, "oom_kill")
	}
	b, _ := os.ReadFile(filepath.Join(g.v2path, "memory.events"))
	return keyValue(b, "oom_kill")
}

func readUint(path string) uint64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return n
}
