package process

import (
	"errors"
	"reflect"
	"syscall"
	"testing"
)

// inState returns a process put directly in state s as the machine would
// have left it: a child (pid 7) in the states that have one, the kill
// under way in STOPPING, started at t0 with startsecs of one second.
// UNKNOWN has no child here: the one whose signal failed is gone.
func inState(s State) *Proc {
	p := newProc(nil)
	p.State = s
	p.LastStart = at(0)
	switch s {
	case Starting, Running, Stopping:
		p.Pid = 7
	}
	if s == Stopping {
		p.Killing = true
		p.Delay = at(10)
	}
	if s == Backoff {
		p.Backoff = 1
	}
	return p
}

// firing is how the test makes an event happen: the Proc method that
// fires it, under the conditions that make the Proc choose that event.
type firing struct {
	// prepare sets what the event needs before the process is compared.
	prepare func(p *Proc)
	fire    func(p *Proc, r *recorder) error
	// then is the event that follows when the first one moves the
	// process to the state where it applies (a failing kill(2) happens
	// in STOPPING, a failing signal in the state the signal leaves).
	then   Event
	thenIn []State
}

var firings = map[Event]firing{
	EventSpawn: {fire: func(p *Proc, r *recorder) error { return p.Spawn(r, at(10)) }},
	EventSpawnFailed: {fire: func(p *Proc, r *recorder) error {
		return p.SpawnFailed(r, "no such file", at(10))
	}},
	EventHookDone: {
		prepare: func(p *Proc) { p.Hook = p.State == Starting },
		fire:    func(p *Proc, r *recorder) error { return p.HookDone(r, 8, at(10)) },
	},
	EventStarted:   {fire: func(p *Proc, r *recorder) error { return p.started(r, at(10)) }},
	EventExitEarly: {fire: func(p *Proc, r *recorder) error { return p.Exited(r, 1, "exit status 1", at(0.5)) }},
	EventExit:      {fire: func(p *Proc, r *recorder) error { return p.Exited(r, 1, "exit status 1", at(10)) }},
	EventKill:      {fire: func(p *Proc, r *recorder) error { return p.Kill(r, syscall.SIGTERM, at(10)) }},
	EventSignal:    {fire: func(p *Proc, r *recorder) error { return p.Signal(r, syscall.SIGHUP, at(10)) }},
	EventKillFailed: {fire: func(p *Proc, r *recorder) error {
		r.killErr = syscall.EPERM
		return p.Kill(r, syscall.SIGTERM, at(10))
	}, then: EventKillFailed, thenIn: []State{Stopping}},
	EventSignalFailed: {fire: func(p *Proc, r *recorder) error {
		r.killErr = syscall.EPERM
		return p.Signal(r, syscall.SIGHUP, at(10))
	}, then: EventSignalFailed, thenIn: []State{Starting, Running, Stopping}},
	EventGiveUp: {fire: func(p *Proc, r *recorder) error { return p.GiveUp(r, at(10)) }},
	EventReady:  {fire: func(p *Proc, r *recorder) error { return p.MarkReady(r, "ready", at(10)) }},
	EventNotReadyExit: {
		prepare: func(p *Proc) { p.Life.notReady = true },
		fire:    func(p *Proc, r *recorder) error { return p.Exited(r, 0, "exit status 0", at(10)) },
	},
}

// firstEvent is the event a firing's method performs first: the failing
// kill and signal are a kill and a signal that then fail.
func firstEvent(ev Event) Event {
	switch ev {
	case EventKillFailed:
		return EventKill
	case EventSignalFailed:
		return EventSignal
	}
	return ev
}

// TestTransitionTable walks every cell of state × event. Where the table
// allows the event the Proc must end in the table's state, having told
// the world of each change; where it does not, the Proc must fail and
// change nothing at all.
func TestTransitionTable(t *testing.T) {
	if len(firings) != numEvents {
		t.Fatalf("%d events have a firing, want all %d", len(firings), numEvents)
	}
	for _, s := range States {
		if _, ok := transitions[s]; !ok {
			t.Errorf("state %s has no row in the table", s)
		}
		for ev := Event(0); ev < numEvents; ev++ {
			t.Run(s.String()+"/"+ev.String(), func(t *testing.T) {
				f := firings[ev]
				first := firstEvent(ev)
				// An exit before startsecs outside STARTING is a plain
				// exit: only STARTING tells the two apart.
				if ev == EventExitEarly && s != Starting {
					first = EventExit
				}
				want, err := Next(s, first)
				legal := err == nil
				if legal && f.then == ev {
					for _, in := range f.thenIn {
						if in == want {
							want, err = Next(want, f.then)
							if err != nil {
								t.Fatalf("table: %s then %s from %s: %v", first, ev, s, err)
							}
							break
						}
					}
				}
				p := inState(s)
				if f.prepare != nil {
					f.prepare(p)
				}
				before := *p
				r := &recorder{}
				err = f.fire(p, r)
				if !legal {
					if err == nil {
						t.Fatalf("%s in %s: no error, state %s; the table forbids it", ev, s, p.State)
					}
					if !errors.Is(err, ErrBadTransition) && !errors.Is(err, ErrNotRunning) {
						t.Fatalf("%s in %s: error %v is neither ErrBadTransition nor ErrNotRunning", ev, s, err)
					}
					if !reflect.DeepEqual(before, *p) {
						t.Fatalf("%s in %s failed but changed the process:\nbefore %+v\nafter  %+v", ev, s, before, *p)
					}
					if len(r.states) != 0 || len(r.kills) != 0 {
						t.Fatalf("%s in %s failed but acted: states %v kills %v", ev, s, r.states, r.kills)
					}
					return
				}
				if err != nil && !errors.Is(err, ErrSignalFailed) {
					t.Fatalf("%s in %s: %v; the table allows it", ev, s, err)
				}
				if p.State != want {
					t.Fatalf("%s in %s: state %s, table says %s", ev, s, p.State, want)
				}
				for _, line := range r.lines {
					if len(line) >= 4 && line[:4] == "BUG:" {
						t.Fatalf("%s in %s: %s", ev, s, line)
					}
				}
			})
		}
	}
}

// TestEveryMoveIsInTheTable checks the consistency check changeState
// makes: a move no event allows is logged as a bug, never made silently.
func TestEveryMoveIsInTheTable(t *testing.T) {
	r := &recorder{}
	p := inState(Fatal)
	p.changeState(r, Running, true, at(1))
	if len(r.lines) != 1 || r.lines[0] != "BUG: web moved from FATAL to RUNNING, which the transition table does not allow" {
		t.Fatalf("log %q", r.lines)
	}
}

func TestGiveUpChecksBeforeChanging(t *testing.T) {
	r := &recorder{}
	p := inState(Running)
	p.Delay = at(5)
	p.Backoff = 2
	err := p.GiveUp(r, at(1))
	if !errors.Is(err, ErrBadTransition) {
		t.Fatalf("GiveUp in RUNNING: %v", err)
	}
	if p.Delay != at(5) || p.Backoff != 2 || p.SystemStop {
		t.Fatalf("GiveUp changed the process before failing: %+v", p)
	}
	if got := err.Error(); got != "illegal transition: web: give up in state RUNNING" {
		t.Fatalf("error %q does not name the process and state", got)
	}
}
