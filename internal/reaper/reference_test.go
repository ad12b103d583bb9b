package reaper

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// referencePython is the interpreter that has Supervisor's own modules.
const referencePython = "/usr/bin/python3"

// TestDescribeMatchesReference decodes the same statuses with Supervisor's
// decode_wait_status and compares every line.
func TestDescribeMatchesReference(t *testing.T) {
	if err := exec.Command(referencePython, "-c", "import supervisor.options").Run(); err != nil {
		if os.Getenv("SUPERVISORD_REQUIRE_REFERENCE") == "1" {
			t.Fatalf("reference supervisor module unavailable: %v", err)
		}
		t.Skipf("skipping: reference supervisor module unavailable via %s: %v", referencePython, err)
	}
	var statuses []int
	for code := 0; code < 256; code += 17 {
		statuses = append(statuses, code<<8)
	}
	for sig := 1; sig <= 65; sig++ {
		statuses = append(statuses, sig, sig|0x80)
	}
	statuses = append(statuses, 0x137f, 0xffff)

	var args []string
	for _, s := range statuses {
		args = append(args, fmt.Sprint(s))
	}
	script := `import sys
from supervisor.options import decode_wait_status
for a in sys.argv[1:]:
    es, msg = decode_wait_status(int(a))
    print("%s|%s" % (es, msg))
`
	cmd := exec.Command(referencePython, append([]string{"-c", script}, args...)...)
	cmd.Dir = os.TempDir() // keep the package's own xmlrpc.py off sys.path
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reference: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(statuses) {
		t.Fatalf("reference printed %d lines for %d statuses", len(lines), len(statuses))
	}
	for i, s := range statuses {
		code, text := Describe(syscall.WaitStatus(s))
		if got := fmt.Sprintf("%d|%s", code, text); got != lines[i] {
			t.Errorf("status %#x: got %q, reference %q", s, got, lines[i])
		}
	}
}
