package config

import (
	"sort"
	"strings"
)

// dependencies checks depends_on: every name must be a program and the
// graph must have no cycle.
func (l *loader) dependencies(cfg *Config) {
	deps := map[string][]string{}
	where := map[string]*Process{}
	for _, g := range cfg.Groups {
		for _, p := range g.Processes {
			if _, ok := where[p.ProgramSec]; !ok {
				where[p.ProgramSec] = p
				deps[p.ProgramSec] = p.DependsOn
			}
		}
	}
	known := func(n string) bool {
		return l.doc.sections["program:"+n] != nil || l.doc.sections["fcgi-program:"+n] != nil
	}
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, d := range deps[n] {
			if !known(d) {
				p := where[n]
				l.errorf(p.Pos, p.Section, "depends_on", "%s depends on unknown program %s", n, d)
			}
		}
	}
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(n string)
	visit = func(n string) {
		color[n] = grey
		stack = append(stack, n)
		for _, d := range deps[n] {
			switch color[d] {
			case grey:
				i := len(stack) - 1
				for stack[i] != d {
					i--
				}
				cycle := append(append([]string{}, stack[i:]...), d)
				p := where[n]
				l.errorf(p.Pos, p.Section, "depends_on", "dependency cycle: %s", strings.Join(cycle, " -> "))
			case white:
				if _, ok := deps[d]; ok {
					visit(d)
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
	}
	for _, n := range names {
		if color[n] == white {
			visit(n)
		}
	}
}
