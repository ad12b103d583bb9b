package cli

import (
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var autoLogNames = []string{
	"web-stdout---supervisor-abc123.log",
	"web-stderr---supervisor-abc123.log",
	"web-stdout---supervisor-abc123.log.1",
	"web-stdout---supervisor-abc123.log.12345",
	"web-stdout---supervisor-abc123.log.old",
	"web-stdout---other-abc123.log",
	"web-stdout---supervisor-.log",
	"---supervisor-x.log",
	"a---supervisor-x.logfile",
	"supervisord.log",
	"web.log",
	"notes.txt",
}

func remaining(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	sort.Strings(out)
	return out
}

func fill(t *testing.T) string {
	dir := t.TempDir()
	for _, n := range autoLogNames {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestClearAutoChildLogsMatchesReference removes the same files as the
// reference's clear_autochildlogdir, run on an identical directory.
func TestClearAutoChildLogsMatchesReference(t *testing.T) {
	if err := exec.Command("/usr/bin/python3", "-c", "import supervisor.options").Run(); err != nil {
		if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") == "1" {
			t.Fatal("reference supervisor module not installed")
		}
		t.Skip("reference not installed (apt-get install supervisor)")
	}
	ours := fill(t)
	clearAutoChildLogs(ours, "supervisor", slog.New(slog.DiscardHandler))

	ref := fill(t)
	script := `
import sys
from supervisor.options import ServerOptions
class Quiet:
    def warn(self, *a): pass
o = ServerOptions()
o.childlogdir = sys.argv[1]
o.identifier = "supervisor"
o.logger = Quiet()
o.clear_autochildlogdir()
`
	if out, err := exec.Command("/usr/bin/python3", "-c", script, ref).CombinedOutput(); err != nil {
		t.Fatalf("reference: %v\n%s", err, out)
	}
	got, want := remaining(t, ours), remaining(t, ref)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("left after cleanup:\nours      %q\nreference %q", got, want)
	}
	if len(want) == len(autoLogNames) {
		t.Fatal("the reference removed nothing: the test names are wrong")
	}
}
