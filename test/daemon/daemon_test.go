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
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"supervisord/internal/cgroup"
)

var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sdbin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "supervisord")
	build := exec.Command("go", "build", "-o", bin, "supervisord/cmd/supervisord")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building supervisord: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// daemon is one supervisord started by a test.
type daemon struct {
	t    *testing.T
	dir  string
	conf string
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
}

const header = `[unix_http_server]
file=%(here)s/s.sock

[supervisord]
logfile=%(here)s/supervisord.log
pidfile=%(here)s/supervisord.pid
childlogdir=%(here)s
nodaemon=true

[supervisorctl]
serverurl=unix://%(here)s/s.sock
`

// cgroupSeq numbers the tests' cgroup parents within this process.
var cgroupSeq atomic.Int64

func writeConf(t *testing.T, dir, programs string) string {
	t.Helper()
	conf := filepath.Join(dir, "supervisord.conf")
	// Programs' cgroups go under a parent of the test's own, removed (with
	// anything a killed daemon left there) when the test ends.
	parent := fmt.Sprintf("/supervisord-test-%d-%d", os.Getpid(), cgroupSeq.Add(1))
	t.Cleanup(func() { cgroup.RemoveAll(parent) })
	text := strings.Replace(header, "nodaemon=true\n", "nodaemon=true\ncgroup_parent="+parent+"\n", 1)
	if err := os.WriteFile(conf, []byte(text+programs), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
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

func start(t *testing.T, programs string, argv ...string) *daemon {
	t.Helper()
	dir := t.TempDir()
	d := &daemon{t: t, dir: dir, conf: writeConf(t, dir, programs), out: &bytes.Buffer{}, done: make(chan struct{})}
	return d.run(argv...)
}

// startUncontained is start with cgroups=off: the reference's behaviour,
// where a grandchild can outlive its program.
func startUncontained(t *testing.T, programs string) *daemon {
	t.Helper()
	dir := t.TempDir()
	d := &daemon{t: t, dir: dir, conf: writeConf(t, dir, programs), out: &bytes.Buffer{}, done: make(chan struct{})}
	text := strings.Replace(string(mustRead(t, d.conf)), "nodaemon=true", "nodaemon=true\ncgroups=off", 1)
	if err := os.WriteFile(d.conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return d.run()
}

func (d *daemon) run(argv ...string) *daemon {
	t := d.t
	t.Helper()
	d.cmd = exec.Command(bin, append([]string{"-c", d.conf}, argv...)...)
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.cmd.Wait(); close(d.done) }()
	t.Cleanup(d.stop)
	d.waitLog("supervisord started with pid", 1, 10*time.Second)
	return d
}

func (d *daemon) stop() {
	select {
	case <-d.done:
		return
	default:
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		d.cmd.Process.Kill()
		<-d.done
		d.t.Errorf("daemon did not stop on SIGTERM; log:\n%s", d.log())
	}
}

func (d *daemon) log() string {
	b, _ := os.ReadFile(filepath.Join(d.dir, "supervisord.log"))
	return string(b)
}

// waitLog waits until the main log contains sub n times.
func (d *daemon) waitLog(sub string, n int, timeout time.Duration) {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if strings.Count(d.log(), sub) >= n {
			return
		}
		select {
		case <-d.done:
			d.t.Fatalf("daemon exited waiting for %q; output:\n%s\nlog:\n%s", sub, d.out, d.log())
		default:
		}
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %d× %q; log:\n%s", n, sub, d.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
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

func alive(pid int) bool { return pid > 0 && syscall.Kill(pid, 0) == nil }

func TestSighupWithBrokenConfigKeepsEverything(t *testing.T) {
	d := start(t, "[program:sleeper]\ncommand=sleep 300\nstartsecs=0\n")
	d.waitLog("success: sleeper", 1, 10*time.Second)
	before := d.pid("sleeper")
	f, _ := os.OpenFile(d.conf, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("\n[program:broken]\ncommand=sleep 1\nstartsecs=soon\n")
	f.Close()
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitLog("restart refused, keeping the running configuration", 1, 10*time.Second)
	if !strings.Contains(d.log(), "supervisord.conf:") {
		t.Errorf("the refusal does not name the file and line:\n%s", d.log())
	}
	if after := d.pid("sleeper"); after != before || !alive(before) {
		t.Fatalf("sleeper pid %d → %d after a refused HUP", before, after)
	}
	if out, code := d.ctl("status"); code != 0 || !strings.Contains(out, "RUNNING") {
		t.Fatalf("status after refused HUP: %d %s", code, out)
	}
}

func TestSecondDaemonIsRefused(t *testing.T) {
	d := start(t, "[program:sleeper]\ncommand=sleep 300\nstartsecs=0\n")
	d.waitLog("success: sleeper", 1, 10*time.Second)
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
	d.waitLog("success: parent", 1, 10*time.Second)
	var gc int
	deadline := time.Now().Add(5 * time.Second)
	for gc == 0 && time.Now().Before(deadline) {
		b, _ := os.ReadFile(filepath.Join(d.dir, "gc.pid"))
		gc, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		time.Sleep(10 * time.Millisecond)
	}
	if gc == 0 {
		t.Fatal("no grandchild pid")
	}
	defer syscall.Kill(gc, syscall.SIGKILL)
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("shutdown hung while a grandchild held the program's stdout; log:\n%s", d.log())
	}
	if !alive(gc) {
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
		d.waitLog("success: "+n, 1, 10*time.Second)
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
	dir := t.TempDir()
	conf := writeConf(t, dir, "[program:flood]\ncommand=/bin/sh -c 'yes flooding-the-console'\nstdout_logfile=/dev/stdout\nstartsecs=0\n\n[program:quiet]\ncommand=/bin/sh -c 'while :; do echo tick; sleep 0.05; done'\nstartsecs=0\nstdout_logfile=%(here)s/quiet.log\n")
	// The daemon's stdout is a pipe nobody reads: it fills at once.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command(bin, "-c", conf)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	d := &daemon{t: t, dir: dir, conf: conf, cmd: cmd, out: &bytes.Buffer{}, done: make(chan struct{})}
	go func() { cmd.Wait(); close(d.done) }()
	t.Cleanup(d.stop)
	d.waitLog("success: quiet", 1, 10*time.Second)
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
	deadline := time.Now().Add(10 * time.Second)
	for size() <= first && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if size() <= first {
		t.Fatal("another program's log stopped growing while stdout was stuck")
	}
}

func TestDaemonizeReportsStartup(t *testing.T) {
	dir := t.TempDir()
	conf := writeConf(t, dir, "[program:sleeper]\ncommand=sleep 300\nstartsecs=0\n")
	os.WriteFile(conf, bytes.Replace(mustRead(t, conf), []byte("nodaemon=true"), []byte("nodaemon=false"), 1), 0o644)
	out, err := exec.Command(bin, "-c", conf).CombinedOutput()
	if err != nil {
		t.Fatalf("daemonize: %v %s", err, out)
	}
	pidb, err := os.ReadFile(filepath.Join(dir, "supervisord.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(pidb)))
	if !alive(pid) {
		t.Fatalf("pidfile names %d, which is not running", pid)
	}
	defer func() {
		syscall.Kill(pid, syscall.SIGTERM)
		deadline := time.Now().Add(15 * time.Second)
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
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

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
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
	dir := t.TempDir()
	conf := writeConf(t, dir, `[program:three]
command=/bin/sh -c 'sleep 0.2; exit 3'
startsecs=0
autorestart=true

[program:orphans]
command=/bin/sh -c 'while :; do (sleep 0.05 &); sleep 0.1; done'
startsecs=0
`)
	// nodaemon=false: as PID 1 the daemon must stay in the foreground anyway.
	os.WriteFile(conf, bytes.Replace(mustRead(t, conf), []byte("nodaemon=true"), []byte("nodaemon=false"), 1), 0o644)
	cmd := exec.Command("unshare", "--pid", "--fork", "--mount-proc", bin, "-c", conf)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}()
	d := &daemon{t: t, dir: dir, conf: conf, cmd: cmd, out: &out, done: done}
	d.waitLog("exited: three (exit status 3; not expected)", 3, 15*time.Second)
	d.waitLog("reaped unknown pid", 5, 15*time.Second)
	if strings.Contains(d.log(), "daemonizing") {
		t.Error("daemonized as PID 1")
	}
	// The daemon is unshare's child in our namespace; no zombie may be
	// left under it for long.
	inner := childOf(cmd.Process.Pid)
	if inner == 0 {
		t.Fatal("daemon process not found")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		z := zombiesOf(inner)
		if len(z) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("zombies left under the daemon: %v", z)
		}
		time.Sleep(50 * time.Millisecond)
	}
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
	d.waitLog("success: up", 1, 10*time.Second)
	// /metrics is served on every HTTP server; use the unix socket.
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", filepath.Join(d.dir, "s.sock"))
		},
	}}
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
	d.waitLog("success: shown", 1, 10*time.Second)
	client := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dl net.Dialer
			return dl.DialContext(ctx, "unix", filepath.Join(d.dir, "s.sock"))
		},
	}}
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
