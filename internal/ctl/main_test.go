package ctl

import (
	"flag"
	"os"
	"testing"
)

// The test binary doubles as supervisorctl when re-executed with
// CTL_TEST_MAIN=1 by the pty tests, which need a terminal of its own.
func TestMain(m *testing.M) {
	if os.Getenv("CTL_TEST_MAIN") == "1" {
		os.Exit(Main("supervisorctl", os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(stopShared{m}.Run())
}

// stopShared runs the tests and then stops the daemons they shared.
type stopShared struct{ m *testing.M }

func (s stopShared) Run() int {
	// The tests that share daemons mostly wait on the reference daemon's
	// one-second poll, not on the CPU: run more of them at once than
	// there are cores.
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", "8")
	}
	code := s.m.Run()
	if !shared.close() && code == 0 {
		code = 1
	}
	return code
}
