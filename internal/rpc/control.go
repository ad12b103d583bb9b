package rpc

import (
	"context"
	"supervisord/internal/faults"
	"supervisord/internal/process"
	"supervisord/internal/pycompat"
	"sync"
)

// startProcess, stopProcess and their group and all-process forms.

func (a *API) startProcess(ctx context.Context, args []any) (any, error) {
	return a.control(ctx, args, true)
}

func (a *API) stopProcess(ctx context.Context, args []any) (any, error) {
	return a.control(ctx, args, false)
}

// control is startProcess (start) or stopProcess: one process, or a whole
// group when the name is "group:*".
func (a *API) control(ctx context.Context, args []any, start bool) (any, error) {
	var spec string
	wait := true
	if err := a.decode(args, 1, 2, checkState, &spec, &wait); err != nil {
		return nil, err
	}
	g, p, err := a.resolve(spec)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return a.runGroup(ctx, g.Name, wait, start)
	}
	act := a.b.StopProcess
	if start {
		act = a.b.StartProcess
	}
	return true, renamed(act(ctx, g.Name, p.Name, wait), spec, nameFaults...)
}

func (a *API) groupCall(start bool) func(context.Context, []any) (any, error) {
	return func(ctx context.Context, args []any) (any, error) {
		var name string
		wait := true
		if err := a.decode(args, 1, 2, checkState, &name, &wait); err != nil {
			return nil, err
		}
		return a.runGroup(ctx, name, wait, start)
	}
}

func (a *API) allCall(start bool) func(context.Context, []any) (any, error) {
	return func(ctx context.Context, args []any) (any, error) {
		wait := true
		if err := a.decode(args, 0, 1, checkState, &wait); err != nil {
			return nil, err
		}
		var procs []ProcessRef
		var infos []process.Info
		for _, g := range a.rows() {
			for _, p := range g.Processes {
				procs = append(procs, ProcessRef{g.Name, p.Name})
				infos = append(infos, p)
			}
		}
		return a.runMany(ctx, procs, infos, wait, start), nil
	}
}

func (a *API) runGroup(ctx context.Context, name string, wait, start bool) (any, error) {
	var g *GroupSnapshot
	groups := a.rows()
	for i := range groups {
		if groups[i].Name == name {
			g = &groups[i]
		}
	}
	if g == nil {
		return nil, faults.New(faults.BadName, name)
	}
	procs := make([]ProcessRef, len(g.Processes))
	for i, p := range g.Processes {
		procs[i] = ProcessRef{g.Name, p.Name}
	}
	return a.runMany(ctx, procs, g.Processes, wait, start), nil
}

// runMany starts (or stops) the processes that are not running (or are
// running), collecting one result row per process acted on, in the order
// Supervisor reports them.
func (a *API) runMany(ctx context.Context, all []ProcessRef, infos []process.Info, wait, start bool) []any {
	var procs []ProcessRef
	for i, p := range all {
		if infos[i].State.IsRunning() != start {
			procs = append(procs, p)
		}
	}
	results := []any{}
	var mu sync.Mutex // guards results
	done := func(i int, err error) {
		spec := pycompat.Namespec(procs[i].Group, procs[i].Name)
		err = renamed(err, spec, nameFaults...)
		mu.Lock()
		results = append(results, result(procs[i].Group, procs[i].Name, err))
		mu.Unlock()
	}
	act := a.b.StopProcess
	if start {
		act = a.b.StartProcess
	}
	switch bb, ok := a.b.(BatchBackend); {
	case ok && start:
		bb.StartProcesses(ctx, procs, wait, done)
	case ok:
		bb.StopProcesses(ctx, procs, wait, done)
	case !wait:
		for i, p := range procs {
			done(i, act(ctx, p.Group, p.Name, false))
		}
	default:
		// Wait for all at once, then report in process order: the
		// order Supervisor reports processes that finish together.
		errs := make([]error, len(procs))
		var wg sync.WaitGroup
		for i, p := range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = act(ctx, p.Group, p.Name, true)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			done(i, err)
		}
	}
	return results
}
