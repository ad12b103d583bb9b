//go:build linux

// Package events_test checks event listeners end to end: the same
// configuration runs under the reference daemon and ours, a listener built
// on the reference's childutils records every event each daemon sends, and
// the two records are compared. It also runs the exit-on-fatal recipe
// (examples/exit-on-fatal) against our daemon, since that recipe is built
// on the listener protocol and on our shutdown exit status.
package events_test

import (
	"testing"

	"supervisord/test/harness"
)

func TestMain(m *testing.M) { harness.Main(m, nil) }
