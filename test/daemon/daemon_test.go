// Package daemon_test runs the built supervisord binary as users do and
// checks the faults where the reference misbehaves: a HUP with a broken
// file, a second daemon on the same configuration, a grandchild holding a
// program's stdout at shutdown, many programs stopping with their own
// stopwaitsecs, PID 1 in a container, a stuck stdout, daemonizing.
package daemon_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"supervisord/test/harness"
)

var bin string

func TestMain(m *testing.M) { harness.Main(m, &bin) }

// daemon is one supervisord started by a test.
type daemon struct {
	*harness.Daemon
	t    *testing.T
	dir  string
	conf string
}

// writeConf writes the standard header and programs into a new
// directory's supervisord.conf; edit, when given, changes the text first.
func writeConf(t *testing.T, programs string, edit ...func(string) string) harness.Paths {
	t.Helper()
	p := harness.TempPaths(t)
	text := p.Header() + programs
	for _, e := range edit {
		text = e(text)
	}
	if err := os.WriteFile(p.Config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// detached makes a config daemonize (nodaemon=false).
func detached(text string) string {
	return strings.Replace(text, "nodaemon=true", "nodaemon=false", 1)
}

// lineOf is the number of the first line of the configuration file conf
// that is exactly text.
func lineOf(t *testing.T, conf, text string) int {
	t.Helper()
	b, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if l == text {
			return i + 1
		}
	}
	t.Fatalf("%s has no line %q", conf, text)
	return 0
}

// launch runs the daemon on the config at p as users do (-c, no -n) and
// waits until it answers.
func launch(t *testing.T, p harness.Paths, spec harness.Spec) *daemon {
	t.Helper()
	b, err := os.ReadFile(p.Config)
	if err != nil {
		t.Fatal(err)
	}
	spec.Bin, spec.Paths, spec.Config = bin, p, string(b)
	if spec.Args == nil {
		spec.Args = []string{"-c", p.Config}
	}
	return &daemon{Daemon: harness.Launch(t, spec), t: t, dir: p.Dir, conf: p.Config}
}

func start(t *testing.T, programs string) *daemon {
	t.Helper()
	return launch(t, writeConf(t, programs), harness.Spec{})
}

// startUncontained is start with cgroups=off: the reference's behaviour,
// where a grandchild can outlive its program.
func startUncontained(t *testing.T, programs string) *daemon {
	t.Helper()
	p := writeConf(t, programs, func(s string) string {
		return strings.Replace(s, "nodaemon=true", "nodaemon=true\ncgroups=off", 1)
	})
	return launch(t, p, harness.Spec{})
}

func (d *daemon) log() string { return d.Log() }

// waitLog waits until the main log contains sub n times.
func (d *daemon) waitLog(sub string, n int) {
	d.t.Helper()
	d.WaitLog(d.t, sub, n)
}

// ctl runs our client against the daemon.
func (d *daemon) ctl(args ...string) (string, int) {
	cmd := exec.Command(bin, append([]string{"ctl", "-c", d.conf}, args...)...)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		d.t.Fatalf("ctl %v: %v", args, err)
	}
	return string(out), code
}

func (d *daemon) pid(name string) int {
	d.t.Helper()
	out, _ := d.ctl("pid", name)
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		d.t.Fatalf("pid %s: %q", name, out)
	}
	return pid
}

func TestSighupWithBrokenConfigKeepsEverything(t *testing.T) {
	d := start(t, "[program:sleeper]\ncommand=sleep 300\nstartsecs=0\n")
	d.waitLog("success: sleeper", 1)
	before := d.pid("sleeper")
	f, _ := os.OpenFile(d.conf, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("\n[program:broken]\ncommand=sleep 1\nstartsecs=soon\n")
	f.Close()
	d.Signal(t, syscall.SIGHUP)
	d.waitLog("restart refused, keeping the running configuration", 1)
	if !strings.Contains(d.log(), "supervisord.conf:") {
		t.Errorf("the refusal does not name the file and line:\n%s", d.log())
	}
	if after := d.pid("sleeper"); after != before || !harness.Alive(before) {
		t.Fatalf("sleeper pid %d → %d after a refused HUP", before, after)
	}
	if out, code := d.ctl("status"); code != 0 || !strings.Contains(out, "RUNNING") {
		t.Fatalf("status after refused HUP: %d %s", code, out)
	}
}

func TestSecondDaemonIsRefused(t *testing.T) {
	d := start(t, "[program:sleeper]\ncommand=sleep 300\nstartsecs=0\n")
	d.waitLog("success: sleeper", 1)
	out, err := exec.Command(bin, "-c", d.conf).CombinedOutput()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 {
		t.Fatalf("second daemon: err %v, output %s", err, out)
	}
	if !strings.Contains(string(out), "already") {
		t.Fatalf("second daemon's message does not say why: %s", out)
	}
	if n := strings.Count(d.log(), "spawned: 'sleeper'"); n != 1 {
		t.Fatalf("sleeper spawned %d times", n)
	}
	if out, code := d.ctl("status", "sleeper"); code != 0 {
		t.Fatalf("first daemon no longer answers: %d %s", code, out)
	}
}

// With containment the grandchild is killed with its program (see
// test/containment); this checks that, where it survives (cgroups=off, the
// reference's behaviour), it cannot hold up the shutdown.
func TestShutdownWithGrandchildHoldingStdout(t *testing.T) {
	d := startUncontained(t, "[program:parent]\ncommand=/bin/sh -c 'sleep 300 & echo $! > %(here)s/gc.pid; exec sleep 300'\nstartsecs=0\n")
	d.waitLog("success: parent", 1)
	var gc int
	harness.WaitFor(t, "the grandchild's pid", 10*time.Second, func() bool {
		b, _ := os.ReadFile(filepath.Join(d.dir, "gc.pid"))
		gc, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return gc != 0
	})
	defer syscall.Kill(gc, syscall.SIGKILL)
	d.Signal(t, syscall.SIGTERM)
	d.WaitExit(t, 15*time.Second)
	if !harness.Alive(gc) {
		t.Fatal("the grandchild should have outlived the shutdown (nothing kills it)")
	}
}

// killTimes returns when each program was sent SIGKILL, from the log.
func killTimes(t *testing.T, log string) map[string]time.Time {
	re := regexp.MustCompile(`^(\S+ \S+) WARN killing '(\w+)' \(\d+\) with SIGKILL`)
	out := map[string]time.Time{}
	for _, line := range strings.Split(log, "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			ts, err := time.ParseInLocation("2006-01-02 15:04:05,000", m[1], time.Local)
			if err != nil {
				t.Fatal(err)
			}
			out[m[2]] = ts
		}
	}
	return out
}

// TestStopwaitsecsHonouredPerProgram stops several programs at once
// (stop all) and checks each is killed after its own stopwaitsecs, not
// another's. (A shutdown stops groups one after the other, as the
// reference does, so it would not test "at once".)
func TestStopwaitsecsHonouredPerProgram(t *testing.T) {
	var progs strings.Builder
	for i, name := range []string{"one", "two", "three"} {
		fmt.Fprintf(&progs, "[program:%s]\ncommand=/bin/sh -c \"trap '' TERM; while :; do sleep 1; done\"\nstartsecs=0\nstopwaitsecs=%d\nkillasgroup=true\n\n", name, i+1)
	}
	progs.WriteString("[program:polite]\ncommand=sleep 300\nstartsecs=0\n")
	d := start(t, progs.String())
	for _, n := range []string{"one", "two", "three", "polite"} {
		d.waitLog("success: "+n, 1)
	}
	sent := time.Now()
	if out, code := d.ctl("stop", "all"); code != 0 {
		t.Fatalf("stop all: %d %s", code, out)
	}
	log := d.log()
	kills := killTimes(t, log)
	for i, name := range []string{"one", "two", "three"} {
		at, ok := kills[name]
		if !ok {
			t.Fatalf("%s was never killed; log:\n%s", name, log)
		}
		// Never before its own stopwaitsecs (log times have ms precision).
		if min := sent.Add(time.Duration(i+1)*time.Second - 20*time.Millisecond); at.Before(min) {
			t.Errorf("%s killed %v after the stop request, before its stopwaitsecs=%d", name, at.Sub(sent), i+1)
		}
	}
	if _, killed := kills["polite"]; killed {
		t.Error("polite stopped on SIGTERM but was killed")
	}
	if !(kills["one"].Before(kills["two"]) && kills["two"].Before(kills["three"])) {
		t.Errorf("kills out of stopwaitsecs order: %v", kills)
	}
}

func TestStuckStdoutDoesNotFreezeTheDaemon(t *testing.T) {
	p := writeConf(t, "[program:flood]\ncommand=/bin/sh -c 'yes flooding-the-console'\nstdout_logfile=/dev/stdout\nstartsecs=0\n\n[program:quiet]\ncommand=/bin/sh -c 'while :; do echo tick; sleep 0.05; done'\nstartsecs=0\nstdout_logfile=%(here)s/quiet.log\n")
	dir, conf := p.Dir, p.Config
	// The daemon's stdout is a pipe nobody reads: it fills at once.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := launch(t, p, harness.Spec{Stdout: w})
	w.Close()
	d.waitLog("success: quiet", 1)
	for i := 0; i < 3; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, bin, "ctl", "-c", conf, "status").CombinedOutput()
		cancel()
		if err != nil && !strings.Contains(string(out), "RUNNING") {
			t.Fatalf("status with a stuck stdout: %v %s", err, out)
		}
	}
	size := func() int64 {
		fi, _ := os.Stat(filepath.Join(dir, "quiet.log"))
		if fi == nil {
			return 0
		}
		return fi.Size()
	}
	first := size()
	harness.WaitFor(t, "quiet.log to grow while stdout is stuck", 10*time.Second, func() bool { return size() > first })
}

func TestDaemonizeReportsStartup(t *testing.T) {
	p := writeConf(t, "[program:sleeper]\ncommand=sleep 300\nstartsecs=0\n", detached)
	dir, conf := p.Dir, p.Config
	out, err := exec.Command(bin, "-c", conf).CombinedOutput()
	if err != nil {
		t.Fatalf("daemonize: %v %s", err, out)
	}
	pidb, err := os.ReadFile(filepath.Join(dir, "supervisord.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(pidb)))
	if !harness.Alive(pid) {
		t.Fatalf("pidfile names %d, which is not running", pid)
	}
	defer func() {
		syscall.Kill(pid, syscall.SIGTERM)
		harness.WaitFor(t, "the detached daemon to exit", harness.Timeout, func() bool { return !harness.Alive(pid) })
	}()
	if sid, _ := getsid(pid); sid != pid {
		t.Errorf("daemon is not a session leader (sid %d, pid %d)", sid, pid)
	}
	// A second one, detached too, must say why it failed, on our stderr.
	out, err = exec.Command(bin, "-c", conf).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 || !strings.Contains(string(out), "already") {
		t.Fatalf("second detached daemon: %v %q", err, out)
	}
}

func getsid(pid int) (int, error) {
	r, _, errno := syscall.Syscall(syscall.SYS_GETSID, uintptr(pid), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(r), nil
}

// zombiesOf lists zombie children of pid.
func zombiesOf(pid int) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		rest := s[strings.LastIndexByte(s, ')')+2:]
		f := strings.Fields(rest)
		if len(f) > 1 && f[0] == "Z" && f[1] == strconv.Itoa(pid) {
			out = append(out, p)
		}
	}
	return out
}

func TestAsPID1ReapsOrphansAndKeepsExitStatuses(t *testing.T) {
	if err := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "true").Run(); err != nil {
		t.Skipf("cannot create a pid namespace here (unshare: %v)", err)
	}
	// nodaemon=false: as PID 1 the daemon must stay in the foreground anyway.
	p := writeConf(t, `[program:three]
command=/bin/sh -c 'sleep 0.2; exit 3'
startsecs=0
autorestart=true

[program:orphans]
command=/bin/sh -c 'while :; do (sleep 0.05 &); sleep 0.1; done'
startsecs=0
`, detached)
	d := launch(t, p, harness.Spec{Wrap: []string{"unshare", "--pid", "--fork", "--mount-proc"}})
	d.waitLog("exited: three (exit status 3; not expected)", 3)
	d.waitLog("reaped unknown pid", 5)
	if strings.Contains(d.log(), "daemonizing") {
		t.Error("daemonized as PID 1")
	}
	// The daemon is unshare's child in our namespace; no zombie may be
	// left under it for long.
	inner := childOf(d.Pid())
	if inner == 0 {
		t.Fatal("daemon process not found")
	}
	var z []int
	harness.WaitFor(t, "no zombie under the daemon", 5*time.Second, func() bool {
		z = zombiesOf(inner)
		return len(z) == 0
	})
}

// childOf returns the first child of pid.
func childOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(f[0])
	return n
}

func TestMetricsOnARealDaemon(t *testing.T) {
	d := start(t, `[program:up]
command=sleep 300
startsecs=0

[program:idle]
command=sleep 300
autostart=false
`)
	d.waitLog("success: up", 1)
	// /metrics is served on every HTTP server; use the unix socket.
	client := d.HTTP()
	resp, err := client.Get("http://localhost/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET /metrics: %s %s", resp.Status, b)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bufio.NewReader(resp.Body))
	if err != nil {
		t.Fatal(err)
	}
	up := fams["supervisord_up"]
	if up == nil {
		t.Fatalf("no supervisord_up in %v", keys(fams))
	}
	got := map[string]float64{}
	for _, m := range up.Metric {
		for _, l := range m.Label {
			if l.GetName() == "name" {
				got[l.GetValue()] = m.GetGauge().GetValue()
			}
		}
	}
	if got["up"] != 1 || got["idle"] != 0 {
		t.Fatalf("supervisord_up = %v, want up=1 idle=0", got)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestPythonClientAgainstOurDaemon runs the client package's differential
// and script tests (the reference supervisorctl and ours, side by side)
// against our daemon instead of the reference one.
func TestPythonClientAgainstOurDaemon(t *testing.T) {
	if _, err := os.Stat("/usr/bin/supervisorctl"); err != nil {
		if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") == "1" {
			t.Fatal("reference supervisorctl not installed")
		}
		t.Skip("reference supervisorctl not installed (apt-get install supervisor)")
	}
	cmd := exec.Command("go", "test", "-count=1", "-run", "TestDifferential|TestScripts", "supervisord/internal/ctl")
	cmd.Env = append(os.Environ(), "SUPERVISORCTL_TEST_DAEMON="+bin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("client tests against our daemon failed: %v\n%s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

func TestWebPageOnARealDaemon(t *testing.T) {
	d := start(t, "[program:shown]\ncommand=sleep 300\nstartsecs=0\n")
	d.waitLog("success: shown", 1)
	client := d.HTTP()
	resp, err := client.Get("http://localhost/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "shown") || !strings.Contains(strings.ToLower(string(body)), "running") {
		t.Fatalf("GET /: %s\n%s", resp.Status, body)
	}
	// A state-changing form post from another origin is refused.
	req, _ := http.NewRequest("POST", "http://localhost/index.html", strings.NewReader("action=stop&processname=shown"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://elsewhere.invalid")
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST: %s", resp.Status)
	}
	if out, _ := d.ctl("status", "shown"); !strings.Contains(out, "RUNNING") {
		t.Fatalf("process changed state after a refused POST: %s", out)
	}
}

// TestTailAfterReread: reread (reloadConfig) reads the configuration
// again but applies nothing, so a tail still reads the log the running
// process writes; the new configuration's AUTO log names do not exist
// until update applies them (the reference's behaviour).
func TestTailAfterReread(t *testing.T) {
	d := start(t, "[program:quick]\ncommand=sh -c 'echo hello from quick; echo oops >&2'\nautorestart=false\nstartsecs=0\n")
	d.WaitState(t, "quick", "EXITED")
	for _, cmd := range [][]string{{"tail", "quick"}, {"reread"}, {"tail", "quick"}, {"tail", "quick", "stderr"}} {
		out, code := d.ctl(cmd...)
		if cmd[0] == "reread" {
			continue
		}
		want := "hello from quick"
		if len(cmd) == 3 {
			want = "oops"
		}
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("ctl %v: exit %d\n%s", cmd, code, out)
		}
	}
}
