package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func check(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(append([]string{"supervisord", "check"}, args...), strings.NewReader(""), &stdout, &stderr)
	return stdout.String() + stderr.String(), code
}

func TestCheckExamples(t *testing.T) {
	out, code := check(t, "-c", "../../examples/demo/supervisord.conf")
	if code != 0 || !strings.HasSuffix(out, "configuration is valid (5 programs in 3 groups, 0 warnings)\n") {
		t.Fatalf("demo: exit %d\n%s", code, out)
	}
	// The container example names binaries that exist only in its image.
	out, code = check(t, "-c", "../../examples/exit-on-fatal/supervisord.conf")
	want := "error: ../../examples/exit-on-fatal/supervisord.conf:21: [program:app] command: can't find command '/usr/local/bin/app'\n" +
		"error: ../../examples/exit-on-fatal/supervisord.conf:30: [program:sidecar] command: can't find command '/usr/local/bin/sidecar'\n"
	if code != 1 || !strings.HasPrefix(out, want) || !strings.HasSuffix(out, "configuration is invalid (2 errors, 0 warnings)\n") {
		t.Fatalf("exit-on-fatal: exit %d\n%s", code, out)
	}
}

// TestCheckBroken reports every problem of a broken file at once, with
// file and line, errors first.
func TestCheckBroken(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "busy.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conf := filepath.Join(dir, "s.conf")
	text := "[supervisord]\nlogfile=" + dir + "/log\nbogus=1\n\n" +
		"[unix_http_server]\nfile=" + sock + "\n\n" +
		"[program:a]\ncommand=no-such-command-here --x\ndirectory=" + dir + "/missing\n\n" +
		"[program:b]\ncommand=sh -c 'unclosed\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := check(t, "-c", conf)
	want := []string{
		"error: " + conf + ":8: [program:a] command: can't find command 'no-such-command-here'",
		"error: " + conf + ":8: [program:a] directory: " + dir + "/missing is not an existing directory",
		"error: " + conf + ":12: [program:b] command: can't parse command ",
		"warning: " + conf + ":3: [supervisord] bogus: unknown option, ignored",
		"warning: " + conf + ": [unix_http_server] file: " + sock + " is in use (a running supervisord?); the daemon cannot start while it is",
		conf + ": configuration is invalid (3 errors, 2 warnings)",
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != 1 || len(lines) != len(want) {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], want[i])
		}
	}

	// A file the loader rejects: its errors and its warnings together.
	if err := os.WriteFile(conf, []byte("[supervisord]\nlogformat=xml\nnope=1\nstartsecs=x\n[program:c]\nstartsecs=1O\ncommand=true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = check(t, "--json", "-c", conf)
	var rep checkReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output: %v\n%s", err, out)
	}
	if code != 1 || rep.OK || len(rep.Errors) != 2 || len(rep.Warnings) != 2 {
		t.Fatalf("exit %d, report %+v", code, rep)
	}
	e := rep.Errors[0]
	if e.File != conf || e.Line != 2 || e.Section != "supervisord" || e.Key != "logformat" || e.Message != `invalid logformat "xml" (want text or json)` {
		t.Errorf("first error %+v", e)
	}
	if e := rep.Errors[1]; e.Line != 6 || e.Section != "program:c" || e.Key != "startsecs" {
		t.Errorf("second error %+v", e)
	}
	if w := rep.Warnings[0]; w.File != conf || w.Line != 3 || w.Section != "supervisord" || !strings.Contains(w.Message, "nope: unknown option") {
		t.Errorf("first warning %+v", w)
	}
}

func TestCheckUsageAndMissingFile(t *testing.T) {
	if out, code := check(t, "--bogus"); code != 2 || !strings.Contains(out, `unexpected argument "--bogus"`) {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if out, code := check(t, "-c"); code != 2 || !strings.Contains(out, "requires argument") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	missing := filepath.Join(t.TempDir(), "none.conf")
	out, code := check(t, "-c", missing)
	if code != 1 || !strings.Contains(out, "error: "+missing+": could not find config file "+missing) {
		t.Fatalf("exit %d\n%s", code, out)
	}
}

// FuzzParseFinding: any warning text comes back whole in Text, and a
// parsed line number is what the text says.
func FuzzParseFinding(f *testing.F) {
	for _, s := range []string{
		"/etc/s.conf:3: [supervisord] bogus: unknown option, ignored",
		"/etc/s.conf:170: [include] files: No file matches via include \"x/*.ini\"",
		"no position here", "a:b: c", ":1: x", "f:99999999999999999999: m", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := parseFinding(s)
		if got.Text != s {
			t.Fatalf("Text %q, want %q", got.Text, s)
		}
		if got.Line != 0 && !strings.Contains(s, ":"+strconv.Itoa(got.Line)+": ") {
			t.Fatalf("line %d not in %q", got.Line, s)
		}
	})
}
