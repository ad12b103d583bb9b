//go:build linux

// Package events_test checks event listeners end to end: the same
// configuration runs under the reference daemon and ours, a listener built
// on the reference's childutils records every event each daemon sends, and
// the two records are compared. It also runs the exit-on-fatal recipe
// (examples/exit-on-fatal) against our daemon, since that recipe is built
// on the listener protocol and on our shutdown exit status.
package events_test

import (
	"fmt"
	"os"
	"testing"

	"supervisord/test/harness"
)

// daemons is chosen once by TestMain and only read by the tests.
var daemons harness.Choice

func TestMain(m *testing.M) {
	tmp, err := os.MkdirTemp("", "sdbin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(tmp)
		daemons = harness.Choose(".", tmp)
		return m.Run()
	}()
	os.Exit(code)
}

// ours returns the daemon under test or stops the test.
func ours(t *testing.T) string {
	t.Helper()
	if daemons.OursErr != nil {
		t.Fatal(daemons.OursErr)
	}
	return daemons.Ours
}

// reference returns the reference daemon, or skips (fails with
// SUPERVISORD_REQUIRE_REFERENCE=1) when it cannot be used.
func reference(t *testing.T) string {
	t.Helper()
	if daemons.RefMissing != "" {
		if harness.RequireReference() {
			t.Fatal(daemons.RefMissing)
		}
		t.Skip(daemons.RefMissing)
	}
	return daemons.Ref
}
