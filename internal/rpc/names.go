package rpc

import (
	"supervisord/internal/faults"
	"supervisord/internal/process"

	"supervisord/internal/pycompat"
)

// resolve finds the group and process a specification names. proc is nil
// when the specification names a whole group.
func resolve(groups []GroupSnapshot, spec string) (*GroupSnapshot, *process.Info, error) {
	gname, pname := pycompat.SplitNamespec(spec)
	var g *GroupSnapshot
	for i := range groups {
		if groups[i].Name == gname {
			g = &groups[i]
			break
		}
	}
	if g == nil {
		return nil, nil, faults.New(faults.BadName, spec)
	}
	if pname == "" {
		return g, nil, nil
	}
	for i := range g.Processes {
		if g.Processes[i].Name == pname {
			return g, &g.Processes[i], nil
		}
	}
	return nil, nil, faults.New(faults.BadName, spec)
}

// rows is the backend's snapshot: shared when the backend is Indexed
// (the API never modifies it), else the copy Groups returns.
func (a *API) rows() []GroupSnapshot {
	if ix, ok := a.b.(Indexed); ok {
		return ix.Rows()
	}
	return a.b.Groups()
}

// resolve is resolve over the backend's snapshot, through its indexes
// when it has them.
func (a *API) resolve(spec string) (*GroupSnapshot, *process.Info, error) {
	ix, ok := a.b.(Indexed)
	if !ok {
		return resolve(a.b.Groups(), spec)
	}
	gname, pname := pycompat.SplitNamespec(spec)
	g, p, found := ix.Lookup(gname, pname)
	if !found {
		return nil, nil, faults.New(faults.BadName, spec)
	}
	return g, p, nil
}
