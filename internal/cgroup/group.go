package cgroup

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Limits are what a group may use; zero means no limit.
type Limits struct {
	MemoryBytes int64
	CPUs        float64
	Pids        int
}

// EventKind tells what an Event is about.
type EventKind int

const (
	// Populated: the group's cgroup.events changed; read Populated.
	Populated EventKind = iota
	// OOM: the OOM killer acted in the group; read OOMKills.
	OOM
)

// Event is a notification about one group.
type Event struct {
	Group *Group
	Kind  EventKind
}

// Group is one process's cgroup, in every hierarchy used.
type Group struct {
	m      *Manager
	name   string
	v2     *cgroup2.Manager
	v2path string
	v1     cgroup1.Cgroup          // nil on a pure v2 host
	v1dirs map[cgroup1.Name]string // absolute directories of v1
	files  []string                // watched files

	mu    sync.Mutex // serializes readings; guards usage
	usage usageState // usage.go
	// last is the latest reading, read without mu: a reply that takes it
	// never waits behind a reading in progress.
	last atomic.Pointer[reading]
}

// GroupName is the cgroup name for a process: "group:name", with the
// characters a directory name cannot hold replaced.
func GroupName(group, name string) string {
	r := strings.NewReplacer("/", "_", "\x00", "_")
	return r.Replace(group) + ":" + r.Replace(name)
}

// Group creates (or takes over, empty) the cgroup called name with lim
// and starts watching it.
func (m *Manager) Group(name string, lim Limits) (*Group, error) {
	if name == "" || strings.Contains(name, "/") || name == "." || name == ".." {
		return nil, fmt.Errorf("cgroup: bad name %q", name)
	}
	rel, err := filepath.Rel(m.v2mount, filepath.Join(m.v2base, name))
	if err != nil {
		return nil, err
	}
	res := &cgroup2.Resources{}
	if !m.hybrid {
		if lim.MemoryBytes > 0 {
			zero := int64(0)
			res.Memory = &cgroup2.Memory{Max: &lim.MemoryBytes, Swap: &zero}
		}
		if lim.CPUs > 0 {
			quota, period := cpuQuota(lim.CPUs)
			res.CPU = &cgroup2.CPU{Max: cgroup2.NewCPUMax(&quota, &period)}
		}
		if lim.Pids > 0 {
			res.Pids = &cgroup2.Pids{Max: int64(lim.Pids)}
		}
	}
	v2, err := newV2(m.v2mount, rel, res)
	if err != nil {
		return nil, fmt.Errorf("cannot create cgroup %s: %w", filepath.Join(m.v2base, name), unwrapPath(err))
	}
	g := &Group{m: m, name: name, v2: v2, v2path: filepath.Join(m.v2base, name), v1dirs: map[cgroup1.Name]string{}}
	if m.hybrid {
		if err := g.openV1(lim); err != nil {
			v2.Delete()
			return nil, err
		}
	}
	if err := g.startEvents(); err != nil {
		g.Remove()
		return nil, err
	}
	return g, nil
}

// newV2 makes the v2 group at rel under mount with res. Without a limit
// to set it is one mkdir: the library's NewManager also stats the path and
// writes an empty controller list to every ancestor's cgroup.subtree_control
// (in perf over a start of 1,000 programs with cgroups, NewManager was 15%
// of the daemon's CPU, those writes half of it; the start itself did not
// get measurably faster, the children's execs being most of its CPU). An
// existing directory is taken over, as NewManager does.
func newV2(mount, rel string, res *cgroup2.Resources) (*cgroup2.Manager, error) {
	if len(res.EnabledControllers()) > 0 {
		return cgroup2.NewManager(mount, "/"+rel, res)
	}
	if err := unix.Mkdir(filepath.Join(mount, rel), 0o755); err != nil && err != unix.EEXIST {
		return nil, &os.PathError{Op: "mkdir", Path: filepath.Join(mount, rel), Err: err}
	}
	return cgroup2.Load("/"+rel, cgroup2.WithMountpoint(mount))
}

// cpuQuota turns CPUs into a CFS quota over the kernel's default period.
func cpuQuota(cpus float64) (int64, uint64) {
	const period = 100000
	quota := int64(cpus * period)
	if quota < 1000 {
		quota = 1000 // the kernel's minimum
	}
	return quota, period
}

// openV1 makes the group in the v1 memory and pids hierarchies (always,
// for accounting) and cpu (only for a limit), with the limits set.
func (g *Group) openV1(lim Limits) error {
	m := g.m
	var subs []cgroup1.Subsystem
	for _, n := range []cgroup1.Name{cgroup1.Memory, cgroup1.Pids, cgroup1.Cpu} {
		s := m.v1subs[n]
		if s == nil || (n == cgroup1.Cpu && lim.CPUs <= 0) {
			continue
		}
		subs = append(subs, s)
		g.v1dirs[n] = filepath.Join(m.v1base[n], g.name)
	}
	if len(subs) == 0 {
		return nil
	}
	res := &specs.LinuxResources{}
	if lim.MemoryBytes > 0 {
		res.Memory = &specs.LinuxMemory{Limit: &lim.MemoryBytes}
		if _, err := os.Stat(filepath.Join(m.v1base[cgroup1.Memory], "memory.memsw.limit_in_bytes")); err == nil {
			res.Memory.Swap = &lim.MemoryBytes // no swapping past the limit
		}
	}
	if lim.CPUs > 0 {
		quota, period := cpuQuota(lim.CPUs)
		res.CPU = &specs.LinuxCPU{Quota: &quota, Period: &period}
	}
	if lim.Pids > 0 {
		pids := int64(lim.Pids)
		res.Pids = &specs.LinuxPids{Limit: &pids}
	}
	// Each hierarchy has its own base; the path handed to the library is
	// relative to the hierarchy's root.
	rels := map[cgroup1.Name]string{}
	for _, s := range subs {
		root := s.(interface{ Path(string) string }).Path("/")
		rel, err := filepath.Rel(root, g.v1dirs[s.Name()])
		if err != nil {
			return err
		}
		rels[s.Name()] = "/" + rel
	}
	path := func(n cgroup1.Name) (string, error) {
		if p, ok := rels[n]; ok {
			return p, nil
		}
		return "", cgroup1.ErrControllerNotActive
	}
	cg, err := cgroup1.New(path, res,
		cgroup1.WithHierarchy(func() ([]cgroup1.Subsystem, error) { return subs, nil }),
		func(c *cgroup1.InitConfig) error { c.InitCheck = cgroup1.AllowAny; return nil })
	if err != nil {
		for _, d := range g.v1dirs {
			os.Remove(d)
		}
		return fmt.Errorf("cannot create cgroup %s in the v1 hierarchies: %w", g.name, unwrapPath(err))
	}
	g.v1 = cg
	return nil
}

// startEvents watches cgroup.events (and, on v2 with memory,
// memory.events) and, on v1 with memory, registers the group with one
// of the shared OOM eventfds (oomv1.go).
func (g *Group) startEvents() error {
	m := g.m
	files := []string{filepath.Join(g.v2path, "cgroup.events")}
	if !m.hybrid && m.have.Memory {
		files = append(files, filepath.Join(g.v2path, "memory.events"))
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return errors.New("cgroup: manager closed")
	}
	for _, f := range files {
		m.byFile[f] = g
	}
	m.mu.Unlock()
	g.files = files
	for _, f := range files {
		if err := m.watch.Add(f); err != nil {
			return fmt.Errorf("cgroup: watching %s: %w", f, unwrapPath(err))
		}
	}
	if d := g.v1dirs[cgroup1.Memory]; d != "" {
		if err := m.oom.register(g, d); err != nil {
			return fmt.Errorf("cgroup: OOM notification for %s: %w", g.name, unwrapPath(err))
		}
	}
	return nil
}

func (g *Group) closeEvents() {
	m := g.m
	m.mu.Lock()
	for _, f := range g.files {
		delete(m.byFile, f)
	}
	closed := m.closed
	m.mu.Unlock()
	if !closed {
		for _, f := range g.files {
			m.watch.Remove(f)
		}
	}
	g.files = nil
}

// Name is the group's directory name.
func (g *Group) Name() string { return g.name }

// Path is the group's directory in the cgroup v2 hierarchy.
func (g *Group) Path() string { return g.v2path }

// OpenFD opens the group's v2 directory for clone3's CLONE_INTO_CGROUP;
// the caller closes it once the child is started.
func (g *Group) OpenFD() (int, error) {
	fd, err := unix.Open(g.v2path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, fmt.Errorf("cannot open cgroup %s: %w", g.v2path, err)
	}
	return fd, nil
}

// JoinV1 moves the calling thread into the group's v1 cgroups, so that a
// child forked by this thread is born in them; nil on a pure v2 host.
// The thread must be locked and must not run anything else afterwards.
func (g *Group) JoinV1() func() error {
	if g.v1 == nil {
		return nil
	}
	dirs := make([]string, 0, len(g.v1dirs))
	for _, d := range g.v1dirs {
		dirs = append(dirs, filepath.Join(d, "tasks"))
	}
	// System calls only: the spawner runs this on a thread whose
	// descriptor table is not the daemon's, where an os.File could touch
	// the daemon's descriptors.
	return func() error {
		tid := []byte(strconv.Itoa(unix.Gettid()))
		for _, f := range dirs {
			if err := writeRaw(f, tid); err != nil {
				return fmt.Errorf("cannot join cgroup %s: %w", filepath.Dir(f), err)
			}
		}
		return nil
	}
}

// Populated reports whether any process is in the group.
func (g *Group) Populated() (bool, error) {
	var buf [128]byte
	b, err := readFile(filepath.Join(g.v2path, "cgroup.events"), buf[:])
	if err != nil {
		return false, err
	}
	return keyValue(b, "populated") != 0, nil
}

// Kill sends SIGKILL to every process in the group (cgroup.kill where
// the kernel has it).
func (g *Group) Kill() error { return g.v2.Kill() }

// Procs lists the pids in the group.
func (g *Group) Procs() ([]uint64, error) { return g.v2.Procs(true) }

// Remove stops the group's notifications and removes its directories;
// it fails while processes are in it.
func (g *Group) Remove() error {
	g.closeEvents()
	g.mu.Lock()
	g.closeUsageFiles()
	g.mu.Unlock()
	sh, last := g.m.oom.removing(g)
	err := g.removeDirs()
	if err != nil && sh != nil {
		// Only a failed removal may have left the memory cgroup.
		if _, serr := os.Stat(g.v1dirs[cgroup1.Memory]); serr == nil {
			g.m.oom.notRemoved(g, sh, last)
		}
	}
	return err
}

// removeDirs removes the group's directories.
func (g *Group) removeDirs() error {
	if g.rmdirs() == nil {
		return nil
	}
	// Something is left (a process, a child group): the library's
	// removal says what, and retries.
	var errs []error
	if g.v1 != nil {
		if err := g.v1.Delete(); err != nil && !errors.Is(err, cgroup1.ErrCgroupDeleted) {
			errs = append(errs, err)
		}
	}
	if err := g.v2.Delete(); err != nil && !os.IsNotExist(err) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// rmdirs removes the group's directories with one rmdir each, the v1
// controllers' first. The library's removal first walks every controller
// for processes, which at shutdown cost several times the removal itself
// (a thousand groups, each already empty); the kernel refuses the rmdir
// of a group that is not empty anyway. A directory already gone counts as
// removed.
func (g *Group) rmdirs() error {
	var errs []error
	for _, d := range g.v1dirs {
		if err := unix.Rmdir(d); err != nil && err != unix.ENOENT {
			errs = append(errs, fmt.Errorf("cgroup: rmdir %s: %w", d, err))
		}
	}
	if err := unix.Rmdir(g.v2path); err != nil && err != unix.ENOENT {
		errs = append(errs, fmt.Errorf("cgroup: rmdir %s: %w", g.v2path, err))
	}
	return errors.Join(errs...)
}

// keyValue reads "key N" lines (cgroup.events, memory.events, cpu.stat,
// memory.oom_control) and returns key's value, 0 when absent.
func keyValue(b []byte, key string) uint64 {
	for line := range bytes.Lines(b) {
		k, v, ok := bytes.Cut(line, []byte{' '})
		if ok && string(k) == key {
			n, _ := strconv.ParseUint(string(bytes.TrimSpace(v)), 10, 64)
			return n
		}
	}
	return 0
}

// writeRaw writes data to an existing file with system calls alone.
func writeRaw(path string, data []byte) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	_, err = unix.Write(fd, data)
	if cerr := unix.Close(fd); err == nil {
		err = cerr
	}
	return err
}
