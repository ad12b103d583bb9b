//go:build linux

package differential

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"supervisord/test/harness"
)

// This file compares replies and outputs that list several processes, the
// logfile fields of process info, and the debug and trace lines of the
// main log, between the reference and ours, driven the same way.

// startDaemon runs bin on the standard header (at loglevel) plus programs,
// in a fresh directory, and returns it once it answers RPC. {dir} in
// programs is the directory.
func startDaemon(t *testing.T, bin, loglevel, programs string) *run {
	t.Helper()
	return launch(t, bin, loglevel, programs, nil)
}

// launch writes files (names relative to a fresh directory) and runs bin
// on the standard header (at loglevel) plus programs there; {dir} in both
// is the directory. The main log and output are shown when t fails.
func launch(t *testing.T, bin, loglevel, programs string, files map[string]string) *run {
	t.Helper()
	p := harness.TempPaths(t)
	expand := func(s string) string { return strings.ReplaceAll(s, "{dir}", p.Dir) }
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(p.Dir, name), []byte(expand(body)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	header := strings.Replace(p.Header(), "loglevel=info", "loglevel="+loglevel, 1)
	t.Cleanup(func() {
		if t.Failed() {
			d, _ := os.ReadFile(p.Log)
			o, _ := os.ReadFile(p.Output)
			t.Logf("%s main log:\n%s\noutput:\n%s", bin, d, o)
		}
	})
	d := harness.Launch(t, harness.Spec{Bin: bin, Paths: p, Config: header + expand(programs), StopTimeout: stopTimeout})
	return &run{t: t, d: d, dir: p.Dir, c: d.RPC()}
}

// rewrite replaces the daemon's configuration file, keeping the header.
func (r *run) rewrite(programs string) {
	r.t.Helper()
	p := r.d.Paths
	if err := os.WriteFile(p.Config, []byte(p.Header()+strings.ReplaceAll(programs, "{dir}", r.dir)), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// rows renders a multi-process reply one row per element, as
// "group:name status description".
func rows(v any) []string {
	list, _ := v.([]any)
	out := []string{}
	for _, e := range list {
		m, _ := e.(map[string]any)
		out = append(out, fmt.Sprintf("%v:%v %v %v", m["group"], m["name"], m["status"], m["description"]))
	}
	return out
}

// waitAll waits until every process is in one of states.
func (r *run) waitAll(states ...string) {
	r.t.Helper()
	var infos []any
	harness.WaitFor(r.t, fmt.Sprintf("every process %v", states), waitTimeout, func() bool {
		infos, _ = r.call("supervisor.getAllProcessInfo").([]any)
		for _, e := range infos {
			m, _ := e.(map[string]any)
			if !contains(states, fmt.Sprint(m["statename"])) {
				return false
			}
		}
		return true
	})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

var statusTimes = regexp.MustCompile(`pid \d+, uptime \d+:\d\d:\d\d|[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M|(?m)^\d+$`)

// ctl runs a supervisorctl (argv) on the daemon's configuration and returns
// its output, with pids and times normalised, and its exit status.
func (r *run) ctl(argv []string, args ...string) string {
	r.t.Helper()
	cmd := exec.Command(argv[0], append(append(argv[1:], "-c", r.d.Paths.Config), args...)...)
	out, err := cmd.CombinedOutput()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		r.t.Fatal(err)
	}
	return fmt.Sprintf("$ supervisorctl %s (exit %d)\n%s", strings.Join(args, " "), code,
		statusTimes.ReplaceAllString(string(out), "T"))
}

// orderPrograms lists groups in an order unlike their priorities: p300 is
// first in the file and started last; the [group:g] lists b after a but
// gives b the lower priority; n has two instances.
const orderPrograms = `
[program:p300]
command=sleep 1000
priority=300
autostart=false
startsecs=1

[program:p100]
command=sleep 1000
priority=100
autostart=false
startsecs=1

[program:p200]
command=sleep 1000
priority=200
autostart=false
startsecs=1

[group:g]
programs=a,b
priority=250

[program:a]
command=sleep 1000
priority=20
autostart=false
startsecs=1

[program:b]
command=sleep 1000
priority=10
autostart=false
startsecs=1

[program:n]
command=sleep 1000
process_name=%(program_name)s_%(process_num)s
numprocs=2
priority=150
autostart=false
startsecs=1
`

// driveOrder is the same sequence of calls and commands for either daemon;
// ctl is the client to use. It returns the transcript to compare and, by
// label, the rows of the calls that wait for processes to start.
//
// A call that waits lists the processes as they reach RUNNING, those that
// get there in the same turn of the loop in priority order. All of them
// get there together here, but on a loaded machine the reference's one-
// second turns can split them, so the transcript holds those rows sorted,
// and the caller checks ours, whose turns cannot split them, in order.
func driveOrder(r *run, ctl []string) (transcript []string, waited map[string][]string) {
	waited = map[string][]string{}
	add := func(label string, lines ...string) {
		transcript = append(transcript, "# "+label)
		for _, l := range lines {
			transcript = append(transcript, strings.Split(strings.TrimRight(l, "\n"), "\n")...)
		}
	}
	addWaited := func(label string, lines ...string) {
		var rows []string
		for _, l := range lines {
			rows = append(rows, strings.Split(strings.TrimRight(l, "\n"), "\n")...)
		}
		if len(rows) > 0 && strings.HasPrefix(rows[0], "$ ") {
			add(label, rows[0])
			rows = rows[1:]
		} else {
			add(label)
		}
		waited[label] = rows
		sorted := append([]string(nil), rows...)
		sort.Strings(sorted)
		add("(as a set)", sorted...)
	}
	add("startAllProcesses(wait=false)", rows(r.call("supervisor.startAllProcesses", false))...)
	r.waitAll("RUNNING")
	var names []string
	infos, _ := r.call("supervisor.getAllProcessInfo").([]any)
	for _, e := range infos {
		m, _ := e.(map[string]any)
		names = append(names, fmt.Sprintf("%v:%v", m["group"], m["name"]))
	}
	add("getAllProcessInfo", names...)
	add("signalAllProcesses", rows(r.call("supervisor.signalAllProcesses", "CONT"))...)
	add("signalProcessGroup", rows(r.call("supervisor.signalProcessGroup", "g", "CONT"))...)
	add("signalProcess(n:*)", rows(r.call("supervisor.signalProcess", "n:*", "CONT"))...)
	add("clearAllProcessLogs", rows(r.call("supervisor.clearAllProcessLogs"))...)
	add("stopAllProcesses(wait=false)", rows(r.call("supervisor.stopAllProcesses", false))...)
	r.waitAll("STOPPED")
	addWaited("startProcessGroup(g, wait=true)", rows(r.call("supervisor.startProcessGroup", "g", true))...)
	addWaited("startAllProcesses(wait=true)", rows(r.call("supervisor.startAllProcesses", true))...)
	add("stopProcessGroup(g, wait=false)", rows(r.call("supervisor.stopProcessGroup", "g", false))...)
	r.waitAll("RUNNING", "STOPPED")
	add("stopProcess(g:*, wait=false)", fmt.Sprint(r.call("supervisor.stopProcess", "g:*", false)))
	addWaited("startProcess(g:*, wait=true)", rows(r.call("supervisor.startProcess", "g:*", true))...)
	add("ctl", r.ctl(ctl, "status"))
	add("ctl", r.ctl(ctl, "status", "p300", "nosuch", "g:*", "p100", "n:"))
	add("ctl", r.ctl(ctl, "signal", "CONT", "all"))
	add("ctl", r.ctl(ctl, "signal", "CONT", "p200", "g:*", "p100"))
	add("ctl", r.ctl(ctl, "pid", "all"))
	add("ctl", r.ctl(ctl, "avail"))
	r.call("supervisor.stopAllProcesses", false)
	r.waitAll("STOPPED")
	addWaited("ctl start all", r.ctl(ctl, "start", "all"))
	r.call("supervisor.stopAllProcesses", false)
	r.waitAll("STOPPED")
	addWaited("ctl start p300 g:* p100 n:*", r.ctl(ctl, "start", "p300", "g:*", "p100", "n:*"))
	// Which children a stop finds already reaped right after signalling
	// them is a race in the reference too; a stop's rows are compared as
	// a set.
	add("ctl stop all (as a set)", sortedLines(r.ctl(ctl, "stop", "all"))...)
	r.call("supervisor.startAllProcesses", true)
	restart := strings.Split(strings.TrimRight(r.ctl(ctl, "restart", "all"), "\n"), "\n")
	var stopped, started []string
	for _, l := range restart[1:] {
		if strings.HasSuffix(l, ": stopped") {
			stopped = append(stopped, l)
		} else {
			started = append(started, l)
		}
	}
	sort.Strings(stopped)
	add("ctl restart all", append(restart[:1], stopped...)...)
	addWaited("ctl restart all (started)", started...)
	return transcript, waited
}

// waitedOrder is what ours must list, in order, for each call that waits.
var waitedOrder = map[string][]string{
	"startProcessGroup(g, wait=true)": {"g:b 80 OK", "g:a 80 OK"},
	"startAllProcesses(wait=true)":    {"p100:p100 80 OK", "n:n_0 80 OK", "n:n_1 80 OK", "p200:p200 80 OK", "p300:p300 80 OK"},
	"startProcess(g:*, wait=true)":    {"g:b 80 OK", "g:a 80 OK"},
	"ctl start all": {"p100: started", "n:n_0: started", "n:n_1: started", "p200: started",
		"g:b: started", "g:a: started", "p300: started"},
	"ctl start p300 g:* p100 n:*": {"p300: started", "g:b: started", "g:a: started", "p100: started",
		"n:n_0: started", "n:n_1: started"},
	"ctl restart all (started)": {"p100: started", "n:n_0: started", "n:n_1: started", "p200: started",
		"g:b: started", "g:a: started", "p300: started"},
}

func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	sort.Strings(lines[1:]) // the command line stays first
	return lines
}

// TestMultiProcessOrder compares every reply and supervisorctl output that
// lists several processes: the reference orders them by priority (groups,
// then processes within a group), getAllProcessInfo and avail by name, and
// supervisorctl as the names were given.
func TestMultiProcessOrder(t *testing.T) {
	daemons.Need(t)
	t.Parallel()
	refCtl := []string{"/usr/bin/supervisorctl"}
	oursCtl := []string{daemons.Ours, "ctl"}
	transcripts := make([][]string, 3)
	waits := make([]map[string][]string, 3)
	t.Run("daemons", func(t *testing.T) {
		for i, c := range []struct {
			name string
			bin  string
			ctl  []string
		}{
			{"reference", daemons.Ref, refCtl},
			{"ours", daemons.Ours, oursCtl},
			{"ours-with-reference-client", daemons.Ours, refCtl},
		} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				transcripts[i], waits[i] = driveOrder(startDaemon(t, c.bin, "info", orderPrograms), c.ctl)
			})
		}
	})
	if t.Failed() {
		return
	}
	for i, name := range []string{"ours", "ours with the reference's supervisorctl"} {
		if d := diffLines(transcripts[0], transcripts[i+1]); d != "" {
			t.Errorf("reference and %s disagree:\n%s", name, d)
		}
		for label, want := range waitedOrder {
			if d := diffLines(want, waits[i+1][label]); d != "" {
				t.Errorf("%s: %s, want (priority order) vs got:\n%s", name, label, d)
			}
		}
	}
	for label, want := range waitedOrder {
		if d := diffLines(want, waits[0][label]); d != "" {
			t.Logf("the reference's %s was not in priority order this time (a loaded machine can split its turns):\n%s", label, d)
		}
	}
	// The point of the scenario: priority order is not file order.
	want := "# startAllProcesses(wait=false)\np100:p100 80 OK\nn:n_0 80 OK\nn:n_1 80 OK\np200:p200 80 OK\ng:b 80 OK\ng:a 80 OK\np300:p300 80 OK\n"
	for i, name := range []string{"reference", "ours"} {
		if got := strings.Join(transcripts[i], "\n"); !strings.Contains(got, want) {
			t.Errorf("%s's first rows are not in priority order %q", name, want)
		}
	}
}

// updatePrograms are three configurations in turn: groups are removed,
// changed and added with priorities unlike their names, and a group added
// later sorts before those added earlier.
var updatePrograms = []string{`
[program:a1]
command=sleep 1000
priority=500
[program:m1]
command=sleep 1000
priority=300
[program:z1]
command=sleep 1000
priority=100
`, `
[program:m1]
command=sleep 999
priority=300
[program:b2]
command=sleep 1000
priority=900
[program:y2]
command=sleep 1000
priority=50
`, `
[program:c3]
command=sleep 1000
priority=10
`}

// TestReloadOrder compares reloadConfig's lists and supervisorctl update's
// output as groups come and go.
func TestReloadOrder(t *testing.T) {
	daemons.Need(t)
	t.Parallel()
	drive := func(r *run, ctl []string) []string {
		var out []string
		for _, programs := range updatePrograms[1:] {
			r.rewrite(programs)
			out = append(out, fmt.Sprint(r.call("supervisor.reloadConfig")))
			out = append(out, strings.Split(r.ctl(ctl, "update"), "\n")...)
			out = append(out, fmt.Sprint(r.call("supervisor.reloadConfig")))
		}
		return out
	}
	var ref, ours []string
	t.Run("daemons", func(t *testing.T) {
		t.Run("reference", func(t *testing.T) {
			t.Parallel()
			ref = drive(startDaemon(t, daemons.Ref, "info", updatePrograms[0]), []string{"/usr/bin/supervisorctl"})
		})
		t.Run("ours", func(t *testing.T) {
			t.Parallel()
			ours = drive(startDaemon(t, daemons.Ours, "info", updatePrograms[0]), []string{daemons.Ours, "ctl"})
		})
	})
	if t.Failed() {
		return
	}
	if d := diffLines(ref, ours); d != "" {
		t.Errorf("reference and ours disagree:\n%s", d)
	}
}

// logfilePrograms log to every kind of special target.
const logfilePrograms = `
[program:devices]
command=sleep 1000
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
stderr_logfile=/dev/stderr
stderr_logfile_maxbytes=0
[program:fds]
command=sleep 1000
stdout_logfile=/dev/fd/1
stdout_logfile_maxbytes=0
stderr_logfile=/dev/fd/2
stderr_logfile_maxbytes=0
[program:syslogged]
command=sleep 1000
stdout_logfile=syslog
stderr_logfile=syslog
[program:none]
command=sleep 1000
stdout_logfile=NONE
stderr_logfile=/dev/null
[program:auto]
command=sleep 1000
stdout_logfile=AUTO
[program:redirected]
command=sleep 1000
stdout_logfile=/dev/stdout
stdout_logfile_maxbytes=0
redirect_stderr=true
[program:file]
command=sleep 1000
stdout_logfile={dir}/%(program_name)s.out
stdout_syslog=true
stderr_logfile=syslog
`

// TestProcessInfoLogfiles compares the logfile fields of getProcessInfo
// and getAllProcessInfo for every special log target.
func TestProcessInfoLogfiles(t *testing.T) {
	daemons.Need(t)
	t.Parallel()
	autoName := regexp.MustCompile(`-[a-z0-9_]{8}\.log$`)
	drive := func(r *run) []string {
		norm := func(v any) string {
			return autoName.ReplaceAllString(strings.ReplaceAll(fmt.Sprint(v), r.dir, "{dir}"), "-X.log")
		}
		var out []string
		infos, _ := r.call("supervisor.getAllProcessInfo").([]any)
		for _, e := range infos {
			all, _ := e.(map[string]any)
			one, _ := r.call("supervisor.getProcessInfo", fmt.Sprint(all["name"])).(map[string]any)
			for _, m := range []map[string]any{all, one} {
				out = append(out, fmt.Sprintf("%v stdout=%q stderr=%q logfile=%q", m["name"],
					norm(m["stdout_logfile"]), norm(m["stderr_logfile"]), norm(m["logfile"])))
			}
		}
		return out
	}
	var ref, ours []string
	t.Run("daemons", func(t *testing.T) {
		t.Run("reference", func(t *testing.T) {
			t.Parallel()
			ref = drive(startDaemon(t, daemons.Ref, "info", logfilePrograms))
		})
		t.Run("ours", func(t *testing.T) {
			t.Parallel()
			ours = drive(startDaemon(t, daemons.Ours, "info", logfilePrograms))
		})
	})
	if t.Failed() {
		return
	}
	if d := diffLines(ref, ours); d != "" {
		t.Errorf("reference and ours disagree:\n%s", d)
	}
	if !contains(ours, `devices stdout="/dev/stdout" stderr="/dev/stderr" logfile="/dev/stdout"`) {
		t.Errorf("ours does not report /dev/stdout and /dev/stderr:\n%s", strings.Join(ours, "\n"))
	}
}

// debugPrograms: one program that says something and exits, one that is
// signalled and stopped.
const debugPrograms = `
[program:quick]
command=sh -c 'echo hello; exit 0'
startsecs=0
autorestart=false
[program:sleeper]
command=sleep 1000
startsecs=0
`

// debugLine picks the debug and trace lines to compare, pids normalised.
// Left out: the reference's "fd N closed, stopped monitoring <object at
// address>" lines and its HTTP server's own trace lines, which name Python
// objects and server internals.
var (
	debugLevel = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBG|TRAC|BLAT) (.*)$`)
	debugPid   = regexp.MustCompile(`\(pid \d+\)`)
	debugSkip  = regexp.MustCompile(`^fd \d+ closed, stopped monitoring|^localhost|Medusa|^/.*:Medusa|^read event caused by|^write event caused by|^EINTR`)
)

func debugLines(log string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range strings.Split(log, "\n") {
		m := debugLevel.FindStringSubmatch(strings.TrimRight(l, "\r"))
		if m == nil || debugSkip.MatchString(m[2]) {
			continue
		}
		s := m[1] + " " + debugPid.ReplaceAllString(m[2], "(pid N)")
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// TestDebugLogLines runs both daemons at loglevel=trace through a child
// exit, a signal, a stop and a failed call, and compares the distinct
// debug and trace lines of their main logs.
func TestDebugLogLines(t *testing.T) {
	daemons.Need(t)
	t.Parallel()
	drive := func(r *run) []string {
		r.waitFor("exited: quick", 1)
		r.call("supervisor.signalProcess", "sleeper", "CONT")
		r.call("supervisor.stopProcess", "sleeper", true)
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if _, err := r.c.Call(ctx, "supervisor.stopProcess", "nosuch"); err == nil {
			r.t.Fatal("stopProcess(nosuch) succeeded")
		}
		if err := r.d.Stop(stopTimeout); err != nil {
			r.t.Fatal(err)
		}
		return debugLines(r.d.Log())
	}
	var ref, ours []string
	t.Run("daemons", func(t *testing.T) {
		t.Run("reference", func(t *testing.T) {
			t.Parallel()
			ref = drive(startDaemon(t, daemons.Ref, "trace", debugPrograms))
		})
		t.Run("ours", func(t *testing.T) {
			t.Parallel()
			ours = drive(startDaemon(t, daemons.Ours, "trace", debugPrograms))
		})
	})
	if t.Failed() {
		return
	}
	if d := diffLines(ref, ours); d != "" {
		t.Errorf("reference and ours disagree:\n%s", d)
	}
	if !contains(ours, "DEBG received SIGCHLD indicating a child quit") {
		t.Errorf("ours does not log SIGCHLD at debug level:\n%s", strings.Join(ours, "\n"))
	}
}
