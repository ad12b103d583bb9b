package daemon_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"supervisord/test/harness"
	"testing"
	"time"
)

// exitCode waits for the daemon to end by itself and returns its status.
func (d *daemon) exitCode(timeout time.Duration) int {
	d.t.Helper()
	return d.WaitExit(d.t, timeout)
}

// logIndex is the offset of the first occurrence of sub in the main log,
// -1 when none.
func logIndex(log, sub string) int { return strings.Index(log, sub) }

const shutdownWhenPrograms = `[program:first]
command=sleep 30
priority=1
startsecs=0

[program:second]
command=sleep 30
priority=2
startsecs=0

[program:main]
command=/bin/sh -c 'sleep 0.5; exit 7'
priority=3
startsecs=2
startretries=1
shutdown_when=fatal
`

func TestShutdownWhenFatalExitsWithTheProgramsStatus(t *testing.T) {
	d := launch(t, writeConf(t, shutdownWhenPrograms), harness.Spec{NoWait: true})
	if code := d.exitCode(30 * time.Second); code != 7 {
		t.Fatalf("exit status %d, want 7; log:\n%s", code, d.log())
	}
	log := d.log()
	cause := logIndex(log, "CRIT shutdown_when=fatal: 'main' entered FATAL state, shutting down with exit status 7")
	s2, s1 := logIndex(log, "stopped: second"), logIndex(log, "stopped: first")
	if cause < 0 || !(cause < s2 && s2 < s1) || logIndex(log, "exiting with status 7") < s1 {
		t.Fatalf("want the cause, then second and first stopped in order, then the exit; log:\n%s", log)
	}
}

func TestShutdownWhenExitedCleanEndExitsZero(t *testing.T) {
	d := launch(t, writeConf(t, `[program:other]
command=sleep 30
startsecs=0

[program:job]
command=/bin/sh -c 'sleep 0.5; exit 0'
startsecs=0
shutdown_when=exited
`), harness.Spec{NoWait: true})
	if code := d.exitCode(30 * time.Second); code != 0 {
		t.Fatalf("exit status %d, want 0; log:\n%s", code, d.log())
	}
	log := d.log()
	if c, s := logIndex(log, "shutdown_when=exited: 'job' exited, shutting down with exit status 0"), logIndex(log, "stopped: other"); c < 0 || s < c {
		t.Fatalf("log:\n%s", log)
	}
}

// TestShutdownWhenAsPID1 runs the daemon as PID 1 of a new pid namespace,
// as in a container: the program's status must reach whoever started it.
func TestShutdownWhenAsPID1(t *testing.T) {
	if err := exec.Command("unshare", "--pid", "--fork", "--mount-proc", "true").Run(); err != nil {
		t.Skipf("cannot create a pid namespace here (unshare: %v)", err)
	}
	d := launch(t, writeConf(t, shutdownWhenPrograms), harness.Spec{
		Wrap:   []string{"unshare", "--pid", "--fork", "--mount-proc"},
		NoWait: true,
	})
	if code := d.exitCode(30 * time.Second); code != 7 {
		t.Fatalf("exit status %d through unshare, want 7; output:\n%s\nlog:\n%s", code, d.Output(), d.log())
	}
	if !strings.Contains(d.log(), "supervisord started with pid 1\n") {
		t.Fatalf("not PID 1; log:\n%s", d.log())
	}
}

var logTime = regexp.MustCompile(`^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) `)

// logTimes returns the daemon's timestamps of the main log lines
// containing sub.
func logTimes(t *testing.T, log, sub string) []time.Time {
	t.Helper()
	var out []time.Time
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, sub) {
			continue
		}
		m := logTime.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("no time in %q", line)
		}
		ts, err := time.ParseInLocation("2006-01-02 15:04:05,000", m[1], time.Local)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ts)
	}
	return out
}

// TestExponentialBackoffIntervals measures, on the daemon's own log
// timestamps, the delay from each failure to the next spawn: 1, 2, 4, 4,
// 4 s with backoff_max=4, each within ±25 % (the jitter is ±20 %). None
// may be early; one may be late, as a loaded machine can hold a daemon up
// for seconds (seen once in CI: 10 s for a 4 s retry), which a broken
// doubling or cap would not be.
func TestExponentialBackoffIntervals(t *testing.T) {
	d := start(t, `[program:flap]
command=/bin/sh -c 'exit 1'
startsecs=1
startretries=5
backoff=exponential
backoff_max=4
`)
	d.waitLog("gave up: flap entered FATAL state", 1)
	log := d.log()
	exits, spawns := logTimes(t, log, "exited: flap"), logTimes(t, log, "spawned: 'flap'")
	want := []float64{1, 2, 4, 4, 4}
	if len(spawns) != len(want)+1 || len(exits) != len(want)+1 {
		t.Fatalf("%d spawns and %d exits, want %d; log:\n%s", len(spawns), len(exits), len(want)+1, log)
	}
	var got, late []string
	for i, w := range want {
		s := spawns[i+1].Sub(exits[i]).Seconds()
		got = append(got, fmt.Sprintf("%.3f", s))
		if s < w*0.75 {
			t.Errorf("retry %d came %.3fs after the failure, want %v s ±25%%", i+1, s, w)
		}
		if s > w*1.25 {
			late = append(late, fmt.Sprintf("retry %d came %.3fs after the failure, want %v s ±25%%", i+1, s, w))
		}
	}
	if len(late) > 1 {
		t.Errorf("%d retries late:\n%s", len(late), strings.Join(late, "\n"))
	}
	t.Logf("failure → next spawn (s): %s", strings.Join(got, " "))
}

func TestStartretriesInfiniteNeverGivesUp(t *testing.T) {
	d := start(t, `[program:flap]
command=/bin/sh -c 'exit 1'
startsecs=1
startretries=infinite
backoff=exponential
backoff_max=1
`)
	d.waitLog("spawned: 'flap'", 11)
	if strings.Contains(d.log(), "gave up") {
		t.Fatalf("gave up; log:\n%s", d.log())
	}
	out, _ := d.ctl("status", "flap")
	if !regexp.MustCompile(`^flap +(BACKOFF +Exited too quickly \(process log may have details\); retry in \ds|STARTING) *\n$`).MatchString(out) {
		t.Fatalf("status %q", out)
	}
}

// notifySender writes a python sd_notify sender into dir and returns the
// command that runs it.
func notifySender(t *testing.T, dir string) string {
	t.Helper()
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		t.Skip("python3 is needed to send notify messages")
	}
	path := filepath.Join(dir, "notify.py")
	src := "import os, socket, sys\naddr = os.environ['NOTIFY_SOCKET']\naddr = '\\0' + addr[1:] if addr.startswith('@') else addr\n" +
		"socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), addr)\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return py + " " + path
}

func TestCtlWait(t *testing.T) {
	senderDir := t.TempDir()
	send := notifySender(t, senderDir)
	d := start(t, fmt.Sprintf(`[program:web]
command=/bin/sh -c 'sleep 1.5; %s READY=1; exec sleep 60'
ready_when=notify
startsecs=20

[program:mute]
command=sleep 60
ready_when=notify
startsecs=60

[program:broken]
command=/bin/sh -c 'exit 3'
startsecs=1
startretries=0
autostart=false

[program:manual]
command=sleep 60
autostart=false
`, send))
	// Success: returns once web is RUNNING, which it is only after READY=1.
	out, code := d.ctl("wait", "--timeout", "20s", "web")
	if code != 0 || out != "" {
		t.Fatalf("wait web: %d %q\ndaemon log:\n%s", code, out, d.log())
	}
	if st, _ := d.ctl("status", "web"); !strings.Contains(st, "RUNNING") {
		t.Fatalf("status after wait: %q", st)
	}
	if !strings.Contains(d.log(), "success: web entered RUNNING state, process reported ready (READY=1)") {
		t.Fatalf("log:\n%s", d.log())
	}
	// Timeout: by default every autostart program, so mute lags; manual
	// (not autostart) is not waited for.
	start := time.Now()
	out, code = d.ctl("wait", "--timeout=1s")
	if code != 1 || out != "timed out after 1s waiting for: mute (STARTING)\n" {
		t.Fatalf("wait all: %d %q", code, out)
	}
	if took := time.Since(start); took < time.Second || took > 10*time.Second {
		t.Fatalf("wait took %v", took)
	}
	// A FATAL program ends the wait at once.
	d.ctl("start", "broken")
	out, code = d.ctl("wait", "--timeout", "30", "broken")
	if code != 1 || !strings.HasPrefix(out, "broken is FATAL: ") {
		t.Fatalf("wait broken: %d %q", code, out)
	}
	// Bad input.
	if out, code = d.ctl("wait", "nosuch"); code != 1 || out != "nosuch: ERROR (no such process)\n" {
		t.Fatalf("wait nosuch: %d %q", code, out)
	}
	if out, code = d.ctl("wait", "--timeout", "soon"); code != 2 || !strings.HasPrefix(out, "Error: bad timeout \"soon\"") {
		t.Fatalf("wait --timeout soon: %d %q", code, out)
	}
}

func TestCtlWaitForADaemonStillStarting(t *testing.T) {
	p := writeConf(t, "[program:a]\ncommand=sleep 60\nstartsecs=1\n")
	// The client starts first: it waits out "no such file" until the
	// daemon is up and a is RUNNING.
	wait := exec.Command(bin, "ctl", "-c", p.Config, "wait", "--timeout", "20s")
	var out bytes.Buffer
	wait.Stdout, wait.Stderr = &out, &out
	if err := wait.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- wait.Wait() }()
	t.Cleanup(func() { wait.Process.Kill() })
	d := launch(t, p, harness.Spec{NoWait: true})
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("wait: %v %q", err, out.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("wait did not return")
	}
	if !strings.Contains(d.log(), "success: a entered RUNNING state") {
		t.Fatalf("wait returned before a was RUNNING; log:\n%s", d.log())
	}
}

func TestLifecycleConfigErrorsNameFileAndLine(t *testing.T) {
	conf := writeConf(t, "[program:x]\ncommand=sleep 1\nbackoff=cubic\nready_when=telepathy\n").Config
	out, err := exec.Command(bin, "-c", conf).CombinedOutput()
	if err == nil {
		t.Fatalf("started with a bad config: %s", out)
	}
	for _, want := range []string{
		fmt.Sprintf("supervisord.conf:%d: [program:x] backoff: invalid backoff \"cubic\"", lineOf(t, conf, "backoff=cubic")),
		fmt.Sprintf("supervisord.conf:%d: [program:x] ready_when: invalid ready_when \"telepathy\"", lineOf(t, conf, "ready_when=telepathy")),
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCtlWaitWantsHealthyWithALivenessCheck(t *testing.T) {
	d := start(t, `[program:svc]
command=sleep 60
startsecs=0
liveness_check_script=tcp://127.0.0.1:1
liveness_check_period=5
liveness_check_failure_action=none
`)
	d.waitLog("success: svc entered RUNNING state", 1)
	if out, code := d.ctl("wait", "--timeout", "1s", "svc"); code != 1 || out != "timed out after 1s waiting for: svc (RUNNING, unknown)\n" {
		t.Fatalf("wait: %d %q", code, out)
	}
}
