//go:build linux

package events_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"supervisord/test/harness"
)

// ctl shutdown with a status makes the daemon exit with it once everything
// has stopped; without one, it exits 0 as the reference does.
func TestShutdownExitStatus(t *testing.T) {
	bin := harness.MustOurs(t)
	for _, tt := range []struct {
		args []string
		want int
	}{{nil, 0}, {[]string{"7"}, 7}} {
		p := harness.TempPaths(t)
		d := harness.Launch(t, harness.Spec{Bin: bin, Paths: p, Config: p.Header() + "[program:sleeper]\ncommand=sleep 300\nstartsecs=0\n"})
		d.WaitLog(t, "success: sleeper", 1)
		out, err := exec.Command(bin, append([]string{"ctl", "-c", d.Paths.Config, "shutdown"}, tt.args...)...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "Shut down" {
			t.Fatalf("ctl shutdown %v: %v %q", tt.args, err, out)
		}
		code := d.WaitExit(t, 20*time.Second)
		if code != tt.want {
			t.Errorf("shutdown %v: daemon exit status %d, want %d", tt.args, code, tt.want)
		}
		if !strings.Contains(d.Log(), "stopped: sleeper") {
			t.Errorf("sleeper was not stopped:\n%s", d.Log())
		}
	}
}
