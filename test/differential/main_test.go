//go:build linux

package differential

import (
	"flag"
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
	daemons = harness.Choose()
	os.Exit(harness.Run(m))
}
