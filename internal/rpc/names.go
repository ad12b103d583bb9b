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
