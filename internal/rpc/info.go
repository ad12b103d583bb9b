package rpc

import (
	"context"
	"sort"
	"supervisord/internal/process"
	"supervisord/internal/xmlrpc"
)

// Methods that describe processes and the daemon.

func (a *API) info(g *GroupSnapshot, p *process.Info, now int64) xmlrpc.Struct {
	st := xmlrpc.Struct{
		{Name: "name", Value: p.Name},
		{Name: "group", Value: g.Name},
		{Name: "start", Value: capInt(p.Start)},
		{Name: "stop", Value: capInt(p.Stop)},
		{Name: "now", Value: capInt(now)},
		{Name: "state", Value: int(p.State)},
		{Name: "statename", Value: p.State.String()},
		{Name: "spawnerr", Value: p.SpawnErr},
		{Name: "exitstatus", Value: p.ExitStatus},
		{Name: "logfile", Value: p.StdoutLogfile},
		{Name: "stdout_logfile", Value: p.StdoutLogfile},
		{Name: "stderr_logfile", Value: p.StderrLogfile},
		{Name: "pid", Value: p.Pid},
		{Name: "description", Value: describe(p, now, a.loc)},
	}
	if p.Health != "" {
		st = append(st, xmlrpc.Member{Name: "health", Value: p.Health})
	}
	st = append(st, usageMembers(p)...)
	return st
}

// capInt saturates a time stamp to the XML-RPC int range, as Supervisor
// does.
func capInt(n int64) int64 {
	return min(max(n, -1<<31), 1<<31-1)
}

func (a *API) getProcessInfo(_ context.Context, args []any) (any, error) {
	var spec string
	if err := a.decode(args, 1, 1, anyState, &spec); err != nil {
		return nil, err
	}
	g, p, err := a.process(spec)
	if err != nil {
		return nil, err
	}
	return infoRow{a: a, g: g, p: p, now: a.now().Unix()}, nil
}

func (a *API) getAllProcessInfo(_ context.Context, args []any) (any, error) {
	if err := a.decode(args, 0, 0, checkState); err != nil {
		return nil, err
	}
	return a.allInfoRows(a.rows(), a.now().Unix()), nil
}

// AllProcessInfo builds getAllProcessInfo's reply: rows ordered by group
// name, then process name.
func (a *API) AllProcessInfo(groups []GroupSnapshot, now int64) []xmlrpc.Struct {
	order := make([]int, len(groups))
	n := 0
	for i := range groups {
		order[i] = i
		n += len(groups[i].Processes)
	}
	sort.SliceStable(order, func(x, y int) bool { return groups[order[x]].Name < groups[order[y]].Name })
	out := make([]xmlrpc.Struct, 0, n)
	var idx []int
	for _, gi := range order {
		g := &groups[gi]
		idx = idx[:0]
		for i := range g.Processes {
			idx = append(idx, i)
		}
		sort.SliceStable(idx, func(x, y int) bool { return g.Processes[idx[x]].Name < g.Processes[idx[y]].Name })
		for _, i := range idx {
			out = append(out, a.info(g, &g.Processes[i], now))
		}
	}
	return out
}

func (a *API) getState() (any, error) {
	s := a.b.State()
	return xmlrpc.Struct{{Name: "statecode", Value: int(s)}, {Name: "statename", Value: s.String()}}, nil
}
