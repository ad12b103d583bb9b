package service

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestQuoteExecRoundTrip(t *testing.T) {
	tests := []struct {
		argv []string
		want string
	}{
		{[]string{"/usr/bin/supervisord", "-n", "-c", "/etc/supervisord.conf"}, "/usr/bin/supervisord -n -c /etc/supervisord.conf"},
		{[]string{"/opt/my app/supervisord", "-c", "/etc/a b.conf"}, `"/opt/my app/supervisord" -c "/etc/a b.conf"`},
		{[]string{"/bin/x", "100%", "$HOME", "${X}"}, `/bin/x 100%% $$HOME $${X}`},
		{[]string{"/bin/x", `say "hi"`, `back\slash`, "it's"}, `/bin/x "say \"hi\"" "back\\slash" "it's"`},
		{[]string{"/bin/x", ";", "a;b", ""}, `/bin/x \; "a;b" ""`},
		{[]string{"/bin/x", "line\nbreak", "tab\there", "bell\a"}, `/bin/x "line\nbreak" "tab\there" "bell\x07"`},
		{[]string{"/bin/ünï", "çödé"}, "/bin/ünï çödé"},
	}
	for _, tt := range tests {
		got, err := QuoteExec(tt.argv)
		if err != nil {
			t.Errorf("QuoteExec(%q): %v", tt.argv, err)
			continue
		}
		if got != tt.want {
			t.Errorf("QuoteExec(%q) = %s, want %s", tt.argv, got, tt.want)
		}
		back, err := SplitExec(got)
		if err != nil || !reflect.DeepEqual(back, tt.argv) {
			t.Errorf("SplitExec(%s) = %q, %v; want %q", got, back, err, tt.argv)
		}
	}
	for _, bad := range [][]string{nil, {"relative/bin"}, {"/bin/x", "nul\x00"}, {"/bin/x", "\xff"}} {
		if _, err := QuoteExec(bad); err == nil {
			t.Errorf("QuoteExec(%q): no error", bad)
		}
	}
}

func TestSplitExec(t *testing.T) {
	tests := []struct {
		line string
		want []string
		err  bool
	}{
		{`/bin/a  'single quoted' "dq" mixed"q"uote \s`, []string{"/bin/a", "single quoted", "dq", "mixedquote", " "}, false},
		{`/bin/a "open`, nil, true},
		{`/bin/a %n`, nil, true},
		{`/bin/a $HOME`, nil, true},
		{`/bin/a \q`, nil, true},
		{`/bin/a \`, nil, true},
	}
	for _, tt := range tests {
		got, err := SplitExec(tt.line)
		if (err != nil) != tt.err || (!tt.err && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("SplitExec(%s) = %q, %v; want %q (error %v)", tt.line, got, err, tt.want, tt.err)
		}
	}
}

func FuzzQuoteExec(f *testing.F) {
	f.Add("-c", "/etc/x y.conf")
	f.Add(`"\`, "%$;")
	f.Fuzz(func(t *testing.T, a, b string) {
		argv := []string{"/bin/supervisord", a, b}
		line, err := QuoteExec(argv)
		if err != nil {
			return
		}
		back, err := SplitExec(line)
		if err != nil {
			t.Fatalf("SplitExec(%q): %v", line, err)
		}
		if !reflect.DeepEqual(back, argv) {
			t.Fatalf("round trip of %q gave %q via %s", argv, back, line)
		}
	})
}

func FuzzSplitExec(f *testing.F) {
	f.Add(`/bin/a "b c" 'd' \x41 %% $$`)
	f.Fuzz(func(t *testing.T, line string) {
		SplitExec(line) // must not panic
	})
}

// unitLines returns the key=value lines of a unit, by key.
func unitLines(t *testing.T, text string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, l := range strings.Split(text, "\n") {
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "[") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Fatalf("bad unit line %q", l)
		}
		out[k] = append(out[k], v)
	}
	return out
}

func TestInstallWritesUnitThatRuns(t *testing.T) {
	tmp := t.TempDir()
	root := filepath.Join(tmp, "root")
	// An executable and a configuration in awkward places: spaces, a
	// percent sign and a dollar sign must all survive systemd's parsing.
	exeDir := filepath.Join(tmp, "my bin")
	exe := filepath.Join(exeDir, "supervisord")
	if err := os.MkdirAll(exeDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// The stand-in daemon prints its arguments, NUL-terminated.
	script := "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\0' \"$a\"; done\n"
	if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(tmp, "etc dir", "super 100% $visor.conf")
	if err := os.MkdirAll(filepath.Dir(conf), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("[supervisord]\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	var calls [][]string
	opts := Options{Root: root, Executable: exe, Systemctl: func(args ...string) error {
		calls = append(calls, args)
		return nil
	}}
	var stdout, stderr bytes.Buffer
	if code := Run([]string{"install", "-c", conf, "--name", "supervisord"}, &stdout, &stderr, opts); code != 0 {
		t.Fatalf("install exited %d: %s", code, stderr.String())
	}
	if len(calls) != 0 {
		t.Errorf("systemctl called inside a root: %q", calls)
	}
	unitPath := filepath.Join(root, "etc", "systemd", "system", "supervisord.service")
	if !strings.Contains(stdout.String(), unitPath) {
		t.Errorf("stdout %q does not name %s", stdout.String(), unitPath)
	}
	data, err := os.ReadFile(unitPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(unitPath); fi.Mode().Perm() != 0o644 {
		t.Errorf("unit mode %v", fi.Mode())
	}
	keys := unitLines(t, string(data))
	for k, want := range map[string]string{
		"Type": "notify", "KillMode": "mixed", "Restart": "on-failure",
		"WantedBy": "multi-user.target", "TimeoutStopSec": "90",
		"ExecReload": "/bin/kill -HUP $MAINPID",
	} {
		if got := keys[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
	if len(keys["ExecStart"]) != 1 {
		t.Fatalf("ExecStart lines: %q", keys["ExecStart"])
	}
	argv, err := SplitExec(keys["ExecStart"][0])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{exe, "-n", "-c", conf}
	if !reflect.DeepEqual(argv, want) {
		t.Fatalf("ExecStart parses to %q, want %q", argv, want)
	}

	// Run it as systemd would and see what the daemon receives.
	out, err := exec.Command(argv[0], argv[1:]...).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if !reflect.DeepEqual(got, want[1:]) {
		t.Errorf("the daemon got %q, want %q", got, want[1:])
	}

	// systemd itself accepts the unit, when it is here to ask.
	if analyze, err := exec.LookPath("systemd-analyze"); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, analyze, "verify", unitPath).CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	} else {
		t.Log("systemd-analyze not found; unit not verified by systemd")
	}

	// Installing again replaces the unit.
	if code := Run([]string{"install", "-c", conf, "--stop-timeout", "5m"}, &stdout, &stderr, opts); code != 0 {
		t.Fatalf("second install exited %d: %s", code, stderr.String())
	}
	data, _ = os.ReadFile(unitPath)
	if !strings.Contains(string(data), "TimeoutStopSec=300\n") {
		t.Errorf("stop timeout not updated:\n%s", data)
	}

	// Start and stop need the live system.
	stderr.Reset()
	if code := Run([]string{"start"}, &stdout, &stderr, opts); code != 1 || !strings.Contains(stderr.String(), "--root") {
		t.Errorf("start inside a root: exit %d, %q", code, stderr.String())
	}

	if code := Run([]string{"uninstall"}, &stdout, &stderr, opts); code != 0 {
		t.Fatalf("uninstall exited %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(unitPath); !os.IsNotExist(err) {
		t.Errorf("unit still there: %v", err)
	}
	stderr.Reset()
	if code := Run([]string{"uninstall"}, &stdout, &stderr, opts); code != 1 || !strings.Contains(stderr.String(), "not installed") {
		t.Errorf("second uninstall: exit %d, %q", code, stderr.String())
	}
}

func TestLiveSystemCallsSystemctl(t *testing.T) {
	tmp := t.TempDir()
	conf := filepath.Join(tmp, "s.conf")
	os.WriteFile(conf, nil, 0o644)
	var calls []string
	m := &manager{root: "/", name: "svtest", stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{},
		systemctl: func(args ...string) error { calls = append(calls, strings.Join(args, " ")); return nil }}
	// Only the control verbs: install on "/" would write to the live
	// system, so it is covered inside a root above.
	m.root = tmp
	if err := m.control("status"); err == nil {
		t.Error("status inside a root: no error")
	}
	m.root = "/"
	if err := m.control("status"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"status --no-pager svtest.service"}; !reflect.DeepEqual(calls, want) {
		t.Errorf("systemctl calls %q, want %q", calls, want)
	}
	if err := m.control("start"); err == nil || !strings.Contains(err.Error(), "not installed") {
		t.Errorf("start of a unit that is not installed: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	opts := Options{Root: t.TempDir(), Executable: "/bin/true", Systemctl: func(...string) error { return nil }}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"install"}, 2, "-c FILE is required"},
		{[]string{"install", "-c", "/nonexistent/x.conf"}, 1, "does not exist"},
		{[]string{"install", "-c", "/x", "--name", "bad/name"}, 2, "invalid name"},
		{[]string{"stop", "extra"}, 2, "unexpected argument"},
		{[]string{"install", "--bogus"}, 2, "flag provided but not defined"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := Run(tt.args, &stdout, &stderr, opts)
		if code != tt.code || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("Run(%q) = %d, stderr %q; want %d and %q", tt.args, code, stderr.String(), tt.code, tt.want)
		}
	}
	var stdout bytes.Buffer
	if code := Run([]string{"--help"}, &stdout, &stdout, opts); code != 0 || !strings.Contains(stdout.String(), "install") {
		t.Errorf("--help: %d %q", code, stdout.String())
	}
}

func TestUnitStopTimeoutRoundsUp(t *testing.T) {
	u := Unit{Executable: "/bin/sd", Config: "/c", StopTimeout: 1500 * time.Millisecond, Description: "a\nb 50%"}
	text, err := u.Systemd()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "TimeoutStopSec=2\n") || !strings.Contains(text, "Description=a b 50%%\n") {
		t.Errorf("unit:\n%s", text)
	}
}
