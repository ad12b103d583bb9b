package cgroup

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/cgroups/v3/cgroup1"
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
	var u Usage
	if b, err := os.ReadFile(filepath.Join(g.v2path, "cpu.stat")); err == nil {
		u.CPUSeconds = float64(keyValue(b, "usage_usec")) / 1e6
	}
	if d := g.v1dirs[cgroup1.Memory]; d != "" {
		u.MemoryBytes = readUint(filepath.Join(d, "memory.usage_in_bytes"))
		u.MemoryPeakBytes = readUint(filepath.Join(d, "memory.max_usage_in_bytes"))
	} else if !g.m.hybrid {
		u.MemoryBytes = readUint(filepath.Join(g.v2path, "memory.current"))
		u.MemoryPeakBytes = readUint(filepath.Join(g.v2path, "memory.peak"))
	}
	pids := filepath.Join(g.v2path, "pids.current")
	if d := g.v1dirs[cgroup1.Pids]; d != "" {
		pids = filepath.Join(d, "pids.current")
	}
	if n, err := os.ReadFile(pids); err == nil {
		v, _ := strconv.Atoi(strings.TrimSpace(string(n)))
		u.Tasks = v
	} else if b, err := os.ReadFile(filepath.Join(g.v2path, "cgroup.threads")); err == nil {
		u.Tasks = strings.Count(string(b), "\n")
	}
	return u
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
