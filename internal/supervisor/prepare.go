package supervisor

import (
	"runtime"

	"supervisord/internal/config"
	"supervisord/internal/process"
)

// Opening a program's log files (an open with O_CREAT, a stat and a seek
// per file) costs about as much as forking it. When the loop is about to
// start many programs at once (at start-up, after a reload), their files
// are opened by a few goroutines ahead of the loop, which meanwhile forks:
// start-up then costs about the larger of the two, not their sum. A failed
// open is left for the spawn to redo and report, as before.

// preparedOutputs is a process's log streams being opened ahead of its
// spawn.
type preparedOutputs struct {
	done chan struct{} // closed when outs and err are set
	outs *outputs
	err  error
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
	}
	work := make(chan job, len(todo))
	for _, p := range todo {
		p.prep = &preparedOutputs{done: make(chan struct{})}
		work <- job{p.prep, p.Config}
	}
	close(work)
	for range max(2, runtime.GOMAXPROCS(0)) {
		go func() {
			for j := range work {
				j.prep.outs, j.prep.err = openOutputs(l, j.c)
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
}
