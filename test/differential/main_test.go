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
var daemons harness.Choice

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
	wd, _ := os.Getwd()
	daemons = harness.Choose(wd, tmp)
}

// needDaemons skips (or fails, when the reference is required) when the
// reference daemon cannot be run.
func needDaemons(t *testing.T) {
	t.Helper()
	if daemons.RefMissing != "" {
		if harness.RequireReference() {
			t.Fatalf("%s=1 but %s", harness.EnvRequireReference, daemons.RefMissing)
		}
		t.Skipf("skipping differential tests: %s", daemons.RefMissing)
	}
	if daemons.OursErr != nil {
		t.Fatalf("cannot build the daemon under test: %v", daemons.OursErr)
	}
}
