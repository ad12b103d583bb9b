package service

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestUnsupportedInitIsAClearError(t *testing.T) {
	opts := Options{Root: t.TempDir(), Executable: "/bin/true", Exec: func(...string) error { return nil }}
	for _, cmd := range []string{"install", "uninstall", "status"} {
		var stdout, stderr bytes.Buffer
		code := Run([]string{cmd, "-c", "/x", "--init", "upstart"}, &stdout, &stderr, opts)
		want := `unsupported init system "upstart"; supported: systemd, openrc, sysv (or auto)`
		if code != 2 || !strings.Contains(stderr.String(), want) {
			t.Errorf("%s --init upstart: exit %d, stderr %q; want 2 and %q", cmd, code, stderr.String(), want)
		}
	}
}

func TestDetectInit(t *testing.T) {
	tests := []struct {
		dirs, files []string
		want        initSystem
	}{
		{dirs: []string{"run/systemd/system", "etc/init.d"}, want: initSystemd},
		{dirs: []string{"run/openrc", "etc/init.d"}, want: initOpenRC},
		{files: []string{"sbin/openrc-run"}, dirs: []string{"etc/init.d"}, want: initOpenRC},
		{dirs: []string{"etc/init.d"}, want: initSysV},
		// A file where systemd's directory should be is not systemd.
		{files: []string{"run/systemd/system"}, dirs: []string{"etc/init.d"}, want: initSysV},
		// An empty tree being prepared: systemd.
		{want: initSystemd},
	}
	for _, tt := range tests {
		root := t.TempDir()
		for _, d := range tt.dirs {
			if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range tt.files {
			os.MkdirAll(filepath.Join(root, filepath.Dir(f)), 0o755)
			if err := os.WriteFile(filepath.Join(root, f), nil, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		got, err := detectInit(root)
		if err != nil || got != tt.want {
			t.Errorf("dirs %q files %q: %v %v, want %v", tt.dirs, tt.files, got, err, tt.want)
		}
	}
}

// awkwardConf makes a configuration file whose path a shell would mangle
// if it were not quoted right.
func awkwardConf(t *testing.T) string {
	t.Helper()
	conf := filepath.Join(t.TempDir(), "etc dir", `it's "100%" $HOME \n`+"`x`.conf")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("[supervisord]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return conf
}

func shSyntax(t *testing.T, path string) {
	t.Helper()
	if out, err := exec.Command("sh", "-n", path).CombinedOutput(); err != nil {
		t.Errorf("sh -n %s: %v\n%s", path, err, out)
	}
}

func TestInstallOpenRCScript(t *testing.T) {
	root := t.TempDir()
	conf := awkwardConf(t)
	var calls []string
	opts := Options{Root: root, Executable: "/usr/local/bin/supervisord", Exec: func(argv ...string) error {
		calls = append(calls, strings.Join(argv, " "))
		return nil
	}}
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"install", "--init", "openrc", "-c", conf, "--name", "sv", "--stop-timeout", "2m"}, &stdout, &stderr, opts); code != 0 {
		t.Fatalf("install exited %d: %s", code, stderr.String())
	}
	if len(calls) != 0 {
		t.Errorf("tools called inside a root: %q", calls)
	}
	path := filepath.Join(root, "etc", "init.d", "sv")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o755 {
		t.Errorf("script mode %v", fi.Mode())
	}
	text := string(data)
	for _, want := range []string{"#!/sbin/openrc-run\n", "command=/usr/local/bin/supervisord\n", "command_background=true\n",
		`pidfile="/run/${RC_SVCNAME}.pid"`, `retry="TERM/120/KILL/5"`, "extra_started_commands=\"reload\"", "start-stop-daemon --signal HUP"} {
		if !strings.Contains(text, want) {
			t.Errorf("script lacks %q:\n%s", want, text)
		}
	}
	shSyntax(t, path)
	// openrc-run sources the script and evaluates command_args once more;
	// do the same and see what the daemon would get.
	probe := `RC_SVCNAME=sv; . "$1"; eval "set -- $command_args"; for a in "$@"; do printf '%s\0' "$a"; done`
	out, err := exec.Command("sh", "-c", probe, "sh", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if want := []string{"-n", "-c", conf}; !reflect.DeepEqual(got, want) {
		t.Errorf("command_args evaluate to %q, want %q", got, want)
	}

	// An executable path that openrc-run would split is refused.
	stderr.Reset()
	opts.Executable = "/opt/my bin/supervisord"
	if code := Run([]string{"install", "--init", "openrc", "-c", conf}, &stdout, &stderr, opts); code != 1 || !strings.Contains(stderr.String(), "plainer path") {
		t.Errorf("executable with a space: exit %d, %q", code, stderr.String())
	}

	if code := Run([]string{"uninstall", "--init", "openrc", "--name", "sv"}, &stdout, &stderr, opts); code != 0 {
		t.Fatalf("uninstall exited %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("script still there: %v", err)
	}
}

func TestLiveInitToolCalls(t *testing.T) {
	for _, tt := range []struct {
		init   initSystem
		enable string
	}{
		{initOpenRC, "rc-update add sv default"},
		{initSysV, "update-rc.d sv defaults"},
	} {
		var calls []string
		m := &manager{root: "/", name: "sv", stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, init: tt.init, stub: true,
			exec: func(argv ...string) error { calls = append(calls, strings.Join(argv, " ")); return nil }}
		if err := m.enableScript(); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(calls, []string{tt.enable}) {
			t.Errorf("%s enable: %q, want %q", tt.init, calls, tt.enable)
		}
		// Control of a script that is not installed says so and runs
		// nothing (the live /etc/init.d/sv does not exist).
		calls = nil
		if err := m.control("start"); err == nil || !strings.Contains(err.Error(), "not installed") {
			t.Errorf("%s start when not installed: %v", tt.init, err)
		}
		if len(calls) != 0 {
			t.Errorf("%s: ran %q", tt.init, calls)
		}
		// Inside a root, the script is run only on the live system.
		m.root = t.TempDir()
		if err := m.control("status"); err == nil || !strings.Contains(err.Error(), "--root") {
			t.Errorf("%s status inside a root: %v", tt.init, err)
		}
	}
}

// buildDaemon builds the real daemon for the scripts to run.
func buildDaemon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "supervisord")
	cmd := exec.Command("go", "build", "-o", bin, "supervisord/cmd/supervisord")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// script runs the init script with a verb and returns its output and exit
// status.
func script(t *testing.T, path, verb string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, verb).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	case err != nil:
		t.Fatalf("%s %s: %v\n%s", path, verb, err, out)
	}
	return string(out), 0
}

// TestSysVScriptRunsTheDaemon installs the SysV-init script in a temp root
// and drives the real daemon with it: start, status, reload, restart,
// stop, with the LSB exit statuses.
func TestSysVScriptRunsTheDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the daemon")
	}
	bin := buildDaemon(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "my conf's dir", "supervisord.conf")
	os.MkdirAll(filepath.Dir(conf), 0o755)
	sock := filepath.Join(dir, "s.sock")
	log := filepath.Join(dir, "supervisord.log")
	// childlogdir keeps the program's AUTO logs out of the system's /tmp.
	text := "[unix_http_server]\nfile=" + sock + "\n[supervisord]\nlogfile=" + log + "\nnodaemon=false\nchildlogdir=" + dir + "\n" +
		"[program:sleeper]\ncommand=sleep 1000\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	// install writes the script that SysV renders, where init looks.
	root := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"install", "--init", "sysv", "-c", conf, "--name", "sdtest"}, &stdout, &stderr,
		Options{Root: root, Executable: bin, Exec: func(...string) error { return nil }}); code != 0 {
		t.Fatalf("install exited %d: %s", code, stderr.String())
	}
	installed := filepath.Join(root, "etc", "init.d", "sdtest")
	data, err := os.ReadFile(installed)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(installed); fi.Mode().Perm() != 0o755 {
		t.Errorf("script mode %v", fi.Mode())
	}
	for _, want := range []string{"### BEGIN INIT INFO\n# Provides:          sdtest\n", "PIDFILE='/run/sdtest.pid'\n", "DAEMON='" + bin + "'\n"} {
		if !strings.Contains(string(data), want) {
			t.Errorf("script lacks %q:\n%s", want, data)
		}
	}
	shSyntax(t, installed)

	// The same script with its pid file in the test's directory.
	pidfile := filepath.Join(dir, "sdtest.pid")
	body, err := Unit{Description: "test", Executable: bin, Config: conf, StopTimeout: 20 * time.Second}.SysV("sdtest", pidfile)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "sdtest")
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	shSyntax(t, path)
	t.Cleanup(func() {
		if b, err := os.ReadFile(pidfile); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	readPid := func() int {
		b, err := os.ReadFile(pidfile)
		if err != nil {
			t.Fatalf("no pid file: %v", err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		return pid
	}

	if out, code := script(t, path, "status"); code != 3 {
		t.Errorf("status before start: exit %d, %q", code, out)
	}
	if out, code := script(t, path, "start"); code != 0 {
		t.Fatalf("start: exit %d, %q\nlog:\n%s", code, out, readFile(log))
	}
	pid := readPid()
	if out, code := script(t, path, "status"); code != 0 || !strings.Contains(out, "running (pid "+strconv.Itoa(pid)+")") {
		t.Errorf("status: exit %d, %q", code, out)
	}
	if out, code := script(t, path, "start"); code != 0 || !strings.Contains(out, "already running") {
		t.Errorf("second start: exit %d, %q", code, out)
	}
	if out, code := script(t, path, "reload"); code != 0 {
		t.Errorf("reload: exit %d, %q", code, out)
	}
	waitFor(t, func() bool { return strings.Contains(readFile(log), "received SIGHUP indicating restart request") })
	if out, code := script(t, path, "restart"); code != 0 {
		t.Fatalf("restart: exit %d, %q", code, out)
	}
	if next := readPid(); next == pid {
		t.Errorf("restart kept pid %d", pid)
	} else {
		pid = next
	}
	if out, code := script(t, path, "stop"); code != 0 {
		t.Errorf("stop: exit %d, %q", code, out)
	}
	if syscall.Kill(pid, 0) == nil && !zombie(pid) {
		t.Errorf("daemon %d still running after stop", pid)
	}
	if !strings.Contains(readFile(log), "supervisord stopped") && !strings.Contains(readFile(log), "received SIGTERM") {
		t.Errorf("the daemon did not stop by SIGTERM; log:\n%s", readFile(log))
	}
	if out, code := script(t, path, "status"); code != 3 {
		t.Errorf("status after stop: exit %d, %q", code, out)
	}
	if out, code := script(t, path, "bogus"); code != 2 || !strings.Contains(out, "Usage:") {
		t.Errorf("bogus verb: exit %d, %q", code, out)
	}
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	return err == nil && strings.Contains(string(b), "State:\tZ")
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 20s")
		}
		time.Sleep(20 * time.Millisecond) // polling a log file
	}
}

// FuzzShQuote checks that a quoted word reaches a shell command intact.
func FuzzShQuote(f *testing.F) {
	for _, s := range []string{"", "plain", "it's", `a "b" $c \d`, "`x`\n'\\''", "%s%%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsRune(s, 0) {
			return // no argument can hold a NUL
		}
		out, err := exec.Command("sh", "-c", "printf '%s' "+shQuote(s)).Output()
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if string(out) != s {
			t.Errorf("%q came out as %q", s, out)
		}
	})
}
