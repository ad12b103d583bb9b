//go:build linux

package events_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"supervisord/test/harness"
)

// ctl shutdown with a status makes the daemon exit with it once everything
// has stopped; without one, it exits 0 as the reference does.
func TestShutdownExitStatus(t *testing.T) {
	bin := ours(t)
	for _, tt := range []struct {
		args []string
		want int
	}{{nil, 0}, {[]string{"7"}, 7}} {
		dir, err := harness.ShortTempDir("sds")
		if err != nil {
			t.Fatal(err)
		}
		defer removeAll(dir)
		p := harness.PathsIn(dir)
		d, err := harness.Start(bin, p, p.Header()+"[program:sleeper]\ncommand=sleep 300\nstartsecs=0\n")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := contextWithTimeout(20 * time.Second)
		if _, err := d.WaitEvents(ctx, func(evs []harness.Event) bool { return harness.Count(evs, "success: sleeper") > 0 }); err != nil {
			cancel()
			d.Kill()
			t.Fatalf("sleeper never started: %v\n%s", err, d.Log())
		}
		cancel()
		out, err := exec.Command(bin, append([]string{"ctl", "-c", p.Config, "shutdown"}, tt.args...)...).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "Shut down" {
			d.Kill()
			t.Fatalf("ctl shutdown %v: %v %q", tt.args, err, out)
		}
		select {
		case <-d.Done():
		case <-time.After(20 * time.Second):
			d.Kill()
			t.Fatalf("daemon did not exit; log:\n%s", d.Log())
		}
		_, werr := d.Exited()
		code := 0
		var ee *exec.ExitError
		if errors.As(werr, &ee) {
			code = ee.ExitCode()
		}
		if code != tt.want {
			t.Errorf("shutdown %v: daemon exit status %d, want %d", tt.args, code, tt.want)
		}
		if !strings.Contains(d.Log(), "stopped: sleeper") {
			t.Errorf("sleeper was not stopped:\n%s", d.Log())
		}
	}
}
