package deps

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"supervisord/internal/config"
	"supervisord/internal/process"
)

// prog describes one program for a test configuration.
type prog struct {
	name     string
	group    string // "" means a group of its own
	priority int
	numprocs int
	deps     []string
}

// build makes a configuration with groups in Supervisor's order, as the
// config package produces it.
func build(progs ...prog) *config.Config {
	cfg := &config.Config{}
	byGroup := map[string]*config.Group{}
	for line, p := range progs {
		gname := p.group
		if gname == "" {
			gname = p.name
		}
		g := byGroup[gname]
		if g == nil {
			g = &config.Group{Name: gname, Priority: p.priority}
			byGroup[gname] = g
			cfg.Groups = append(cfg.Groups, g)
		}
		n := p.numprocs
		if n == 0 {
			n = 1
		}
		for i := 0; i < n; i++ {
			name := p.name
			if p.numprocs > 0 {
				name = fmt.Sprintf("%s_%02d", p.name, i)
			}
			g.Processes = append(g.Processes, &config.Process{
				Name: name, Group: gname, ProgramSec: p.name, ProcessNum: i,
				Priority: p.priority, DependsOn: p.deps,
				Pos: config.Pos{File: "s.conf", Line: line + 1},
			})
		}
	}
	// Supervisor's order: group priority, then name.
	for i := range cfg.Groups {
		for j := i + 1; j < len(cfg.Groups); j++ {
			a, b := cfg.Groups[i], cfg.Groups[j]
			if b.Priority < a.Priority || (b.Priority == a.Priority && b.Name < a.Name) {
				cfg.Groups[i], cfg.Groups[j] = b, a
			}
		}
	}
	return cfg
}

func TestOrder(t *testing.T) {
	tests := []struct {
		name  string
		progs []prog
		want  []string
	}{
		{
			name:  "no dependencies keeps priority order",
			progs: []prog{{name: "c", priority: 1}, {name: "a", priority: 999}, {name: "b", priority: 5}},
			want:  []string{"c:c", "b:b", "a:a"},
		},
		{
			name: "dependency moves a low priority program first",
			progs: []prog{
				{name: "web", priority: 1, deps: []string{"db"}},
				{name: "db", priority: 999},
				{name: "cron", priority: 500},
			},
			want: []string{"cron:cron", "db:db", "web:web"},
		},
		{
			name: "chain",
			progs: []prog{
				{name: "a", deps: []string{"b"}}, {name: "b", deps: []string{"c"}}, {name: "c"},
			},
			want: []string{"c:c", "b:b", "a:a"},
		},
		{
			name: "diamond",
			progs: []prog{
				{name: "top", deps: []string{"left", "right"}},
				{name: "left", deps: []string{"base"}},
				{name: "right", deps: []string{"base"}},
				{name: "base", priority: 1000},
			},
			want: []string{"base:base", "left:left", "right:right", "top:top"},
		},
		{
			name: "numprocs: all instances first",
			progs: []prog{
				{name: "app", deps: []string{"worker"}},
				{name: "worker", numprocs: 3, priority: 1000},
			},
			want: []string{"worker:worker_00", "worker:worker_01", "worker:worker_02", "app:app"},
		},
		{
			name: "programs inside a group",
			progs: []prog{
				{name: "api", group: "svc", priority: 10, deps: []string{"cache"}},
				{name: "cache", group: "svc", priority: 1000},
				{name: "other", priority: 5},
			},
			want: []string{"other:other", "svc:cache", "svc:api"},
		},
		{
			name: "depending on a group name",
			progs: []prog{
				{name: "front", priority: 1, deps: []string{"back"}},
				{name: "x", group: "back", priority: 50},
				{name: "y", group: "back", priority: 50},
			},
			want: []string{"back:x", "back:y", "front:front"},
		},
		{
			name: "duplicate and blank entries are ignored",
			progs: []prog{
				{name: "a", deps: []string{"b", " b ", ""}}, {name: "b", priority: 1000},
			},
			want: []string{"b:b", "a:a"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(build(tt.progs...))
			if err != nil {
				t.Fatal(err)
			}
			if got := g.Order(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Order() = %q, want %q", got, tt.want)
			}
			want := append([]string(nil), tt.want...)
			for i, j := 0, len(want)-1; i < j; i, j = i+1, j-1 {
				want[i], want[j] = want[j], want[i]
			}
			if got := g.StopOrder(); !reflect.DeepEqual(got, want) {
				t.Errorf("StopOrder() = %q, want %q", got, want)
			}
		})
	}
}

func TestValidateErrors(t *testing.T) {
	tests := []struct {
		name  string
		progs []prog
		want  []string
	}{
		{
			name:  "unknown name",
			progs: []prog{{name: "a", deps: []string{"nope"}}},
			want:  []string{`s.conf:1: program "a" depends on "nope", which is not defined`},
		},
		{
			name:  "two-program cycle",
			progs: []prog{{name: "a", deps: []string{"b"}}, {name: "b", deps: []string{"a"}}},
			want:  []string{`program "a" depends on "b", which depends on "a"`},
		},
		{
			name: "three-program cycle",
			progs: []prog{
				{name: "a", deps: []string{"b"}}, {name: "b", deps: []string{"c"}}, {name: "c", deps: []string{"a"}},
			},
			want: []string{`program "a" depends on "b", which depends on "c", which depends on "a"`},
		},
		{
			name:  "self",
			progs: []prog{{name: "a", deps: []string{"a"}}},
			want:  []string{`program "a" depends on itself`},
		},
		{
			name:  "self through own group",
			progs: []prog{{name: "a", group: "g", deps: []string{"g"}}, {name: "b", group: "g"}},
			want:  []string{`program "a" depends on itself`},
		},
		{
			name: "cycle through numprocs",
			progs: []prog{
				{name: "w", numprocs: 2, deps: []string{"m"}}, {name: "m", deps: []string{"w"}},
			},
			want: []string{`program "m" depends on "w", which depends on "m"`},
		},
		{
			name: "every error at once",
			progs: []prog{
				{name: "a", deps: []string{"x"}}, {name: "b", deps: []string{"c"}}, {name: "c", deps: []string{"b"}},
			},
			want: []string{`program "a" depends on "x", which is not defined`, `program "b" depends on "c", which depends on "b"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(build(tt.progs...))
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
			if n := strings.Count(err.Error(), "\n") + 1; n != len(tt.want) {
				t.Errorf("Validate() gave %d errors, want %d: %q", n, len(tt.want), err)
			}
		})
	}
}

func TestStartAndStopBefore(t *testing.T) {
	g, err := New(build(
		prog{name: "web", deps: []string{"api"}},
		prog{name: "api", deps: []string{"db", "queue"}},
		prog{name: "db", priority: 10},
		prog{name: "queue", numprocs: 2, priority: 20},
		prog{name: "lonely"},
	))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		before     []string
		stopBefore []string
		direct     []string
	}{
		{"web:web", []string{"db:db", "queue:queue_00", "queue:queue_01", "api:api"}, nil, []string{"api:api"}},
		{"api:api", []string{"db:db", "queue:queue_00", "queue:queue_01"}, []string{"web:web"}, []string{"db:db", "queue:queue_00", "queue:queue_01"}},
		{"db:db", nil, []string{"web:web", "api:api"}, nil},
		{"queue:queue_01", nil, []string{"web:web", "api:api"}, nil},
		{"lonely:lonely", nil, nil, nil},
		{"missing:missing", nil, nil, nil},
	}
	for _, tt := range tests {
		if got := g.StartBefore(tt.name); !reflect.DeepEqual(got, tt.before) {
			t.Errorf("StartBefore(%q) = %q, want %q", tt.name, got, tt.before)
		}
		if got := g.StopBefore(tt.name); !reflect.DeepEqual(got, tt.stopBefore) {
			t.Errorf("StopBefore(%q) = %q, want %q", tt.name, got, tt.stopBefore)
		}
		if got := g.DependsOn(tt.name); !reflect.DeepEqual(got, tt.direct) {
			t.Errorf("DependsOn(%q) = %q, want %q", tt.name, got, tt.direct)
		}
	}
}

func TestMayStart(t *testing.T) {
	g, err := New(build(
		prog{name: "app", deps: []string{"db", "worker"}},
		prog{name: "db"},
		prog{name: "worker", numprocs: 2},
	))
	if err != nil {
		t.Fatal(err)
	}
	row := func(full string, st process.State, health string) process.Info {
		grp, name, _ := strings.Cut(full, ":")
		return process.Info{Group: grp, Name: name, State: st, Health: health}
	}
	tests := []struct {
		name    string
		infos   []process.Info
		ok      bool
		waiting []string
	}{
		{"nothing running", nil, false, []string{"db:db", "worker:worker_00", "worker:worker_01"}},
		{"one instance missing", []process.Info{
			row("db:db", process.Running, ""), row("worker:worker_00", process.Running, ""), row("worker:worker_01", process.Starting, ""),
		}, false, []string{"worker:worker_01"}},
		{"all running", []process.Info{
			row("db:db", process.Running, ""), row("worker:worker_00", process.Running, ""), row("worker:worker_01", process.Running, ""),
		}, true, nil},
		{"running but health unknown", []process.Info{
			row("db:db", process.Running, "unknown"), row("worker:worker_00", process.Running, "healthy"), row("worker:worker_01", process.Running, ""),
		}, false, []string{"db:db"}},
		{"unhealthy", []process.Info{
			row("db:db", process.Running, "unhealthy"), row("worker:worker_00", process.Running, ""), row("worker:worker_01", process.Running, ""),
		}, false, []string{"db:db"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, waiting := g.MayStart("app:app", ReadyFromInfos(tt.infos))
			if ok != tt.ok || !reflect.DeepEqual(waiting, tt.waiting) {
				t.Errorf("MayStart = %v, %q; want %v, %q", ok, waiting, tt.ok, tt.waiting)
			}
		})
	}
	if ok, _ := g.MayStart("db:db", func(string) bool { return false }); !ok {
		t.Error("a process without dependencies must be allowed to start")
	}
	failed := func(n string) bool { return n == "worker:worker_01" }
	if got := g.Blocked("app:app", failed); !reflect.DeepEqual(got, []string{"worker:worker_01"}) {
		t.Errorf("Blocked = %q", got)
	}
}

// FuzzNew checks that any dependency declarations either fail validation
// or give an order in which every process follows its dependencies.
func FuzzNew(f *testing.F) {
	f.Add("a:b,c;b:c;c:")
	f.Add("a:a")
	f.Add("a:b;b:a;c:x")
	f.Fuzz(func(t *testing.T, spec string) {
		var progs []prog
		seen := map[string]bool{}
		for _, part := range strings.Split(spec, ";") {
			name, list, _ := strings.Cut(part, ":")
			name = strings.TrimSpace(name)
			if name == "" || seen[name] || strings.ContainsAny(name, ", ") {
				continue
			}
			seen[name] = true
			progs = append(progs, prog{name: name, priority: len(name), deps: strings.Split(list, ",")})
		}
		g, err := New(build(progs...))
		if err != nil {
			return
		}
		pos := map[string]int{}
		for i, n := range g.Order() {
			pos[n] = i
		}
		if len(pos) != len(progs) {
			t.Fatalf("order has %d processes, want %d", len(pos), len(progs))
		}
		for n := range pos {
			for _, d := range g.DependsOn(n) {
				if pos[d] >= pos[n] {
					t.Fatalf("%s starts before its dependency %s", n, d)
				}
			}
		}
	})
}
