//go:build linux

// Package upstream runs Supervisor's own end-to-end tests
// (supervisor/tests/test_end_to_end.py, shipped in Debian's supervisor
// package) against the daemon under test. run_upstream.py points the
// tests' "python -m supervisor.supervisord" at our binary and keeps the
// reference's supervisorctl and pidproxy, so both sides of every test but
// the daemon are Supervisor's own.
package upstream

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"supervisord/test/harness"
)

// upstreamTests is how many tests Supervisor 4.2.5's end-to-end module has;
// fewer means some were not found or not run, which must not pass quietly.
const upstreamTests = 25

// python is the interpreter that has Debian's supervisor module.
const python = "/usr/bin/python3"

// missing skips, or fails when the reference is required.
func missing(t *testing.T, why string) {
	t.Helper()
	if harness.RequireReference() {
		t.Fatalf("%s=1 but %s", harness.EnvRequireReference, why)
	}
	t.Skip(why)
}

func TestMain(m *testing.M) { harness.Main(m, nil) }

func TestUpstreamEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("the upstream end-to-end suite takes about a minute")
	}
	if out, err := exec.Command(python, "-c", "import supervisor.tests.test_end_to_end, pexpect").CombinedOutput(); err != nil {
		missing(t, "Supervisor's end-to-end tests or pexpect are not installed (apt-get install supervisor python3-pexpect): "+string(out))
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	bin := harness.MustOurs(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join(wd, "run_upstream.py"), "-v")
	// The fixtures keep their logs and sockets in /tmp; run from a
	// scratch directory so nothing lands in the tree.
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "SUPERVISORD_UPSTREAM_BIN="+bin)
	out, err := cmd.CombinedOutput()
	summary := regexp.MustCompile(`upstream end-to-end: ran (\d+), failures (\d+), errors (\d+), skipped (\d+)`).FindSubmatch(out)
	if err != nil || summary == nil {
		t.Fatalf("upstream end-to-end tests failed (%v):\n%s", err, out)
	}
	ran, _ := strconv.Atoi(string(summary[1]))
	if ran != upstreamTests || string(summary[4]) != "0" {
		t.Fatalf("ran %d upstream tests (%s skipped), want all %d:\n%s", ran, summary[4], upstreamTests, out)
	}
	t.Logf("%s", summary[0])
}
