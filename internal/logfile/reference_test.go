package logfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"supervisord/internal/faults"
)

// referencePython returns the Python that has the reference's supervisor
// package, or skips (fails when SUPERVISORD_REQUIRE_REFERENCE=1).
func referencePython(t *testing.T) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import supervisor.loggers, supervisor.options").Run(); err != nil {
		msg := fmt.Sprintf("reference supervisor module not available via %s: %v", py, err)
		if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return py
}

func runPython(t *testing.T, py, script string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(py, append([]string{"-c", script}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference script: %v", err)
	}
	return out
}

const pyRotate = `
import sys, json
from supervisor import loggers
path, maxbytes, backups = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
writes = json.loads(sys.argv[4])
log = loggers.getLogger(loggers.LevelsByName.INFO)
loggers.handle_file(log, path, '%(message)s', rotating=not not maxbytes,
                    maxbytes=maxbytes, backups=backups)
for w in writes:
    log.info(w.encode())
log.close()
`

// Each write is one whole line, where our rotation points and the
// reference's coincide, so names, order and contents must match exactly.
func TestRotationMatchesReference(t *testing.T) {
	py := referencePython(t)
	var lines []string
	for i := range 60 {
		lines = append(lines, fmt.Sprintf("line %02d %s\n", i, strings.Repeat("x", i%13)))
	}
	cases := []struct {
		maxBytes int64
		backups  int
	}{
		{100, 3}, {100, 1}, {100, 0}, {0, 3}, {0, 0}, {50, 10}, {1, 2}, {10000, 2},
	}
	enc, _ := json.Marshal(lines)
	for _, c := range cases {
		t.Run(fmt.Sprintf("max%d_backups%d", c.maxBytes, c.backups), func(t *testing.T) {
			refDir, ourDir := t.TempDir(), t.TempDir()
			runPython(t, py, pyRotate, filepath.Join(refDir, "log"),
				fmt.Sprint(c.maxBytes), fmt.Sprint(c.backups), string(enc))
			w, err := OpenRotating(filepath.Join(ourDir, "log"), c.maxBytes, c.backups)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range lines {
				w.Write([]byte(l))
			}
			w.Close()
			ref, ours := dirState(t, refDir), dirState(t, ourDir)
			if fmt.Sprint(ref) != fmt.Sprint(ours) {
				t.Errorf("reference %q\nours      %q", ref, ours)
			}
		})
	}
}

const pyRead = `
import sys, json
from supervisor.options import readFile, tailFile
path = sys.argv[1]
out = []
for off, length in json.loads(sys.argv[2]):
    try:
        r = {"data": readFile(path, off, length).decode('latin-1')}
    except ValueError as e:
        r = {"fault": e.args[0]}
    d, o, ov = tailFile(path, off, length)
    r["tail"] = [d, o, ov]
    out.append(r)
print(json.dumps(out))
`

func TestReadAndTailMatchReference(t *testing.T) {
	py := referencePython(t)
	path := filepath.Join(t.TempDir(), "log")
	content := strings.Repeat("0123456789abcdefghij\n", 10) // 210 bytes
	os.WriteFile(path, []byte(content), 0o644)
	var args [][2]int64
	for _, off := range []int64{-300, -210, -50, -1, 0, 1, 100, 209, 210, 211, 500} {
		for _, length := range []int64{-5, 0, 1, 10, 100, 209, 210, 1000} {
			args = append(args, [2]int64{off, length})
		}
	}
	enc, _ := json.Marshal(args)
	var ref []struct {
		Data  *string
		Fault *string
		Tail  [3]any
	}
	if err := json.Unmarshal(runPython(t, py, pyRead, path, string(enc)), &ref); err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		r := ref[i]
		data, err := ReadRange(path, a[0], a[1])
		var fe *faults.Error
		switch {
		case r.Fault != nil:
			if !errors.As(err, &fe) || fe.Code.Name() != *r.Fault {
				t.Errorf("ReadRange%v: err %v, reference %s", a, err, *r.Fault)
			}
		case err != nil:
			t.Errorf("ReadRange%v: %v, reference %q", a, err, *r.Data)
		case string(data) != *r.Data:
			t.Errorf("ReadRange%v = %q, reference %q", a, data, *r.Data)
		}
		td, toff, tov, terr := Tail(path, a[0], a[1])
		if terr != nil {
			t.Fatal(terr)
		}
		got := fmt.Sprint(string(td), float64(toff), tov)
		want := fmt.Sprint(r.Tail[0], r.Tail[1], r.Tail[2])
		if got != want {
			t.Errorf("Tail%v = %q, reference %q", a, got, want)
		}
	}
}

const pyStrip = `
import sys, json
from supervisor.dispatchers import stripEscapes
print(json.dumps([stripEscapes(s.encode('latin-1')).decode('latin-1') for s in json.loads(sys.argv[1])]))
`

func TestStripANSIMatchesReference(t *testing.T) {
	py := referencePython(t)
	inputs := stripCases()
	enc, _ := json.Marshal(inputs)
	var ref []string
	if err := json.Unmarshal(runPython(t, py, pyStrip, string(enc)), &ref); err != nil {
		t.Fatal(err)
	}
	for i, in := range inputs {
		var st ansiStripper
		got := string(st.flush(st.strip(nil, []byte(in))))
		if got != ref[i] {
			t.Errorf("strip(%q) = %q, reference %q", in, got, ref[i])
		}
	}
}

func stripCases() []string {
	return []string{
		"", "plain", "\x1b[31mred\x1b[0m", "a\x1b[1;32mb\x1b[Kc", "\x1b", "x\x1b", "\x1b[",
		"\x1b[31", "a\x1bb", "\x1b[2J\x1b[Hhome", "\x1b[?25lhidden\x1b[?25h", "\x1b\x1b[mx",
		"100%\r\x1b[Adone\n", "\x1b[31;1;4mmulti\x1b[0m\n\x1b[s\x1b[u",
	}
}
