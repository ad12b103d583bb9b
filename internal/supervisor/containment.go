package supervisor

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/prometheus/procfs"

	"supervisord/internal/cgroup"
	"supervisord/internal/config"
	"supervisord/internal/process"
	"supervisord/internal/reaper"
	"supervisord/internal/spawn"
)

// Containment is the daemon's cgroup set-up for one run of the loop:
// made by NewContainment before the Supervisor, handed over in Options.
type Containment struct {
	mode config.CgroupMode
	mgr  *cgroup.Manager // nil when cgroups are not used
	why  string          // why not, under auto
}

// NewContainment prepares cgroups as [supervisord] cgroups asks. Its
// error is a start-up error: cgroups=on without usable cgroups, or a
// limit whose controller is missing.
func NewContainment(cfg *config.Config) (*Containment, error) {
	c := &Containment{mode: cfg.Supervisord.Containment.Mode}
	if c.mode == config.CgroupsOff {
		return c, nil
	}
	var need cgroup.Controllers
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			need.Memory = need.Memory || p.Limits.MemoryLimit > 0
			need.CPU = need.CPU || p.Limits.CPULimit > 0
			need.Pids = need.Pids || p.Limits.PidsLimit > 0
		}
	}
	sum := sha256.Sum256([]byte(cfg.File))
	mgr, err := cgroup.Open(cgroup.Options{
		Parent: cfg.Supervisord.Containment.Parent,
		Name:   "supervisord-" + hex.EncodeToString(sum[:6]),
		Need:   need,
	})
	switch {
	case err == nil:
		c.mgr = mgr
		return c, nil
	case errors.Is(err, cgroup.ErrMissingController):
		return nil, limitError(cfg, err)
	case c.mode == config.CgroupsOn:
		return nil, fmt.Errorf("cgroups=on but cgroups cannot be used: %v", err)
	case need != cgroup.Controllers{}:
		return nil, limitError(cfg, fmt.Errorf("cgroups cannot be used: %v", err))
	}
	c.why = err.Error()
	return c, nil
}

// limitError names the first option whose controller is missing.
func limitError(cfg *config.Config, err error) error {
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			key := ""
			switch {
			case p.Limits.MemoryLimit > 0:
				key = "memory_limit"
			case p.Limits.CPULimit > 0:
				key = "cpu_limit"
			case p.Limits.PidsLimit > 0:
				key = "pids_limit"
			default:
				continue
			}
			return fmt.Errorf("%s:%d: [%s] %s is set but cannot be enforced: %v", p.Pos.File, p.Pos.Line, p.Section, key, err)
		}
	}
	return err
}

// Close releases the cgroups of a Containment that never ran.
func (c *Containment) Close() {
	if c != nil && c.mgr != nil {
		c.mgr.Close()
	}
}

// Dir is the daemon's cgroup directory, "" when cgroups are not used.
func (c *Containment) Dir() string {
	if c == nil || c.mgr == nil {
		return ""
	}
	return c.mgr.Dir()
}

// containment is the loop's side of it.
type containment struct {
	c         *Containment
	subreaper bool
	thread    *spawn.Thread // forks children with a parent-death signal
	byGroup   map[*cgroup.Group]*proc
	parked    map[int]*proc      // reaped main pids whose tree is being killed
	next      time.Time          // next memory sample or recheck
	rechecks  map[*proc]struct{} // processes with an OOM counter recheck due

	// ceilings is whether any process has memory_restart_above, as of
	// the groups numbered ceilingsOf (schedule.order+1): without one, a
	// step need not look at every process.
	ceilings   bool
	ceilingsOf int

	// remover removes, during a shutdown, the cgroups of processes
	// that have exited for good (see removeEarly).
	remover *groupRemover
}

// groupRemover removes cgroups on a goroutine of its own, so that the
// kernel's work for one (an rmdir per controller, a few hundred µs) runs
// while the loop reaps the next exit, on another CPU when there is one,
// instead of one after the other at the end of the shutdown.
type groupRemover struct {
	work chan groupToRemove
	done chan []string // the failures, once work is closed and drained
}

type groupToRemove struct {
	g    *cgroup.Group
	name string
}

func newGroupRemover() *groupRemover {
	r := &groupRemover{work: make(chan groupToRemove, 1024), done: make(chan []string, 1)}
	go func() {
		var failed []string
		for w := range r.work {
			if err := w.g.Remove(); err != nil {
				failed = append(failed, fmt.Sprintf("cgroups: could not remove the cgroup of '%s': %v", w.name, err))
			}
		}
		r.done <- failed
	}()
	return r
}

// wait ends the remover once what it was given is removed, and logs what
// could not be.
func (l *loop) waitRemover() {
	r := l.ct.remover
	if r == nil {
		return
	}
	l.ct.remover = nil
	close(r.work)
	for _, msg := range <-r.done {
		l.Log(config.LevelDebug, msg)
	}
}

// removeEarly hands the cgroup of p, which has exited during a shutdown
// or a restart of the daemon and will not run again in this generation,
// to the remover; finishContainment would otherwise remove it with all
// the others once the last process is gone. A group that still holds
// processes (a parked exit) is left to the usual path.
func (l *loop) removeEarly(p *proc) {
	g := p.cg.group
	if g == nil || p.cg.parked != nil || l.mood == process.SupervisorRunning {
		return
	}
	if st := p.State; st != process.Stopped && st != process.Exited && st != process.Fatal {
		return
	}
	if l.ct.remover == nil {
		l.ct.remover = newGroupRemover()
	}
	delete(l.ct.byGroup, g)
	delete(l.ct.rechecks, p)
	p.cg.group = nil
	p.cg.killed = false
	l.ct.remover.work <- groupToRemove{g: g, name: p.Config.Name}
}

// procCgroup is one process's containment state.
type procCgroup struct {
	group *cgroup.Group
	// parked holds the main process's exit while the rest of its tree is
	// killed: the process leaves STOPPING/RUNNING only once the cgroup is
	// empty.
	parked     *parkedExit
	oomSeen    uint64    // the group's oom_kill counter when last read
	oomKills   uint64    // kills logged
	oomRecheck time.Time // read the counter again (v1 signals before it counts)
	aboveSince time.Time // tree memory above memory_restart_above since
	restarts   uint64    // restarts for memory
	// killed is set once cgroup.kill was written: the kernel (seen on
	// 6.18) kills a child later born in that cgroup with
	// CLONE_INTO_CGROUP, so the next spawn gets a fresh cgroup.
	killed bool
}

// killTree kills everything in p's cgroup.
func (l *loop) killTree(p *proc) error {
	g := p.cg.group
	if g == nil {
		return nil
	}
	p.cg.killed = true
	return g.Kill()
}

type parkedExit struct {
	pid, code int
	how       string
	since     time.Time
}

func (l *loop) mgr() *cgroup.Manager {
	if l.ct.c == nil {
		return nil
	}
	return l.ct.c.mgr
}

// cgroupEvents is the loop's input from the cgroup watcher; nil (never
// ready) without cgroups.
func (l *loop) cgroupEvents() <-chan cgroup.Event {
	if m := l.mgr(); m != nil {
		return m.Events()
	}
	return nil
}

// startContainment runs once before the first step: it says how
// processes are contained, removes what a killed predecessor left, and
// makes the daemon the reaper of its programs' orphans.
func (l *loop) startContainment() {
	l.ct.byGroup = map[*cgroup.Group]*proc{}
	l.ct.parked = map[int]*proc{}
	c := l.ct.c
	if c == nil || c.mode == config.CgroupsOff {
		return
	}
	m := c.mgr
	if m == nil {
		l.Log(config.LevelInfo, "cgroups: not used: "+c.why)
		return
	}
	l.Log(config.LevelInfo, "cgroups: "+m.Info)
	for _, lo := range m.Sweep(5 * time.Second) {
		switch {
		case lo.Err != nil:
			l.Log(config.LevelWarn, fmt.Sprintf("cgroups: could not clear cgroup '%s' left by a previous daemon: %v", lo.Name, lo.Err))
		case lo.Procs > 0:
			l.Log(config.LevelWarn, fmt.Sprintf("cgroups: killed %d processes left in cgroup '%s' by a previous daemon", lo.Procs, lo.Name))
		}
	}
	if !reaper.IsPID1() {
		if err := reaper.SetSubreaper(); err == nil {
			l.ct.subreaper = true
		}
	}
}

// finishContainment removes every process's cgroup once all are stopped.
func (l *loop) finishContainment() {
	l.waitRemover()
	for _, g := range l.groups {
		for _, p := range g.procs {
			l.dropCgroup(p)
		}
	}
	if l.ct.thread != nil {
		l.ct.thread.Close()
	}
	if m := l.mgr(); m != nil {
		m.Close()
	}
}

// dropCgroup removes p's cgroup (the process is being removed or the
// daemon is stopping).
func (l *loop) dropCgroup(p *proc) {
	g := p.cg.group
	if g == nil {
		return
	}
	delete(l.ct.byGroup, g)
	p.cg.group = nil
	p.cg.killed = false
	if err := g.Remove(); err != nil {
		l.Log(config.LevelDebug, fmt.Sprintf("cgroups: could not remove the cgroup of '%s': %v", p.Config.Name, err))
	}
}

// unknownPidLevel is the level of "reaped unknown pid": orphans of our
// programs come to us as their subreaper and are routine; as PID 1 the
// reference's INFO stays.
func (l *loop) unknownPidLevel() config.Level {
	if l.ct.subreaper {
		return config.LevelDebug
	}
	return config.LevelInfo
}

// contain places p's next child in its cgroup (made on first use) and
// sets its parent-death signal. The returned func releases what the spawn
// needed; call it once spawn.Start has returned.
func (l *loop) contain(p *proc, spec *spawn.Spec) (func(), error) {
	lim := p.Config.Limits
	if lim.Pdeathsig != 0 {
		if l.ct.thread == nil {
			l.ct.thread = spawn.NewThread()
		}
		spec.Contain.Pdeathsig, spec.Contain.Thread = lim.Pdeathsig, l.ct.thread
	}
	m := l.mgr()
	if m == nil {
		return func() {}, nil
	}
	if p.cg.group != nil && p.cg.killed {
		l.dropCgroup(p)
	}
	if p.cg.group == nil {
		have := m.Have()
		for _, miss := range []struct {
			set       bool
			have      bool
			key, ctrl string
		}{{lim.MemoryLimit > 0, have.Memory, "memory_limit", "memory"}, {lim.CPULimit > 0, have.CPU, "cpu_limit", "cpu"}, {lim.PidsLimit > 0, have.Pids, "pids_limit", "pids"}} {
			if miss.set && !miss.have {
				return nil, fmt.Errorf("cgroup: %s is set but the %s controller is not available", miss.key, miss.ctrl)
			}
		}
		g, err := m.Group(cgroup.GroupName(p.Config.Group, p.Config.Name), cgroup.Limits{
			MemoryBytes: lim.MemoryLimit, CPUs: lim.CPULimit, Pids: lim.PidsLimit})
		if err != nil {
			return nil, err
		}
		p.cg.group = g
		p.cg.oomSeen = g.OOMKills()
		l.ct.byGroup[g] = p
	}
	g := p.cg.group
	fd, err := g.OpenFD()
	if err != nil {
		return nil, err
	}
	spec.Contain.UseCgroupFD, spec.Contain.CgroupFD = true, fd
	spec.Contain.JoinThread = g.JoinV1()
	return func() { syscall.Close(fd) }, nil
}

// parkExit is called when p's main process has been reaped: when the rest
// of its tree is still in the cgroup, the tree is killed and the exit is
// held until the cgroup is empty (then p moves on, STOPPED after a stop).
func (l *loop) parkExit(p *proc, pid, code int, how string) bool {
	g := p.cg.group
	if g == nil || p.Hook {
		return false
	}
	l.checkOOM(p)
	if populated, err := g.Populated(); err != nil || !populated {
		return false
	}
	if err := l.killTree(p); err != nil {
		l.Log(config.LevelWarn, fmt.Sprintf("cgroups: could not kill what is left of '%s': %v", p.Config.Name, err))
		return false
	}
	l.Log(config.LevelDebug, fmt.Sprintf("killed what was left in the cgroup of '%s' after its pid %d exited", p.Config.Name, pid))
	p.cg.parked = &parkedExit{pid: pid, code: code, how: how, since: l.now}
	l.ct.parked[pid] = p
	return true
}

// cgroupEvent handles a notification from a process's cgroup.
func (l *loop) cgroupEvent(ev cgroup.Event) {
	p := l.ct.byGroup[ev.Group]
	if p == nil {
		return
	}
	// The event is about p alone: step p, not every process (a start
	// of thousands of programs brings as many populated events, and a
	// pass over every process for each was quadratic).
	l.touch(p)
	switch ev.Kind {
	case cgroup.OOM:
		l.checkOOM(p)
		p.cg.oomRecheck = l.now.Add(100 * time.Millisecond)
		if l.ct.rechecks == nil {
			l.ct.rechecks = map[*proc]struct{}{}
		}
		l.ct.rechecks[p] = struct{}{}
	case cgroup.Populated:
		l.unpark(p)
	}
}

// unpark completes a parked exit once the cgroup is empty.
func (l *loop) unpark(p *proc) {
	pe := p.cg.parked
	if pe == nil || p.cg.group == nil {
		return
	}
	if populated, err := p.cg.group.Populated(); err == nil && populated {
		return
	}
	p.cg.parked = nil
	delete(l.ct.parked, pe.pid)
	l.checkOOM(p)
	p.Exited(l, pe.code, pe.how, l.now)
	l.markDirty()
}

// checkOOM logs the OOM kills in p's cgroup since the last look.
func (l *loop) checkOOM(p *proc) {
	g := p.cg.group
	if g == nil {
		return
	}
	n := g.OOMKills()
	if n <= p.cg.oomSeen {
		return
	}
	delta := n - p.cg.oomSeen
	p.cg.oomSeen = n
	p.cg.oomKills += delta
	limit := "no memory_limit"
	if m := p.Config.Limits.MemoryLimit; m > 0 {
		limit = "memory_limit " + config.FormatBytes(m)
	}
	who := ""
	if delta > 1 {
		who = fmt.Sprintf(" (%d processes)", delta)
	}
	l.Log(config.LevelWarn, fmt.Sprintf("oom: '%s' killed by the kernel OOM killer%s (%s)", p.Config.Name, who, limit))
	l.markDirty()
}

// containedKill is consulted by Kill before a signal goes out. A parked
// pid has been reaped already and must never be signalled (it may be
// reused); a SIGKILL for it, or a SIGKILL after stopwaitsecs, kills the
// whole cgroup. It reports whether the signal is dealt with.
func (l *loop) containedKill(pid int, sig syscall.Signal) bool {
	if p := l.ct.parked[pid]; p != nil {
		if sig == syscall.SIGKILL {
			l.killTree(p)
		}
		return true
	}
	if p := l.byPid[pid]; p != nil && sig == syscall.SIGKILL && p.State == process.Stopping {
		l.killTree(p)
	}
	return false
}

// memorySampleEvery is how often trees with memory_restart_above are
// measured.
const memorySampleEvery = time.Second

// containmentStep does what is due: memory samples for
// memory_restart_above, OOM counter rechecks, and a second look at parked
// exits whose populated notification may have been missed. Without
// cgroups and memory ceilings it does nothing.
func (l *loop) containmentStep() {
	if len(l.ct.parked) == 0 && len(l.ct.rechecks) == 0 && l.ct.next.IsZero() && !l.needsSampling() {
		return
	}
	for pid, p := range l.ct.parked {
		if pe := p.cg.parked; pe != nil && l.now.Sub(pe.since) >= time.Second {
			pe.since = l.now
			l.killTree(p)
			l.unpark(p)
		} else if pe == nil {
			delete(l.ct.parked, pid)
		}
	}
	for p := range l.ct.rechecks {
		if p.cg.oomRecheck.IsZero() || p.cg.group == nil {
			delete(l.ct.rechecks, p)
		} else if !l.now.Before(p.cg.oomRecheck) {
			p.cg.oomRecheck = time.Time{}
			delete(l.ct.rechecks, p)
			l.checkOOM(p)
		}
	}
	sample := !l.ct.next.IsZero() && !l.now.Before(l.ct.next)
	if sample {
		for _, g := range l.groups {
			for _, p := range g.procs {
				l.sampleMemory(p)
			}
		}
	}
	switch {
	case !l.needsSampling():
		l.ct.next = time.Time{}
	case sample || l.ct.next.IsZero():
		l.ct.next = l.now.Add(memorySampleEvery)
	}
}

func (l *loop) needsSampling() bool {
	if l.ct.ceilingsOf != l.sched.order+1 {
		l.ct.ceilingsOf = l.sched.order + 1
		l.ct.ceilings = false
		for _, g := range l.groups {
			for _, p := range g.procs {
				l.ct.ceilings = l.ct.ceilings || p.Config.Limits.MemoryRestartAbove > 0
			}
		}
	}
	if !l.ct.ceilings {
		return false
	}
	for _, g := range l.groups {
		for _, p := range g.procs {
			if p.Config.Limits.MemoryRestartAbove > 0 && p.State == process.Running {
				return true
			}
		}
	}
	return false
}

// containmentDeadlines adds the containment deadlines to the loop's
// timer.
func (l *loop) containmentDeadlines(consider func(time.Time)) {
	consider(l.ct.next)
	for _, p := range l.ct.parked {
		if pe := p.cg.parked; pe != nil {
			consider(pe.since.Add(time.Second))
		}
	}
	for p := range l.ct.rechecks {
		consider(p.cg.oomRecheck)
	}
}

// sampleMemory restarts p gracefully when its whole tree has stayed above
// memory_restart_above for memory_restart_after (pm2's
// max_memory_restart, monit's "if totalmem > X for N cycles then
// restart").
func (l *loop) sampleMemory(p *proc) {
	lim := p.Config.Limits
	if lim.MemoryRestartAbove <= 0 || p.State != process.Running || p.Pid == 0 || p.restartAfterStop {
		p.cg.aboveSince = time.Time{}
		return
	}
	mem := l.treeMemory(p)
	if mem <= uint64(lim.MemoryRestartAbove) {
		p.cg.aboveSince = time.Time{}
		return
	}
	if p.cg.aboveSince.IsZero() {
		p.cg.aboveSince = l.now
	}
	if l.now.Sub(p.cg.aboveSince) < lim.MemoryRestartAfter {
		return
	}
	p.cg.aboveSince = time.Time{}
	p.cg.restarts++
	l.Log(config.LevelWarn, fmt.Sprintf("memory: restarting '%s': its processes used %s, above memory_restart_above %s for %s",
		p.Config.Name, config.FormatBytes(int64(mem)), config.FormatBytes(lim.MemoryRestartAbove), lim.MemoryRestartAfter))
	p.restartAfterStop = true
	l.stopProc(p)
	l.markDirty()
}

// treeMemory is the memory of p's whole tree: its cgroup's, or without
// one the resident memory summed over its process group from /proc.
func (l *loop) treeMemory(p *proc) uint64 {
	if g := p.cg.group; g != nil {
		return g.Memory()
	}
	procs, err := procfs.AllProcs()
	if err != nil {
		return 0
	}
	var sum uint64
	for _, pr := range procs {
		st, err := pr.Stat()
		if err != nil || st.PGRP != p.Pid {
			continue
		}
		sum += uint64(max(st.ResidentMemory(), 0))
	}
	return sum
}

// fillUsage completes info.Usage from p's cgroup (read by the caller's
// goroutine, outside the loop) and the loop's OOM count.
func fillUsage(info *process.Info, g *cgroup.Group) {
	if g == nil {
		return
	}
	setUsage(info, g.Usage())
}

func setUsage(info *process.Info, u cgroup.Usage) {
	info.Usage.Measured = true
	info.Usage.CPUSeconds = u.CPUSeconds
	info.Usage.MemoryBytes = u.MemoryBytes
	info.Usage.MemoryPeakBytes = u.MemoryPeakBytes
	info.Usage.Tasks = u.Tasks
}

// MemoryRestarts counts, by "group:name", the restarts made for
// memory_restart_above.
func (s *Supervisor) MemoryRestarts() map[string]uint64 {
	snap := s.current()
	if snap == nil {
		return nil
	}
	var out map[string]uint64
	for i, g := range snap.groups {
		for j, n := range snap.memRestarts[i] {
			if n > 0 {
				if out == nil {
					out = map[string]uint64{}
				}
				out[g.Name+":"+g.Processes[j].Name] = n
			}
		}
	}
	return out
}
