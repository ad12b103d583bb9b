package supervisor

import (
	"runtime"

	"supervisord/internal/cgroup"
	"supervisord/internal/config"
	"supervisord/internal/process"
)

// Opening a program's log files (an open with O_CREAT, a stat and a seek
// per file) costs about as much as forking it, and so does making its
// cgroup (a directory in each hierarchy, its limits written, its events
// watched). When the loop is about to start many programs at once (at
// start-up, after a reload), their files are opened and their cgroups made
// by a few goroutines ahead of the loop, which meanwhile forks: start-up
// then costs about the larger of the two, not their sum. A failed open or
// mkdir is left for the spawn to redo and report, as before.

// preparedOutputs is a process's log streams being opened, and its cgroup
// made, ahead of its spawn.
type preparedOutputs struct {
	done chan struct{} // closed when the fields below are set
	outs *outputs
	err  error

	group   *cgroup.Group // nil when not made ahead
	oomSeen uint64        // the group's OOM kill count when made
}

// minPrepared is the fewest starts worth opening files ahead for.
const minPrepared = 8

// prepareOutputs opens ahead the outputs of every process the next step
// will start because of autostart.
func (l *loop) prepareOutputs() {
	if l.mood != process.SupervisorRunning {
		return
	}
	var todo []*proc
	for _, g := range l.groups {
		for _, p := range g.procs {
			c := p.Config
			if p.outs == nil && p.prep == nil && c.Autostart && p.State == process.Stopped &&
				p.LastStart.IsZero() && c.CommandError == "" && len(c.PreStartHook) == 0 {
				todo = append(todo, p)
			}
		}
	}
	if len(todo) < minPrepared {
		return
	}
	type job struct {
		prep *preparedOutputs
		c    *config.Process
		// The cgroup to make, when cgroups are in use and the limits
		// can be had (else the spawn reports why).
		group string
		lim   cgroup.Limits
	}
	m := l.mgr()
	work := make(chan job, len(todo))
	for _, p := range todo {
		p.prep = &preparedOutputs{done: make(chan struct{})}
		j := job{prep: p.prep, c: p.Config}
		if m != nil && p.cg.group == nil {
			if lim, err := groupLimits(m, p); err == nil {
				j.group, j.lim = cgroup.GroupName(p.Config.Group, p.Config.Name), lim
			}
		}
		work <- j
	}
	close(work)
	for range max(2, runtime.GOMAXPROCS(0)) {
		go func() {
			for j := range work {
				j.prep.outs, j.prep.err = openOutputs(l, j.c)
				if j.group != "" {
					if g, err := m.Group(j.group, j.lim); err == nil {
						j.prep.group, j.prep.oomSeen = g, g.OOMKills()
					}
				}
				close(j.prep.done)
			}
		}()
	}
}

// takePrepared waits for p's outputs opened ahead, if any, and adopts
// them.
func (l *loop) takePrepared(p *proc) {
	prep := p.prep
	if prep == nil {
		return
	}
	p.prep = nil
	<-prep.done
	if prep.err == nil && p.outs == nil {
		p.outs = prep.outs
	} else if prep.outs != nil {
		prep.outs.close()
	}
	// Adopted even when p is being removed or the daemon is stopping:
	// those paths remove p's cgroup right after.
	if g := prep.group; g != nil {
		if p.cg.group == nil {
			l.adoptGroup(p, g, prep.oomSeen)
		} else if err := g.Remove(); err != nil {
			l.Log(config.LevelDebug, "cgroups: could not remove a cgroup made ahead for '"+p.Config.Name+"': "+err.Error())
		}
	}
}
