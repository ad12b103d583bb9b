package supervisor

import (
	"context"
	"time"

	"supervisord/internal/cgroup"
	"supervisord/internal/process"
	"supervisord/internal/rpc"
)

// Snapshots are published per row: a change to one process marks its row
// stale (markRow) and the next reader has the loop recompute that row
// alone, copying the rows of its group and sharing every other group and
// the name indexes with the previous snapshot. A change of the groups
// themselves, or one the loop cannot pin on a process (markDirty), rebuilds
// everything as before. Readers that look up one process use the indexes,
// so a call about one process costs the same with 10 or 10,000 processes.

// snapRows is the loop's side of the per-row snapshots.
type snapRows struct {
	staleAll  bool    // rebuild everything at the next publish
	staleRows []*proc // rows to recompute at the next publish
}

// rowPlace is where a process's row sits in the last full snapshot.
type rowPlace struct {
	stale   bool // listed in staleRows
	snapRow int  // index in its group's rows
}

// snapshot is an immutable copy of every active group's process rows.
type snapshot struct {
	groups   []rpc.GroupSnapshot
	restarts [][]uint64       // per group and row: starts after the first
	groupIdx map[string]int   // group name → index in groups
	procIdx  []map[string]int // per group: process name → row

	// Per group and row, for readers of what a tree uses (containment.go):
	// the process's cgroup (nil without one) and its restarts made for
	// memory_restart_above.
	cgroups     [][]*cgroup.Group
	memRestarts [][]uint64
}

// markRow marks the row of one process stale.
func (l *loop) markRow(p *proc) {
	if p == nil {
		l.markDirty()
		return
	}
	if !p.stale {
		p.stale = true
		l.staleRows = append(l.staleRows, p)
	}
	l.s.dirty.Store(true)
	l.s.subs.changed()
}

// row is the published row of p.
func (l *loop) row(p *proc, now time.Time) process.Info {
	info := p.Info(now)
	if p.Config.Liveness != nil {
		info.Health = p.health.String()
	}
	info.Usage.OOMKills = p.cg.oomKills
	return info
}

// publishSnapshot publishes the rows that changed since the last snapshot.
func (l *loop) publishSnapshot() {
	old := l.s.snap.Load()
	if !l.s.dirty.Load() && old != nil {
		return
	}
	l.s.dirty.Store(false)
	now := l.s.opts.Clock.Now()
	if old == nil || l.staleAll {
		l.s.snap.Store(l.fullSnapshot(now))
	} else if len(l.staleRows) > 0 {
		l.s.snap.Store(l.partialSnapshot(old, now))
	}
	for _, p := range l.staleRows {
		p.stale = false
	}
	l.staleRows = l.staleRows[:0]
	l.staleAll = false
}

func (l *loop) fullSnapshot(now time.Time) *snapshot {
	snap := &snapshot{
		groups:   make([]rpc.GroupSnapshot, len(l.groups)),
		restarts: make([][]uint64, len(l.groups)),
		groupIdx: make(map[string]int, len(l.groups)),
		procIdx:  make([]map[string]int, len(l.groups)),

		cgroups:     make([][]*cgroup.Group, len(l.groups)),
		memRestarts: make([][]uint64, len(l.groups)),
	}
	for i, g := range l.groups {
		gs := rpc.GroupSnapshot{Name: g.cfg.Name, Priority: g.cfg.Priority, Processes: make([]process.Info, len(g.procs))}
		restarts := make([]uint64, len(g.procs))
		cgroups := make([]*cgroup.Group, len(g.procs))
		memRestarts := make([]uint64, len(g.procs))
		idx := make(map[string]int, len(g.procs))
		g.place = i
		for j, p := range g.byPriority() {
			p.snapRow = j
			gs.Processes[j] = l.row(p, now)
			if p.spawns > 1 {
				restarts[j] = p.spawns - 1
			}
			cgroups[j], memRestarts[j] = p.cg.group, p.cg.restarts
			idx[p.Config.Name] = j
		}
		snap.groups[i] = gs
		snap.restarts[i] = restarts
		snap.cgroups[i] = cgroups
		snap.memRestarts[i] = memRestarts
		snap.groupIdx[g.cfg.Name] = i
		snap.procIdx[i] = idx
	}
	return snap
}

// partialSnapshot copies old, recomputing the stale rows; groups without
// a stale row are shared.
func (l *loop) partialSnapshot(old *snapshot, now time.Time) *snapshot {
	snap := &snapshot{
		groups:   append([]rpc.GroupSnapshot(nil), old.groups...),
		restarts: append([][]uint64(nil), old.restarts...),
		groupIdx: old.groupIdx,
		procIdx:  old.procIdx,

		cgroups:     append([][]*cgroup.Group(nil), old.cgroups...),
		memRestarts: append([][]uint64(nil), old.memRestarts...),
	}
	copied := map[int]bool{}
	for _, p := range l.staleRows {
		gi, ri := p.g.place, p.snapRow
		if gi >= len(snap.groups) || ri >= len(snap.groups[gi].Processes) || snap.groups[gi].Processes[ri].Name != p.Config.Name {
			return l.fullSnapshot(now) // the group was removed or reordered
		}
		if !copied[gi] {
			copied[gi] = true
			snap.groups[gi].Processes = append([]process.Info(nil), snap.groups[gi].Processes...)
			snap.restarts[gi] = append([]uint64(nil), snap.restarts[gi]...)
			snap.cgroups[gi] = append([]*cgroup.Group(nil), snap.cgroups[gi]...)
			snap.memRestarts[gi] = append([]uint64(nil), snap.memRestarts[gi]...)
		}
		snap.groups[gi].Processes[ri] = l.row(p, now)
		if p.spawns > 1 {
			snap.restarts[gi][ri] = p.spawns - 1
		}
		snap.cgroups[gi][ri], snap.memRestarts[gi][ri] = p.cg.group, p.cg.restarts
	}
	return snap
}

// current returns the snapshot, having the loop publish the stale rows
// first.
func (s *Supervisor) current() *snapshot {
	snap := s.snap.Load()
	if snap == nil || s.dirty.Load() {
		err := s.doQuiet(context.Background(), func(l *loop) { l.publishSnapshot() })
		if err == nil || snap == nil {
			snap = s.snap.Load()
		}
	}
	return snap
}

// Rows implements rpc.Indexed: the published rows, shared and never
// modified; Now and Description are left for the caller to fill in.
func (s *Supervisor) Rows() []rpc.GroupSnapshot {
	if snap := s.current(); snap != nil {
		return snap.groups
	}
	return nil
}

// Lookup implements rpc.Indexed: the group and, when name is not empty,
// the process row, found through the snapshot's indexes.
func (s *Supervisor) Lookup(group, name string) (*rpc.GroupSnapshot, *process.Info, bool) {
	snap := s.current()
	if snap == nil {
		return nil, nil, false
	}
	gi, ok := snap.groupIdx[group]
	if !ok {
		return nil, nil, false
	}
	g := &snap.groups[gi]
	if name == "" {
		return g, nil, true
	}
	ri, ok := snap.procIdx[gi][name]
	if !ok {
		return nil, nil, false
	}
	return g, &g.Processes[ri], true
}

// ReadUsage implements rpc.UsageReader: what the process's tree uses now,
// read from its cgroup (cached briefly by the cgroup), for the rows that
// Rows and Lookup share unfilled.
func (s *Supervisor) ReadUsage(group, name string, u process.Usage) process.Usage {
	info := process.Info{Usage: u}
	fillUsage(&info, s.groupOf(group, name))
	return info.Usage
}

// groupOf is the cgroup of a process in the last snapshot, or nil.
func (s *Supervisor) groupOf(group, name string) *cgroup.Group {
	snap := s.snap.Load()
	if snap == nil {
		return nil
	}
	gi, ok := snap.groupIdx[group]
	if !ok {
		return nil
	}
	ri, ok := snap.procIdx[gi][name]
	if !ok {
		return nil
	}
	return snap.cgroups[gi][ri]
}

var _ rpc.Indexed = (*Supervisor)(nil)
