package spawn

import (
	"supervisord/internal/pycompat"

	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// referencePython is the interpreter that has Supervisor's own modules.
const referencePython = "/usr/bin/python3"

func requireReference(t *testing.T) {
	t.Helper()
	cmd := exec.Command(referencePython, "-c", "import supervisor.process")
	cmd.Dir = os.TempDir()
	if err := cmd.Run(); err != nil {
		if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") == "1" {
			t.Fatalf("reference supervisor module unavailable: %v", err)
		}
		t.Skipf("skipping: reference supervisor module unavailable via %s: %v", referencePython, err)
	}
}

// runReference runs a Python script that reads JSON on stdin and writes
// JSON on stdout.
func runReference(t *testing.T, script string, in, out any) {
	t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(t.TempDir(), "in")
	if err != nil {
		t.Fatal(err)
	}
	f.Write(b)
	f.Seek(0, 0)
	defer f.Close()
	cmd := exec.Command(referencePython, "-c", script)
	cmd.Dir = os.TempDir() // keep Supervisor's own xmlrpc.py off sys.path
	cmd.Stdin = f
	res, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	if err := json.Unmarshal(res, out); err != nil {
		t.Fatalf("reference output %q: %v", res, err)
	}
}

// TestResolveMatchesReference runs the same lookups through Supervisor's
// get_execv_args and compares the outcome and the message.
func TestResolveMatchesReference(t *testing.T) {
	requireReference(t)
	cases := resolveCases(t)
	type query struct{ Argv0, Path string }
	var in []query
	for _, c := range cases {
		in = append(in, query{c.argv0, c.path})
	}
	script := `import json, shlex, sys
from supervisor.options import ServerOptions, NotFound
from supervisor.process import Subprocess
from supervisor.options import ProcessException
opts = ServerOptions()
out = []
for q in json.load(sys.stdin):
    class Config: pass
    c = Config()
    c.command = shlex.quote(q["Argv0"])
    c.options = opts
    path = q["Path"]
    c.get_path = (lambda p=path: p.split(":")) if path else opts.get_path
    p = Subprocess.__new__(Subprocess)
    p.config = c
    try:
        out.append(["ok", p.get_execv_args()[0]])
    except NotFound as e:
        out.append(["NO_FILE", e.args[0]])
    except ProcessException as e:
        out.append(["NOT_EXECUTABLE", e.args[0]])
json.dump(out, sys.stdout)
`
	var ref [][2]string
	runReference(t, script, in, &ref)
	if len(ref) != len(cases) {
		t.Fatalf("reference answered %d of %d", len(ref), len(cases))
	}
	for i, c := range cases {
		got, err := Resolve(c.argv0, c.path)
		want := ref[i]
		var gotPair [2]string
		if err == nil {
			gotPair = [2]string{"ok", got}
		} else {
			fe := err.(interface{ FaultString() string }).FaultString()
			code, detail, _ := strings.Cut(fe, ": ")
			gotPair = [2]string{code, detail}
		}
		if gotPair != want {
			t.Errorf("Resolve(%q, %q) = %q, reference %q", c.argv0, c.path, gotPair, want)
		}
	}
}

// TestPyReprMatchesReference compares pyRepr with Python's repr of the
// same file names (bytes decoded as Python decodes file names).
func TestPyReprMatchesReference(t *testing.T) {
	requireReference(t)
	inputs := []string{"", "abc", "it's", `say "hi"`, `both ' "`, `back\slash`, "tab\tnl\n\r",
		"\x00\x1b\x7f", "é ü", "\u00a0\u00ad", "\u200b\u2028\u3000", "\xff\xfe", "日本",
		"\U0001F600", "\U000e0001", "a\u0301", "\ufeff", "\U0010ffff"}
	var hexes [][]byte
	for _, s := range inputs {
		hexes = append(hexes, []byte(s))
	}
	script := `import json, sys, base64, os
out = [repr(os.fsdecode(base64.b64decode(b))) for b in json.load(sys.stdin)]
json.dump(out, sys.stdout)
`
	var ref []string
	runReference(t, script, hexes, &ref)
	for i, s := range inputs {
		if got := pycompat.Repr(s); got != ref[i] {
			t.Errorf("pycompat.Repr(%q) = %s, reference %s", s, got, ref[i])
		}
	}
}

// TestChildErrorOutputMatchesReference runs Supervisor with programs that
// fail in the child (bad directory, exec format error) and compares what
// their stderr logs receive with ChildError.Output for the same specs.
func TestChildErrorOutputMatchesReference(t *testing.T) {
	requireReference(t)
	if _, err := os.Stat("/usr/bin/supervisord"); err != nil {
		if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") == "1" {
			t.Fatal("reference supervisord missing")
		}
		t.Skip("skipping: /usr/bin/supervisord is not installed")
	}
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	if err := os.WriteFile(garbage, []byte("\x00\x01junk"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`[supervisord]
logfile=%[1]s/supervisord.log
pidfile=%[1]s/supervisord.pid
childlogdir=%[1]s
[program:badcd]
command=/bin/true
directory=/nope
startretries=0
stderr_logfile=%[1]s/badcd.err
[program:badexec]
command=%[2]s
startretries=0
stderr_logfile=%[1]s/badexec.err
`, dir, garbage)
	if err := os.WriteFile(filepath.Join(dir, "supervisord.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/supervisord", "-n", "-c", filepath.Join(dir, "supervisord.conf"))
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}()

	specs := map[string]Spec{
		"badcd":   {Argv: []string{"/bin/true"}, Path: "/bin/true", Dir: "/nope", Umask: -1},
		"badexec": {Argv: []string{garbage}, Path: garbage, Umask: -1},
	}
	for name, spec := range specs {
		_, err := Start(spec)
		var ce *ChildError
		if !errors.As(err, &ce) {
			t.Fatalf("%s: %v", name, err)
		}
		logPath := filepath.Join(dir, name+".err")
		deadline := time.Now().Add(waitLimit)
		var got []byte
		for {
			got, _ = os.ReadFile(logPath)
			if strings.Contains(string(got), "not spawned\n") || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if string(got) != ce.Output() {
			t.Errorf("%s: reference wrote %q, we say %q", name, got, ce.Output())
		}
	}
}
