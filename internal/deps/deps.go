// Package deps orders processes by their depends_on declarations.
//
// A program may say it depends on other programs (by section name, or by
// group name when no program has that name). Every process instance of the
// depending program then waits for every process instance of the programs
// it names: a dependency on a program with numprocs=3 means all three.
//
// Everything here is pure: a Graph is built once from a validated
// configuration and answered from the supervisor loop, which supplies the
// current readiness of processes as a function.
package deps

import (
	"container/heap"
	"errors"
	"fmt"
	"sort"
	"strings"

	"supervisord/internal/config"
	"supervisord/internal/process"
)

// Graph is the dependency graph of a configuration's processes. Processes
// are named by their full names ("group:name"). A Graph is immutable and
// safe for concurrent readers.
type Graph struct {
	// names in configuration order: groups by (priority, name), processes
	// within a group by (priority, name), which is Supervisor's start order.
	names []string
	index map[string]int // full name -> position in names
	// deps[i] holds the indexes of the processes that process i waits for
	// directly, sorted ascending; rdeps is the reverse relation.
	deps  [][]int
	rdeps [][]int
	order []int // start order: positions in names
}

// node is one program (or group) that can be named in depends_on.
type node struct {
	name      string
	procs     []int    // positions in Graph.names
	dependsOn []string // as written, deduplicated, in order
	pos       config.Pos
}

// Validate reports every problem with the depends_on declarations of cfg:
// unknown names and cycles. It returns nil when New would succeed.
func Validate(cfg *config.Config) error {
	_, err := New(cfg)
	return err
}

// New builds the graph of cfg. Errors (all of them, joined) name both ends
// of each bad edge, for example
//
//	program "a" depends on "b", which depends on "a"
func New(cfg *config.Config) (*Graph, error) {
	g := &Graph{index: map[string]int{}}
	programs := map[string]*node{} // by program section name
	var programOrder []string
	groups := map[string][]int{} // group name -> processes
	for _, grp := range cfg.Groups {
		for _, p := range grp.Processes {
			full := grp.Name + ":" + p.Name
			if _, dup := g.index[full]; dup {
				continue
			}
			i := len(g.names)
			g.names = append(g.names, full)
			g.index[full] = i
			groups[grp.Name] = append(groups[grp.Name], i)

			sec := p.ProgramSec
			if sec == "" {
				sec = p.Name
			}
			n := programs[sec]
			if n == nil {
				n = &node{name: sec, pos: p.Pos}
				programs[sec] = n
				programOrder = append(programOrder, sec)
			}
			n.procs = append(n.procs, i)
			for _, d := range p.DependsOn {
				d = strings.TrimSpace(d)
				if d != "" && !contains(n.dependsOn, d) {
					n.dependsOn = append(n.dependsOn, d)
				}
			}
		}
	}

	// resolve maps a depends_on entry to the program it names: a program
	// section first, else a group (which stands for all its processes).
	resolve := func(name string) ([]int, *node, bool) {
		if n, ok := programs[name]; ok {
			return n.procs, n, true
		}
		if procs, ok := groups[name]; ok {
			return procs, nil, true
		}
		return nil, nil, false
	}

	var errs []error
	g.deps = make([][]int, len(g.names))
	g.rdeps = make([][]int, len(g.names))
	for _, sec := range programOrder {
		n := programs[sec]
		for _, d := range n.dependsOn {
			target, _, ok := resolve(d)
			if !ok {
				errs = append(errs, at(n.pos, fmt.Errorf("program %q depends on %q, which is not defined", n.name, d)))
				continue
			}
			for _, from := range n.procs {
				for _, to := range target {
					if from == to {
						continue // a group naming itself is reported as a cycle below
					}
					g.deps[from] = append(g.deps[from], to)
				}
			}
		}
	}
	for i := range g.deps {
		g.deps[i] = uniqSorted(g.deps[i])
		for _, d := range g.deps[i] {
			g.rdeps[d] = append(g.rdeps[d], i)
		}
	}
	errs = append(errs, findCycles(programs, programOrder, resolve, groups)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	g.order = g.topo()
	return g, nil
}

// findCycles reports each cycle among programs once, starting from the
// program that comes first in configuration order.
func findCycles(programs map[string]*node, order []string, resolve func(string) ([]int, *node, bool), groups map[string][]int) []error {
	// Build the program-level graph: a program depends on the programs of
	// every process it waits for.
	procProgram := map[int]string{}
	for _, sec := range order {
		for _, i := range programs[sec].procs {
			procProgram[i] = sec
		}
	}
	edges := map[string][]string{}
	for _, sec := range order {
		n := programs[sec]
		for _, d := range n.dependsOn {
			procs, target, ok := resolve(d)
			if !ok {
				continue
			}
			if target != nil {
				if !contains(edges[sec], target.name) {
					edges[sec] = append(edges[sec], target.name)
				}
				continue
			}
			for _, i := range procs {
				if p := procProgram[i]; !contains(edges[sec], p) {
					edges[sec] = append(edges[sec], p)
				}
			}
		}
	}

	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var errs []error
	var stack []string
	var visit func(string)
	visit = func(u string) {
		color[u] = grey
		stack = append(stack, u)
		for _, v := range edges[u] {
			switch color[v] {
			case white:
				visit(v)
			case grey:
				// stack from v to u is the cycle.
				start := len(stack) - 1
				for stack[start] != v {
					start--
				}
				errs = append(errs, at(programs[v].pos, cycleError(stack[start:])))
			}
		}
		stack = stack[:len(stack)-1]
		color[u] = black
	}
	for _, sec := range order {
		if color[sec] == white {
			visit(sec)
		}
	}
	return errs
}

func cycleError(cycle []string) error {
	if len(cycle) == 1 {
		return fmt.Errorf("program %q depends on itself", cycle[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "program %q depends on %q", cycle[0], cycle[1])
	for _, name := range cycle[2:] {
		fmt.Fprintf(&b, ", which depends on %q", name)
	}
	fmt.Fprintf(&b, ", which depends on %q", cycle[0])
	return errors.New(b.String())
}

func at(pos config.Pos, err error) error {
	if pos.File == "" {
		return err
	}
	return fmt.Errorf("%s:%d: %w", pos.File, pos.Line, err)
}

// topo is Kahn's algorithm, always taking the ready process that comes
// first in configuration order, so independent processes keep
// Supervisor's priority order.
func (g *Graph) topo() []int {
	pending := make([]int, len(g.names))
	var ready intHeap
	for i := range g.names {
		pending[i] = len(g.deps[i])
		if pending[i] == 0 {
			ready = append(ready, i)
		}
	}
	heap.Init(&ready)
	order := make([]int, 0, len(g.names))
	for ready.Len() > 0 {
		i := heap.Pop(&ready).(int)
		order = append(order, i)
		for _, r := range g.rdeps[i] {
			pending[r]--
			if pending[r] == 0 {
				heap.Push(&ready, r)
			}
		}
	}
	return order
}

// Order is the start order of every process: each after everything it
// depends on, and otherwise in Supervisor's order (group priority, then
// process priority, then name).
func (g *Graph) Order() []string { return g.namesOf(g.order) }

// StopOrder is Order reversed: every process stops before the processes
// it depends on.
func (g *Graph) StopOrder() []string {
	out := g.Order()
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// Has reports whether name is a process of the graph.
func (g *Graph) Has(name string) bool {
	_, ok := g.index[name]
	return ok
}

// DependsOn returns the processes that name waits for directly, in start
// order. It is nil for an unknown name.
func (g *Graph) DependsOn(name string) []string {
	i, ok := g.index[name]
	if !ok {
		return nil
	}
	return g.inOrder(g.deps[i])
}

// StartBefore returns every process that must be running before name can
// start (its dependencies, transitively), in start order, without name
// itself. Starting them in this order and then name satisfies every
// dependency.
func (g *Graph) StartBefore(name string) []string {
	i, ok := g.index[name]
	if !ok {
		return nil
	}
	return g.closure(i, g.deps, false)
}

// StopBefore returns every process that depends on name, transitively, in
// stop order (dependents of dependents first), without name itself:
// stopping them in this order and then name never leaves a process running
// without something it needs.
func (g *Graph) StopBefore(name string) []string {
	i, ok := g.index[name]
	if !ok {
		return nil
	}
	return g.closure(i, g.rdeps, true)
}

// closure collects everything reachable from i along edges and returns it
// in start order (or stop order when reverse).
func (g *Graph) closure(i int, edges [][]int, reverse bool) []string {
	seen := map[int]bool{i: true}
	work := []int{i}
	for len(work) > 0 {
		u := work[len(work)-1]
		work = work[:len(work)-1]
		for _, v := range edges[u] {
			if !seen[v] {
				seen[v] = true
				work = append(work, v)
			}
		}
	}
	delete(seen, i)
	var out []string
	for _, j := range g.order {
		if seen[j] {
			out = append(out, g.names[j])
		}
	}
	if reverse {
		for a, b := 0, len(out)-1; a < b; a, b = a+1, b-1 {
			out[a], out[b] = out[b], out[a]
		}
	}
	return out
}

func (g *Graph) inOrder(set []int) []string {
	want := map[int]bool{}
	for _, j := range set {
		want[j] = true
	}
	var out []string
	for _, j := range g.order {
		if want[j] {
			out = append(out, g.names[j])
		}
	}
	return out
}

// Ready tells whether a process counts as started for the processes that
// depend on it. It receives a full name.
type Ready func(name string) bool

// IsUp is the usual readiness rule: the process is RUNNING and, when it
// has a liveness check, the check has passed (health "healthy"). A process
// whose check has not answered yet ("unknown") is not up.
func IsUp(info process.Info) bool {
	return info.State == process.Running && (info.Health == "" || info.Health == "healthy")
}

// ReadyFromInfos builds a Ready from a snapshot of process rows using
// IsUp. Names missing from the snapshot are not ready.
func ReadyFromInfos(infos []process.Info) Ready {
	up := make(map[string]bool, len(infos))
	for _, in := range infos {
		up[in.FullName()] = IsUp(in)
	}
	return func(name string) bool { return up[name] }
}

// MayStart reports whether name may be started now: every process it
// depends on directly is ready. When it may not, waiting lists the
// dependencies that are not ready, in start order. An unknown name has no
// dependencies and may start (the caller reports BAD_NAME itself).
func (g *Graph) MayStart(name string, ready Ready) (ok bool, waiting []string) {
	for _, d := range g.DependsOn(name) {
		if !ready(d) {
			waiting = append(waiting, d)
		}
	}
	return len(waiting) == 0, waiting
}

// Blocked reports the dependencies of name (direct or transitive) for
// which failed returns true, in start order: if any, name cannot start
// until they are started again by hand. The loop uses it to give up on a
// waiting process when, say, a dependency went FATAL.
func (g *Graph) Blocked(name string, failed func(name string) bool) []string {
	var out []string
	for _, d := range g.StartBefore(name) {
		if failed(d) {
			out = append(out, d)
		}
	}
	return out
}

func (g *Graph) namesOf(idx []int) []string {
	out := make([]string, len(idx))
	for k, i := range idx {
		out[k] = g.names[i]
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func uniqSorted(s []int) []int {
	if len(s) == 0 {
		return nil
	}
	sort.Ints(s)
	out := s[:1]
	for _, v := range s[1:] {
		if v != out[len(out)-1] {
			out = append(out, v)
		}
	}
	return out
}

// intHeap is a min-heap of process positions.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
