package config

import (
	"reflect"
)

// Diff compares two configurations group by group, the way reloadConfig
// does: added groups are only in new, removed only in old, and changed
// groups are in both but differ in the group's own options or in any
// process config. A process's AUTO log path is not compared (it is chosen
// afresh at every load), and the [supervisord] environment counts as part
// of every process's environment. Added and changed groups are listed in
// new's order, removed ones in old's, as the reference lists them.
func Diff(old, new *Config) (added, changed, removed []string) {
	oldGroups := map[string]*Group{}
	newGroups := map[string]*Group{}
	if old != nil {
		for _, g := range old.Groups {
			oldGroups[g.Name] = g
		}
	}
	if new != nil {
		for _, g := range new.Groups {
			newGroups[g.Name] = g
		}
		for _, ng := range new.Groups {
			og, ok := oldGroups[ng.Name]
			switch {
			case !ok:
				added = append(added, ng.Name)
			case !sameGroup(old, og, new, ng):
				changed = append(changed, ng.Name)
			}
		}
	}
	if old != nil {
		for _, og := range old.Groups {
			if _, ok := newGroups[og.Name]; !ok {
				removed = append(removed, og.Name)
			}
		}
	}
	return added, changed, removed
}

func sameGroup(oc *Config, a *Group, nc *Config, b *Group) bool {
	if a.Kind != b.Kind || a.Priority != b.Priority || len(a.Processes) != len(b.Processes) {
		return false
	}
	switch a.Kind {
	case KindEventListener:
		if a.Pool == nil || b.Pool == nil {
			if a.Pool != b.Pool {
				return false
			}
		} else if a.Pool.BufferSize != b.Pool.BufferSize || a.Pool.ResultHandler != b.Pool.ResultHandler ||
			!sameSet(a.Pool.Events, b.Pool.Events) {
			return false
		}
	case KindFcgiProgram:
		au, bu := "", ""
		if a.Socket != nil {
			au = a.Socket.URL
		}
		if b.Socket != nil {
			bu = b.Socket.URL
		}
		if au != bu {
			return false
		}
	}
	for i := range a.Processes {
		if !sameProcess(oc, a.Processes[i], nc, b.Processes[i]) {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool {
	m := map[string]bool{}
	for _, x := range a {
		m[x] = true
	}
	n := map[string]bool{}
	for _, x := range b {
		n[x] = true
		if !m[x] {
			return false
		}
	}
	return len(m) == len(n)
}

func mergedEnv(c *Config, p *Process) map[string]string {
	env := map[string]string{}
	if c != nil {
		for _, e := range c.Supervisord.Environment {
			env[e.Key] = e.Value
		}
	}
	for _, e := range p.Environment {
		env[e.Key] = e.Value
	}
	return env
}

// comparable strips what must not count as a change.
func comparable(p *Process) Process {
	q := *p
	q.Pos = Pos{}
	q.Environment = nil
	q.StripANSI = false
	for _, s := range []*StreamLog{&q.Stdout, &q.Stderr} {
		if s.Auto {
			s.Targets = nil
		}
	}
	return q
}

func sameProcess(oc *Config, a *Process, nc *Config, b *Process) bool {
	if !reflect.DeepEqual(mergedEnv(oc, a), mergedEnv(nc, b)) {
		return false
	}
	ca, cb := comparable(a), comparable(b)
	// As in the reference, AUTO on either side makes the log file equal.
	if a.Stdout.Auto || b.Stdout.Auto {
		ca.Stdout.Targets, cb.Stdout.Targets, ca.Stdout.Auto, cb.Stdout.Auto = nil, nil, false, false
	}
	if a.Stderr.Auto || b.Stderr.Auto {
		ca.Stderr.Targets, cb.Stderr.Targets, ca.Stderr.Auto, cb.Stderr.Auto = nil, nil, false, false
	}
	return reflect.DeepEqual(ca, cb)
}
