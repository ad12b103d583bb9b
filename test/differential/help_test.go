//go:build linux

package differential

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runTool runs bin with args and returns its stdout, stderr and exit code.
func runTool(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.Dir = t.TempDir() // no supervisord.conf to find by accident
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

// TestQuestionMarkIsHelp checks that -? prints the help of -h, on stdout,
// with the reference's exit code, for supervisord and supervisorctl alike
// (upstream issue 1251); and that an unknown option still fails the same
// way.
func TestQuestionMarkIsHelp(t *testing.T) {
	daemons.Need(t)
	// Ours is supervisorctl when invoked under that name.
	ctl := filepath.Join(t.TempDir(), "supervisorctl")
	if err := os.Symlink(daemons.Ours, ctl); err != nil {
		t.Fatal(err)
	}
	tools := []struct {
		name      string
		ref, ours string
		phrases   []string // what upstream's test greps for
	}{
		{"supervisord", daemons.Ref, daemons.Ours, []string{"supervisord -- run a set of applications", "-l/--logfile FILENAME -- use FILENAME as"}},
		{"supervisorctl", "/usr/bin/supervisorctl", ctl, []string{"supervisorctl -- control applications", "-i/--interactive -- start an interactive"}},
	}
	for _, tool := range tools {
		t.Run(tool.name, func(t *testing.T) {
			for _, bin := range []string{tool.ref, tool.ours} {
				hOut, _, hCode := runTool(t, bin, "-h")
				qOut, qErr, qCode := runTool(t, bin, "-?")
				if qOut != hOut || qCode != hCode || qErr != "" {
					t.Errorf("%s -?: exit %d, stderr %q, stdout differs from -h: %v (-h exit %d)", bin, qCode, qErr, qOut != hOut, hCode)
				}
				for _, p := range tool.phrases {
					if !strings.Contains(qOut, p) {
						t.Errorf("%s -? does not say %q:\n%s", bin, p, qOut)
					}
				}
			}
			_, _, refH := runTool(t, tool.ref, "-?")
			_, _, oursH := runTool(t, tool.ours, "-?")
			_, refErr, refBad := runTool(t, tool.ref, "-x")
			_, oursErr, oursBad := runTool(t, tool.ours, "-x")
			if refH != oursH || refBad != oursBad {
				t.Errorf("exit codes: reference -? %d, -x %d; ours -? %d, -x %d", refH, refBad, oursH, oursBad)
			}
			firstLine := func(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }
			if firstLine(refErr) != firstLine(oursErr) {
				t.Errorf("-x: reference says %q, ours %q", firstLine(refErr), firstLine(oursErr))
			}
		})
	}
}
