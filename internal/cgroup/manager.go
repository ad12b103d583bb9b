package cgroup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	cgroups "github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/fsnotify/fsnotify"
)

// Options say where the daemon's cgroups go and what they must offer.
type Options struct {
	// Parent is the cgroup, relative to each hierarchy's root, that holds
	// the daemon's directory; "" is the daemon's own cgroup.
	Parent string
	// Name is the daemon's directory under Parent.
	Name string
	// Need lists the limit controllers some process asks for; Open fails
	// when one of them cannot be used.
	Need Controllers
}

// Controllers is a set of the limit controllers this package uses.
type Controllers struct {
	Memory, CPU, Pids bool
}

func (c Controllers) names() []string {
	var out []string
	if c.Memory {
		out = append(out, "memory")
	}
	if c.CPU {
		out = append(out, "cpu")
	}
	if c.Pids {
		out = append(out, "pids")
	}
	return out
}

// ErrMissingController is wrapped by Open's error when a needed limit
// controller is not available.
var ErrMissingController = errors.New("controller not available")

// daemonLeaf is where the daemon moves itself on a pure v2 host when the
// parent must enable controllers for its children ("no internal
// processes"). Process cgroups always contain a ':' so never collide.
const daemonLeaf = "daemon"

// Manager owns the daemon's directory of cgroups in every hierarchy.
type Manager struct {
	v2mount string // cgroup2 mount point
	v2base  string // the daemon's directory in it (absolute)
	hybrid  bool
	// v1 limit controllers on a hybrid host, by name; the value is the
	// daemon's directory in that hierarchy (absolute).
	v1base map[cgroup1.Name]string
	v1subs map[cgroup1.Name]cgroup1.Subsystem
	have   Controllers // usable for limits and accounting
	Info   string      // what is used, for the start-up log line

	events chan Event
	done   chan struct{}
	watch  *fsnotify.Watcher

	oom *oomV1 // OOM notification where the memory controller is v1

	mu     sync.Mutex // guards byFile, closed
	byFile map[string]*Group
	closed bool
}

// Open prepares the daemon's directory under opts.Parent and starts
// watching for events. Its error says why cgroups cannot be used.
func Open(opts Options) (*Manager, error) {
	if opts.Name == "" || strings.ContainsAny(opts.Name, "/") {
		return nil, fmt.Errorf("cgroup: bad directory name %q", opts.Name)
	}
	m := &Manager{v1base: map[cgroup1.Name]string{}, v1subs: map[cgroup1.Name]cgroup1.Subsystem{},
		events: make(chan Event, 256), done: make(chan struct{}), byFile: map[string]*Group{}}
	m.oom = newOOMV1(m)
	switch cgroups.Mode() {
	case cgroups.Unified:
		m.v2mount = "/sys/fs/cgroup"
	case cgroups.Hybrid:
		m.v2mount, m.hybrid = "/sys/fs/cgroup/unified", true
	default:
		return nil, errors.New("no cgroup v2 hierarchy is mounted (it is what tells when a process tree has ended)")
	}
	v1own, v2own, err := cgroups.ParseCgroupFileUnified("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("cgroup: reading our own cgroup: %w", err)
	}
	parent := opts.Parent
	if parent == "" {
		parent = v2own
	}
	m.v2base = filepath.Join(m.v2mount, parent, opts.Name)
	if err := os.MkdirAll(m.v2base, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create cgroup %s: %w", m.v2base, unwrapPath(err))
	}
	if m.hybrid {
		m.openV1(opts, v1own)
	} else if err := m.openV2Controllers(opts, parent); err != nil {
		return nil, err
	}
	var missing []string
	if opts.Need.Memory && !m.have.Memory {
		missing = append(missing, "memory")
	}
	if opts.Need.CPU && !m.have.CPU {
		missing = append(missing, "cpu")
	}
	if opts.Need.Pids && !m.have.Pids {
		missing = append(missing, "pids")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrMissingController, strings.Join(missing, ", "))
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("cgroup: inotify: %w", err)
	}
	m.watch = w
	go m.watchLoop()
	kind := "cgroup v2"
	if m.hybrid {
		kind = "cgroup v2 for membership, v1 for limits"
	}
	ctl := m.have.names()
	if len(ctl) == 0 {
		ctl = []string{"none"}
	}
	m.Info = fmt.Sprintf("%s in %s (%s; limit controllers: %s)", "one cgroup per process", m.v2base, kind, strings.Join(ctl, ", "))
	return m, nil
}

// openV1 makes the daemon's directory in the v1 memory, cpu and pids
// hierarchies that exist; a hierarchy where that fails is left out.
func (m *Manager) openV1(opts Options, own map[string]string) {
	subs, err := cgroup1.Default()
	if err != nil {
		return
	}
	for _, s := range subs {
		name := s.Name()
		if name != cgroup1.Memory && name != cgroup1.Cpu && name != cgroup1.Pids {
			continue
		}
		p, ok := s.(interface{ Path(string) string })
		if !ok {
			continue
		}
		parent := opts.Parent
		if parent == "" {
			parent = own[string(name)]
			if parent == "" {
				parent = "/"
			}
		}
		dir := p.Path(filepath.Join(parent, opts.Name))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			continue
		}
		m.v1base[name] = dir
		m.v1subs[name] = s
		switch name {
		case cgroup1.Memory:
			m.have.Memory = true
		case cgroup1.Cpu:
			m.have.CPU = true
		case cgroup1.Pids:
			m.have.Pids = true
		}
	}
}

// openV2Controllers enables memory, cpu and pids for the daemon's
// children where the parent offers them. When the parent holds processes
// (the daemon's own cgroup, as under systemd's Delegate=yes) the daemon
// first moves itself into a leaf of its own directory.
func (m *Manager) openV2Controllers(opts Options, parent string) error {
	avail, _ := os.ReadFile(filepath.Join(m.v2mount, parent, "cgroup.controllers"))
	want := []string{}
	for _, c := range strings.Fields(string(avail)) {
		if c == "memory" || c == "cpu" || c == "pids" {
			want = append(want, "+"+c)
		}
	}
	if len(want) == 0 {
		return nil
	}
	enable := func(dir string) error {
		return os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte(strings.Join(want, " ")), 0)
	}
	parentDir := filepath.Join(m.v2mount, parent)
	err := enable(parentDir)
	if errors.Is(err, syscall.EBUSY) {
		leaf := filepath.Join(m.v2base, daemonLeaf)
		if mkErr := os.MkdirAll(leaf, 0o755); mkErr == nil {
			if mvErr := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte("0"), 0); mvErr == nil {
				err = enable(parentDir)
			}
		}
	}
	if err == nil {
		err = enable(m.v2base)
	}
	if err != nil {
		if opts.Need != (Controllers{}) {
			return fmt.Errorf("cannot enable %s for %s: %w", strings.Join(want, " "), m.v2base, unwrapPath(err))
		}
		return nil
	}
	on, _ := os.ReadFile(filepath.Join(m.v2base, "cgroup.subtree_control"))
	for _, c := range strings.Fields(string(on)) {
		switch c {
		case "memory":
			m.have.Memory = true
		case "cpu":
			m.have.CPU = true
		case "pids":
			m.have.Pids = true
		}
	}
	return nil
}

// Have reports the limit controllers in use.
func (m *Manager) Have() Controllers { return m.have }

// Dir is the daemon's directory in the cgroup v2 hierarchy.
func (m *Manager) Dir() string { return m.v2base }

// Events delivers populated and OOM notifications for the groups made by
// Group. The channel is never closed.
func (m *Manager) Events() <-chan Event { return m.events }

// Close stops the watches and removes the daemon's directories where they
// are empty.
func (m *Manager) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	groups := make([]*Group, 0, len(m.byFile))
	for _, g := range m.byFile {
		groups = append(groups, g)
	}
	m.mu.Unlock()
	for _, g := range groups {
		g.closeEvents()
	}
	m.oom.close()
	close(m.done)
	m.watch.Close()
	os.Remove(filepath.Join(m.v2base, daemonLeaf)) // fails while the daemon is in it
	os.Remove(m.v2base)
	for _, dir := range m.v1base {
		os.Remove(dir)
	}
}

func (m *Manager) send(ev Event) {
	select {
	case m.events <- ev:
	case <-m.done:
	}
}

func (m *Manager) watchLoop() {
	for {
		select {
		case ev, ok := <-m.watch.Events:
			if !ok {
				return
			}
			m.mu.Lock()
			g := m.byFile[ev.Name]
			m.mu.Unlock()
			if g == nil {
				continue
			}
			kind := Populated
			if filepath.Base(ev.Name) == "memory.events" {
				kind = OOM
			}
			m.send(Event{Group: g, Kind: kind})
		case _, ok := <-m.watch.Errors:
			if !ok {
				return
			}
		}
	}
}

// unwrapPath drops the *PathError wrapper, whose path the caller already
// names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
