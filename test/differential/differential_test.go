//go:build linux

package differential

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"supervisord/test/harness"
)

// compareMode says how strictly two event sequences must agree.
type compareMode int

const (
	// global: the whole sequence, in order.
	global compareMode = iota
	// perProcess: each process's own sequence, in order, plus the global
	// order of the events matching the scenario's ordered prefixes. Used
	// where processes act concurrently (several children of one group
	// dying from the same signal) and their interleaving is up to the
	// kernel.
	perProcess
)

// scenario is one configuration and the steps that drive it. Everything in
// programs and files may use {dir} for the scenario's directory.
type scenario struct {
	name     string
	files    map[string]string // written into the directory before start
	programs string            // config sections after the standard header
	mode     compareMode
	ordered  []string // perProcess: prefixes whose global order must agree
	drive    func(r *run)
	after    func(r *run) // checks once the daemon has shut down
	want     []string     // the expected normalised sequence
}

const (
	waitTimeout = 20 * time.Second
	stopTimeout = 30 * time.Second
)

func TestScenarios(t *testing.T) {
	daemons.Need(t)
	t.Log(daemons.OursNote)
	for _, sc := range scenarios() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			var ref, ours []harness.Event
			// The group returns once both parallel runs are done.
			t.Run("daemons", func(t *testing.T) {
				t.Run("reference", func(t *testing.T) {
					t.Parallel()
					ref = runScenario(t, daemons.Ref, sc)
				})
				t.Run("ours", func(t *testing.T) {
					t.Parallel()
					ours = runScenario(t, daemons.Ours, sc)
				})
			})
			if t.Failed() {
				return
			}
			if diff := compare(sc, ref, ours); diff != "" {
				t.Errorf("reference and ours disagree (%s):\n%s", daemons.Ours, diff)
			}
		})
	}
}

// runScenario runs sc under bin, checks the result against sc.want and
// returns the events of the main log.
func runScenario(t *testing.T, bin string, sc scenario) []harness.Event {
	r := launch(t, bin, "info", sc.programs, sc.files)
	d := r.d
	sc.drive(r)
	if err := d.Stop(stopTimeout); err != nil {
		t.Fatal(err)
	}
	if sc.after != nil {
		sc.after(r)
	}
	evs := harness.FirstShutdownReport(d.Events())
	if sc.want != nil {
		if diff := compare(sc, wantEvents(t, sc.want), evs); diff != "" {
			t.Errorf("%s: unexpected sequence (want vs got):\n%s", bin, diff)
		}
	}
	return evs
}

func wantEvents(t *testing.T, lines []string) []harness.Event {
	out := make([]harness.Event, 0, len(lines))
	for _, l := range lines {
		e, ok := harness.ParseLine("2000-01-01 00:00:00,000 " + l)
		if !ok {
			t.Fatalf("bad expectation %q", l)
		}
		out = append(out, e)
	}
	return out
}

// compare returns "" when a and b agree under sc's mode, else a readable
// account of the difference.
func compare(sc scenario, a, b []harness.Event) string {
	if sc.mode == global {
		return diffLines(harness.Strings(a), harness.Strings(b))
	}
	var out strings.Builder
	pa, pb := harness.ByProcess(a), harness.ByProcess(b)
	for name := range union(pa, pb) {
		if d := diffLines(pa[name], pb[name]); d != "" {
			fmt.Fprintf(&out, "process %q:\n%s", name, d)
		}
	}
	oa, ob := orderedSubset(a, sc.ordered), orderedSubset(b, sc.ordered)
	if d := diffLines(oa, ob); d != "" {
		fmt.Fprintf(&out, "order of %q lines:\n%s", sc.ordered, d)
	}
	return out.String()
}

func union(a, b map[string][]string) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

func orderedSubset(evs []harness.Event, prefixes []string) []string {
	var out []string
	for _, e := range evs {
		for _, p := range prefixes {
			if strings.HasPrefix(e.Text, p) {
				out = append(out, e.String())
				break
			}
		}
	}
	return out
}

// diffLines shows two sequences side by side, marking the rows that differ.
func diffLines(a, b []string) string {
	n := max(len(a), len(b))
	same := len(a) == len(b)
	var out strings.Builder
	for i := range n {
		var x, y string
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		mark := "  "
		if x != y || i >= len(a) || i >= len(b) {
			mark = "≠ "
			same = false
		}
		fmt.Fprintf(&out, "%s%-70s | %s\n", mark, x, y)
	}
	if same {
		return ""
	}
	return out.String()
}

// run is one daemon executing one scenario.
type run struct {
	t   *testing.T
	d   *harness.Daemon
	c   *harness.Client
	dir string
}

func (r *run) path(name string) string { return filepath.Join(r.dir, name) }

// waitFor waits until at least n logged events contain substr.
func (r *run) waitFor(substr string, n int) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	evs, err := r.d.WaitEvents(ctx, func(evs []harness.Event) bool {
		return harness.Count(evs, substr) >= n
	})
	if err != nil {
		r.t.Fatalf("waiting for %d× %q: %v; events so far:\n%s", n, substr, err,
			strings.Join(harness.Strings(evs), "\n"))
	}
}

// call invokes an XML-RPC method and fails the test on error.
func (r *run) call(method string, args ...any) any {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	v, err := r.c.Call(ctx, method, args...)
	if err != nil {
		r.t.Fatalf("%s%v: %v", method, args, err)
	}
	return v
}

// pid returns the pid getProcessInfo reports for name.
func (r *run) pid(name string) int {
	r.t.Helper()
	info, ok := r.call("supervisor.getProcessInfo", name).(map[string]any)
	if !ok {
		r.t.Fatalf("getProcessInfo(%s) is not a struct", name)
	}
	pid, _ := info["pid"].(int)
	if pid <= 0 {
		r.t.Fatalf("getProcessInfo(%s): no pid in %v", name, info)
	}
	return pid
}

// pidFile waits for a file holding a pid and returns the pid.
func (r *run) pidFile(name string) int {
	r.t.Helper()
	var pid int
	harness.WaitFor(r.t, "a pid in "+name, waitTimeout, func() bool {
		b, err := os.ReadFile(r.path(name))
		if err != nil {
			return false
		}
		_, err = fmt.Sscan(string(b), &pid)
		return err == nil && pid > 0
	})
	return pid
}

// waitGone waits until pid is no longer a live process.
func (r *run) waitGone(pid int) {
	r.t.Helper()
	r.t.Cleanup(func() {
		if harness.Alive(pid) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	harness.WaitFor(r.t, fmt.Sprintf("pid %d to end", pid), 10*time.Second, func() bool { return !harness.Alive(pid) })
}

// stays checks that name, which has just exited, is not started again.
// A restart is decided on the daemon's next pass over its processes, and
// logged there; each RPC reply is written on a pass of the same loop, so
// once two calls made one after the other have come back, that pass is
// over and a restart would show as a state other than EXITED.
func (r *run) stays(name string) {
	r.t.Helper()
	for range 2 {
		info, _ := r.call("supervisor.getProcessInfo", name).(map[string]any)
		if s := info["statename"]; s != "EXITED" {
			r.t.Fatalf("%s is %v after its exit, want EXITED", name, s)
		}
	}
}
