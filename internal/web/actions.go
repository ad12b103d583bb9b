package web

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"supervisord/internal/faults"
	"supervisord/internal/process"
	"supervisord/internal/pycompat"
	"supervisord/internal/rpc"
)

// action is one thing the status page can ask for.
type action struct {
	// Verb is the button label and the question on the confirmation page.
	Verb string
	// perProcess actions need a processname.
	perProcess bool
}

var actions = map[string]action{
	"refresh":    {Verb: "Refresh"},
	"start":      {Verb: "Start", perProcess: true},
	"stop":       {Verb: "Stop", perProcess: true},
	"restart":    {Verb: "Restart", perProcess: true},
	"clearlog":   {Verb: "Clear log of", perProcess: true},
	"signal":     {Verb: "Signal", perProcess: true},
	"stopall":    {Verb: "Stop all processes"},
	"restartall": {Verb: "Restart all processes"},
}

// splitNamespec splits "group:name" or "name" as Supervisor does;
// "group:" and "group:*" name no single process.
func splitNamespec(spec string) (group, name string) { return pycompat.SplitNamespec(spec) }

// namespec is the short name: "name" when group and process share it.
func namespec(group, name string) string { return pycompat.Namespec(group, name) }

// find returns the process spec names in groups.
func find(groups []rpc.GroupSnapshot, spec string) (process.Info, bool) {
	g, n := splitNamespec(spec)
	if n == "" {
		return process.Info{}, false
	}
	for _, grp := range groups {
		if grp.Name != g {
			continue
		}
		for _, p := range grp.Processes {
			if p.Name == n {
				return p, true
			}
		}
	}
	return process.Info{}, false
}

// perform carries out a known action and returns the message the status
// page shows afterwards, worded as Supervisor words it.
func (h *handler) perform(ctx context.Context, verb, spec string) string {
	ctime := func() string { return h.opts.Now().Format("Mon Jan _2 15:04:05 2006") }
	switch verb {
	case "refresh":
		return "Page refreshed at " + ctime()
	case "stopall":
		h.runAll(ctx, false)
		return "All stopped at " + ctime()
	case "restartall":
		h.runAll(ctx, false)
		h.runAll(ctx, true)
		return "All restarted at " + ctime()
	}
	info, ok := find(h.b.Groups(), spec)
	if !ok {
		return "No such process named " + spec
	}
	switch verb {
	case "start":
		if err := h.b.StartProcess(ctx, info.Group, info.Name, true); err != nil {
			return startError(spec, err)
		}
		return "Process " + spec + " started"
	case "stop":
		if err := h.b.StopProcess(ctx, info.Group, info.Name, true); err != nil {
			return unexpected(fault(err, spec))
		}
		return "Process " + spec + " stopped"
	case "restart":
		// Like the reference, a failed stop (e.g. the process was not
		// running) does not prevent the start. Unlike it, a failed start
		// is reported rather than hidden behind "restarted".
		_ = h.b.StopProcess(ctx, info.Group, info.Name, true)
		if err := h.b.StartProcess(ctx, info.Group, info.Name, true); err != nil {
			return startError(spec, err)
		}
		return "Process " + spec + " restarted"
	case "clearlog":
		if err := h.b.ClearProcessLogs(info.Group, info.Name); err != nil {
			return unexpected(fault(err, spec))
		}
		return "Log for " + spec + " cleared"
	}
	return "Unknown action " + verb
}

// runAll stops every running process (start false) or starts every
// stopped one (start true) and waits for all of them, as
// stopAllProcesses and startAllProcesses do. Failures are not reported,
// as in the reference.
func (h *handler) runAll(ctx context.Context, start bool) {
	var refs []rpc.ProcessRef
	for _, g := range h.b.Groups() {
		for _, p := range g.Processes {
			if p.State.IsRunning() != start {
				refs = append(refs, rpc.ProcessRef{Group: g.Name, Name: p.Name})
			}
		}
	}
	if len(refs) == 0 {
		return
	}
	if bb, ok := h.b.(rpc.BatchBackend); ok {
		ignore := func(int, error) {}
		if start {
			bb.StartProcesses(ctx, refs, true, ignore)
		} else {
			bb.StopProcesses(ctx, refs, true, ignore)
		}
		return
	}
	var wg sync.WaitGroup
	for _, p := range refs {
		wg.Go(func() {
			if start {
				h.b.StartProcess(ctx, p.Group, p.Name, true)
			} else {
				h.b.StopProcess(ctx, p.Group, p.Name, true)
			}
		})
	}
	wg.Wait()
}

// fault turns err into the fault a client of the API would have seen for
// spec.
func fault(err error, spec string) *faults.Error {
	var fe *faults.Error
	if !errors.As(err, &fe) {
		return faults.New(faults.Failed, err.Error())
	}
	c := *fe
	switch c.Code {
	case faults.BadName, faults.AlreadyStarted, faults.SpawnError, faults.AbnormalTermination, faults.NotRunning:
		c.Detail = spec
	}
	return &c
}

func unexpected(fe *faults.Error) string {
	return fmt.Sprintf("unexpected rpc fault [%d] %s", int(fe.Code), fe.FaultString())
}

func startError(spec string, err error) string {
	fe := fault(err, spec)
	var why string
	switch fe.Code {
	case faults.NoFile:
		why = "no such file"
	case faults.NotExecutable:
		why = "file not executable"
	case faults.AlreadyStarted:
		why = "already started"
	case faults.SpawnError:
		why = "spawn error"
	case faults.AbnormalTermination:
		why = "abnormal termination"
	default:
		why = unexpected(fe)
	}
	return "ERROR: Process " + spec + ": " + why
}

// isError reports whether a message reports a failure, for styling.
func isError(msg string) bool {
	for _, p := range []string{"ERROR", "unexpected rpc fault", "No such process", "Unknown action"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
