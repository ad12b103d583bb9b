// Package cli is the command line of the one supervisord binary: it picks
// the tool from argv[0] (supervisord, supervisorctl, pidproxy,
// echo_supervisord_conf) or from a subcommand, parses flags, and wires the
// daemon's parts together. It is the only package that knows them all.
package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"supervisord/internal/supervisor"
)

// Version is this build's version, printed by "version" and -v.
var Version = "0.1.0"

// Main runs the tool named by args and returns the process exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if msg, ok := os.LookupEnv(supervisor.ChildFailureEnv); ok {
		// Stand-in for a child that failed between fork and exec.
		fmt.Fprint(os.Stderr, msg)
		return 127
	}
	prog := filepath.Base(args[0])
	switch {
	case strings.HasPrefix(prog, "supervisorctl"):
		return runCtl(args[0], args[1:], stdin, stdout, stderr)
	case prog == "pidproxy":
		return runPidproxy(args[1:], stdout, stderr)
	case prog == "echo_supervisord_conf":
		return runConfEcho(stdout)
	}
	if len(args) > 1 {
		switch args[1] {
		case "ctl":
			return runCtl(args[0]+" ctl", args[2:], stdin, stdout, stderr)
		case "version":
			fmt.Fprintln(stdout, Version)
			return 0
		case "service":
			return runService(args[0], args[2:], stdout, stderr)
		case "check":
			return runCheck(args[0], args[2:], stdout, stderr)
		case "pidproxy":
			return runPidproxy(args[2:], stdout, stderr)
		case "echo_supervisord_conf":
			return runConfEcho(stdout)
		}
	}
	return runDaemon(args[0], args[1:], stdout, stderr)
}
