package config

import (
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CgroupMode is [supervisord] cgroups: whether each process gets a cgroup
// of its own.
type CgroupMode int

// The values of [supervisord] cgroups.
const (
	// CgroupsAuto uses cgroups where the daemon can create them and says
	// once at start-up why not otherwise.
	CgroupsAuto CgroupMode = iota
	// CgroupsOn refuses to start without them.
	CgroupsOn
	// CgroupsOff is the reference's behaviour: one pid per process.
	CgroupsOff
)

func (m CgroupMode) String() string {
	switch m {
	case CgroupsOn:
		return "on"
	case CgroupsOff:
		return "off"
	}
	return "auto"
}

// Containment is the [supervisord] side of containment.
type Containment struct {
	Mode CgroupMode
	// Parent is the cgroup, relative to each hierarchy's root, under which
	// the daemon makes its own; "" means the daemon's own cgroup.
	Parent string
}

// Limits are a process's resource limits and memory ceiling; zero values
// mean none.
type Limits struct {
	MemoryLimit int64   // bytes, memory_limit
	CPULimit    float64 // CPUs, cpu_limit
	PidsLimit   int     // tasks, pids_limit
	// MemoryRestartAbove restarts the process when its whole tree stays
	// above this many bytes for MemoryRestartAfter.
	MemoryRestartAbove int64
	MemoryRestartAfter time.Duration
	// Pdeathsig is sent to the process by the kernel when the daemon dies
	// (PR_SET_PDEATHSIG); 0 means none.
	Pdeathsig syscall.Signal
}

// Any reports whether a cgroup limit is set.
func (l Limits) Any() bool { return l.MemoryLimit > 0 || l.CPULimit > 0 || l.PidsLimit > 0 }

var knownContainmentSupervisord = keySet("cgroups cgroup_parent")

var knownContainmentProcess = keySet("memory_limit cpu_limit pids_limit memory_restart_above memory_restart_after pdeathsig")

// containment reads [supervisord] cgroups and cgroup_parent.
func (l *loader) containment(sc scope, n names, c *Containment) {
	c.Mode = typed(l, sc, "cgroups", n, CgroupsAuto, parseCgroupMode)
	c.Parent = typed(l, sc, "cgroup_parent", n, "", parseCgroupParent)
}

// limits reads a process's limit options.
func (l *loader) limits(sc scope, n names) Limits {
	var lim Limits
	lim.MemoryLimit = typed(l, sc, "memory_limit", n, 0, positiveByteSize)
	lim.CPULimit = typed(l, sc, "cpu_limit", n, 0, parseCPULimit)
	lim.PidsLimit = typed(l, sc, "pids_limit", n, 0, parsePidsLimit)
	lim.MemoryRestartAbove = typed(l, sc, "memory_restart_above", n, 0, positiveByteSize)
	lim.MemoryRestartAfter = typed(l, sc, "memory_restart_after", n, 10*time.Second, func(s string) (time.Duration, error) {
		d, err := durationParser(s)
		if err == nil && d <= 0 {
			err = fmt.Errorf("invalid memory_restart_after %q (want a positive duration)", s)
		}
		return d, err
	})
	lim.Pdeathsig = typed(l, sc, "pdeathsig", n, 0, parseSignal)
	return lim
}

func parseCgroupMode(s string) (CgroupMode, error) {
	switch strings.ToLower(pyStrip(s)) {
	case "auto":
		return CgroupsAuto, nil
	case "on", "true", "yes", "1":
		return CgroupsOn, nil
	case "off", "false", "no", "0":
		return CgroupsOff, nil
	}
	return 0, fmt.Errorf("invalid cgroups %q (want auto, on or off)", s)
}

// parseCgroupParent accepts an absolute path without "." or ".."
// components; it is cleaned.
func parseCgroupParent(s string) (string, error) {
	p := pyStrip(s)
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("invalid cgroup_parent %q (want an absolute path such as /supervisord)", s)
	}
	for _, part := range strings.Split(p, "/") {
		if part == "." || part == ".." {
			return "", fmt.Errorf("invalid cgroup_parent %q (no . or .. components)", s)
		}
	}
	return path.Clean(p), nil
}

// positiveByteSize is a byte size (as elsewhere: 64MB) that must be above 0.
func positiveByteSize(s string) (int64, error) {
	n, err := parseByteSize(pyStrip(s))
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, fmt.Errorf("invalid byte size %q (want more than 0)", s)
	}
	return n, nil
}

// parseCPULimit reads a fractional number of CPUs, above 0.
func parseCPULimit(s string) (float64, error) {
	f, err := strconv.ParseFloat(pyStrip(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 || f > 1e6 {
		return 0, fmt.Errorf("invalid cpu_limit %q (want a number of CPUs above 0, such as 0.5)", s)
	}
	return f, nil
}

func parsePidsLimit(s string) (int, error) {
	n, err := parseInt(s)
	if err != nil {
		return 0, err
	}
	if n <= 0 {
		return 0, fmt.Errorf("invalid pids_limit %q (want a number of tasks above 0)", s)
	}
	return n, nil
}

// FormatBytes writes a byte count the way the options are usually
// written: 64MB, 1GB, 512KB, else bytes.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GB"}, {1 << 20, "MB"}, {1 << 10, "KB"}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}
