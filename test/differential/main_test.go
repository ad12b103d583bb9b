//go:build linux

package differential

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"supervisord/test/harness"
)

// daemons is chosen once by TestMain and only read by the tests.
var daemons struct {
	ref, ours   string
	refMissing  string // why the reference cannot be used
	oursMessage string // how ours was chosen
}

func TestMain(m *testing.M) {
	flag.Parse()
	// Scenarios mostly wait for time to pass (startsecs, backoff), not for
	// CPU, so run more of them at once than there are cores.
	explicit := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "test.parallel" {
			explicit = true
		}
	})
	if !explicit {
		_ = flag.Set("test.parallel", "4")
	}
	tmp, err := os.MkdirTemp("", "sdbin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(tmp)
		chooseDaemons(tmp)
		return m.Run()
	}()
	os.Exit(code)
}

func chooseDaemons(tmp string) {
	ref, err := harness.Reference()
	if err != nil {
		daemons.refMissing = err.Error()
	}
	daemons.ref = ref
	if bin := os.Getenv(harness.EnvBin); bin != "" {
		daemons.ours = bin
		daemons.oursMessage = "daemon under test: " + bin + " (from " + harness.EnvBin + ")"
		return
	}
	wd, _ := os.Getwd()
	bin, err := harness.BuildOurs(wd, tmp)
	if err != nil {
		daemons.ours = ref
		daemons.oursMessage = "ours does not build yet, so the reference is compared with itself:\n" + err.Error()
		fmt.Fprintln(os.Stderr, daemons.oursMessage)
		return
	}
	daemons.ours = bin
	daemons.oursMessage = "daemon under test: fresh build of ./cmd/supervisord"
}

// needDaemons skips (or fails, when the reference is required) when the
// reference daemon cannot be run.
func needDaemons(t *testing.T) {
	t.Helper()
	if daemons.refMissing != "" {
		if harness.RequireReference() {
			t.Fatalf("%s=1 but %s", harness.EnvRequireReference, daemons.refMissing)
		}
		t.Skipf("skipping differential tests: %s", daemons.refMissing)
	}
}
