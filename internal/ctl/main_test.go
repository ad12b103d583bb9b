package ctl

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// The test binary doubles as supervisorctl: as a testscript command, and
// when re-executed with CTL_TEST_MAIN=1 by the differential and pty tests.
func TestMain(m *testing.M) {
	if os.Getenv("CTL_TEST_MAIN") == "1" {
		os.Exit(Main("supervisorctl", os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	testscript.Main(m, map[string]func(){
		"supervisorctl": func() {
			os.Exit(Main("supervisorctl", os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}
