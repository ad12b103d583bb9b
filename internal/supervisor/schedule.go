package supervisor

import (
	"container/heap"
	"fmt"
	"slices"
	"syscall"
	"time"

	"supervisord/internal/config"
	"supervisord/internal/process"
	"supervisord/internal/reaper"
)

// The loop's scheduler: after an input the loop steps only the processes
// the input touched (the ready queue) and those whose deadline has come
// (the deadline heap), so an input costs O(what changed · log N) instead of
// a walk over every process. Inputs the loop cannot pin on processes — a
// control command, a signal, a change of mood or of the groups, an
// auxiliary child's exit, any change while depends_on is in use — mark
// every process ready, which is exactly the walk the loop used to do after
// every input. Touched processes are stepped in start order, so the log
// and the events come out in the order a full walk would give.
//
// A process's deadline (process.Proc.Deadline, the stop report a waiter
// needs, the pre_start_hook timeout) is recomputed whenever it was touched
// or stepped; nothing else moves it.

// schedule is the loop's side of the scheduler.
type schedule struct {
	all        bool    // step every process at the next step
	ready      []*proc // processes to step, unordered, each once
	refresh    []*proc // processes whose deadline may have moved
	refreshAll bool
	quiet      bool // the running command only reads (a snapshot)
	deadlines  deadlineHeap
	order      int // bumped when groups change
	numbered   int // order+1 when seq values are current
}

// slot is a process's place in the scheduler.
type slot struct {
	queued    bool      // in ready
	refreshed bool      // in refresh
	hidx      int       // index in the deadline heap, -1 when absent
	due       time.Time // its deadline in the heap
	seq       int       // place in start order
	gone      bool      // its group was removed

	prep *preparedOutputs // log files being opened ahead of a spawn
}

// touch marks p to be stepped and its deadline recomputed; nil marks
// every process.
func (l *loop) touch(p *proc) {
	if p == nil || l.graph != nil {
		// With depends_on a change can let any dependent move.
		l.touchAll()
		if p == nil {
			return
		}
	}
	if !p.queued {
		p.queued = true
		l.sched.ready = append(l.sched.ready, p)
	}
	if !p.refreshed {
		p.refreshed = true
		l.sched.refresh = append(l.sched.refresh, p)
	}
}

// touchAll marks every process to be stepped.
func (l *loop) touchAll() {
	l.sched.all = true
	l.sched.refreshAll = true
}

// groupsChanged is called when a group is added or removed.
func (l *loop) groupsChanged() {
	l.sched.order++
	l.touchAll()
}

// afterCommand follows every control command: it may have changed any
// process, unless it only read.
func (l *loop) afterCommand() {
	if l.sched.quiet {
		l.sched.quiet = false
		return
	}
	l.touchAll()
}

// takeReady returns the processes to step now, in start order: every
// process after a change that touched them all, else the touched ones and
// those whose deadline has come.
func (l *loop) takeReady() [][]*proc {
	l.popDue()
	s := &l.sched
	if s.all {
		s.all = false
		l.prepareOutputs()
		for _, p := range s.ready {
			p.queued = false
		}
		s.ready = s.ready[:0]
		all := make([][]*proc, len(l.groups))
		for i, g := range l.groups {
			all[i] = g.procs
		}
		return all
	}
	if len(s.ready) == 0 {
		return nil
	}
	out := make([]*proc, 0, len(s.ready))
	for _, p := range s.ready {
		p.queued = false
		if !p.gone {
			out = append(out, p)
		}
	}
	s.ready = s.ready[:0]
	if len(out) > 1 {
		l.numberProcs()
		slices.SortFunc(out, func(a, b *proc) int { return a.seq - b.seq })
	}
	return [][]*proc{out}
}

// numberProcs gives every process its place in start order, once per
// change of the groups.
func (l *loop) numberProcs() {
	if l.sched.numbered == l.sched.order+1 {
		return
	}
	n := 0
	for _, g := range l.groups {
		for _, p := range g.procs {
			p.seq = n
			n++
		}
	}
	l.sched.numbered = l.sched.order + 1
}

// popDue moves the processes whose deadline has come to the ready queue.
func (l *loop) popDue() {
	h := &l.sched.deadlines
	for len(*h) > 0 && !(*h)[0].due.After(l.now) {
		p := heap.Pop(h).(*proc)
		l.touch(p)
	}
}

// due is the earliest time p needs stepping, zero for none.
func (l *loop) due(p *proc) time.Time {
	next := p.Deadline(l.mood)
	earlier := func(t time.Time) {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if len(p.waiters) > 0 && p.State == process.Stopping {
		earlier(p.StopReportDue())
	}
	if p.Hook && !p.hookKilled {
		earlier(p.hookDeadline)
	}
	return next
}

// nextDue brings the deadlines of the touched processes up to date and
// returns the earliest, zero for none.
func (l *loop) nextDue() time.Time {
	s := &l.sched
	if s.refreshAll {
		s.refreshAll = false
		for _, p := range s.refresh {
			p.refreshed = false
		}
		s.refresh = s.refresh[:0]
		s.deadlines = s.deadlines[:0]
		for _, g := range l.groups {
			for _, p := range g.procs {
				p.hidx = -1
				if t := l.due(p); !t.IsZero() {
					p.due = t
					p.hidx = len(s.deadlines)
					s.deadlines = append(s.deadlines, p)
				}
			}
		}
		heap.Init(&s.deadlines)
	} else {
		for _, p := range s.refresh {
			p.refreshed = false
			if !p.gone {
				l.setDue(p, l.due(p))
			}
		}
		s.refresh = s.refresh[:0]
	}
	if len(s.deadlines) == 0 {
		return time.Time{}
	}
	return s.deadlines[0].due
}

// setDue puts p in the heap at t, or takes it out for a zero t.
func (l *loop) setDue(p *proc, t time.Time) {
	h := &l.sched.deadlines
	in := p.hidx >= 0 && p.hidx < len(*h) && (*h)[p.hidx] == p
	switch {
	case t.IsZero() && in:
		heap.Remove(h, p.hidx)
	case t.IsZero():
	case in:
		p.due = t
		heap.Fix(h, p.hidx)
	default:
		p.due = t
		heap.Push(h, p)
	}
}

// forget takes a removed process out of the scheduler.
func (l *loop) forget(p *proc) {
	l.takePrepared(p)
	l.setDue(p, time.Time{})
	p.hidx = -1
	p.gone = true
}

// hookTimeout kills p's pre_start_hook once its timeout has passed.
func (l *loop) hookTimeout(p *proc) {
	if p.Hook && !p.hookKilled && !p.hookDeadline.IsZero() && !l.now.Before(p.hookDeadline) {
		p.hookKilled = true
		l.Log(config.LevelWarn, fmt.Sprintf("pre_start_hook for '%s' timed out after %s; killing it", p.Config.Name, p.Config.PreStartHookTimeout))
		reaper.Kill(p.Pid, syscall.SIGKILL, true)
	}
}

// deadlineHeap orders processes by due time.
type deadlineHeap []*proc

func (h deadlineHeap) Len() int           { return len(h) }
func (h deadlineHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h deadlineHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].hidx = i
	h[j].hidx = j
}
func (h *deadlineHeap) Push(x any) {
	p := x.(*proc)
	p.hidx = len(*h)
	*h = append(*h, p)
}
func (h *deadlineHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	p.hidx = -1
	return p
}

// unstopped counts the processes not yet stopped: the shutdown asks
// after every input, so it is a count kept by StateChanged.
func (l *loop) unstopped() int { return l.alive }

// unstoppedNames lists them, for the "waiting for … to die" report.
func (l *loop) unstoppedNames() []string {
	var names []string
	for _, g := range l.groups {
		for _, p := range g.procs {
			if !p.State.IsStopped() {
				names = append(names, p.Config.Name)
			}
		}
	}
	return names
}
