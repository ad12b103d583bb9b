package ctl

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The daemon the tests talk to. SUPERVISORCTL_TEST_DAEMON names another
// binary that accepts "-n -c file" (for instance our own supervisord).
const referenceDaemon = "/usr/bin/supervisord"

func daemonBinary() string {
	if d := os.Getenv("SUPERVISORCTL_TEST_DAEMON"); d != "" {
		return d
	}
	return referenceDaemon
}

// skipReason says why the daemon cannot be used, or "".
func skipReason() string {
	bin := daemonBinary()
	if _, err := os.Stat(bin); err != nil {
		return fmt.Sprintf("daemon %s not installed", bin)
	}
	if bin == referenceDaemon {
		if err := exec.Command("/usr/bin/python3", "-c", "import supervisor").Run(); err != nil {
			return "python supervisor module not installed"
		}
	}
	return ""
}

// requireDaemon skips the test when the daemon is missing, unless
// SUPERVISORD_REQUIRE_REFERENCE=1 makes that a failure.
func requireDaemon(t testing.TB) {
	t.Helper()
	if why := skipReason(); why != "" {
		if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") == "1" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// baseConfig is a daemon with a socket and a TCP port, several kinds of
// program and a group. @DIR@ and @PORT@ are filled in.
const baseConfig = `[unix_http_server]
file=@DIR@/sock

[inet_http_server]
port=127.0.0.1:@PORT@

[supervisord]
logfile=@DIR@/supervisord.log
pidfile=@DIR@/supervisord.pid
childlogdir=@DIR@

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://@DIR@/sock

[program:sleeper]
command=sleep 1000
startsecs=0
stopwaitsecs=2

[program:quick]
command=sh -c 'echo hello from quick; echo oops >&2; exit 3'
autorestart=false
startsecs=0

[program:pool]
command=sleep 1000
numprocs=2
process_name=%(program_name)s_%(process_num)s
startsecs=0

[program:cat]
command=cat
autostart=false
startsecs=0

[group:grp]
programs=cat
`

// fixture is what the daemon helpers need from a test or a test script.
type fixture interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

type daemon struct {
	dir  string
	port int
	conf string
	cmd  *exec.Cmd
}

func (d *daemon) unixURL() string { return "unix://" + filepath.Join(d.dir, "sock") }
func (d *daemon) httpURL() string { return fmt.Sprintf("http://127.0.0.1:%d", d.port) }

// writeConfig fills in the placeholders of text and writes dir/supervisord.conf.
func writeConfig(t fixture, dir string, port int, text string) string {
	t.Helper()
	text = strings.ReplaceAll(text, "@DIR@", dir)
	text = strings.ReplaceAll(text, "@PORT@", fmt.Sprint(port))
	conf := filepath.Join(dir, "supervisord.conf")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatalf("%v", err)
	}
	return conf
}

// startDaemon runs the daemon on dir/supervisord.conf and waits until its
// autostarted programs have settled. It is stopped when the test ends.
func startDaemon(t fixture, dir string, port int) *daemon {
	t.Helper()
	d := &daemon{dir: dir, port: port, conf: filepath.Join(dir, "supervisord.conf")}
	d.cmd = exec.Command(daemonBinary(), "-n", "-c", d.conf)
	d.cmd.Dir = dir
	logf, err := os.Create(filepath.Join(dir, "daemon.out"))
	if err != nil {
		t.Fatalf("%v", err)
	}
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(func() {
		d.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			d.cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
	d.waitSettled(t)
	// Settled can also mean "not started yet"; the base configuration's
	// quick exits at once, so once it has, every autostart program has
	// been spawned and has an AUTO log to tail.
	if b, err := os.ReadFile(d.conf); err == nil && strings.Contains(string(b), "[program:quick]") {
		d.waitState(t, "quick", "EXITED")
	}
	return d
}

// waitSettled waits until no process is STARTING or BACKOFF.
func (d *daemon) waitSettled(t fixture) {
	t.Helper()
	cl := newClient(d.unixURL(), nil, nil, "")
	defer cl.close()
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		v, err := cl.call(context.Background(), "supervisor.getAllProcessInfo")
		if err == nil {
			settled := true
			for _, info := range results(v) {
				if s := intField(info, "state"); s == 10 || s == 30 {
					settled = false
				}
			}
			if settled {
				return
			}
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	out, _ := os.ReadFile(filepath.Join(d.dir, "daemon.out"))
	t.Fatalf("daemon did not settle: %v\n%s", last, out)
}

// waitState polls until the named process reaches state.
func (d *daemon) waitState(t fixture, name, state string) {
	t.Helper()
	cl := newClient(d.unixURL(), nil, nil, "")
	defer cl.close()
	deadline := time.Now().Add(15 * time.Second)
	got := ""
	for time.Now().Before(deadline) {
		v, err := cl.call(context.Background(), "supervisor.getProcessInfo", name)
		if m, ok := v.(map[string]any); err == nil && ok {
			if got = strField(m, "statename"); got == state {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s: want state %s, last saw %q", name, state, got)
}
