// Command supervisord is a process supervisor compatible with Python's
// Supervisor 4.x. The same binary is the control client when invoked as
// supervisorctl (or as "supervisord ctl").
package main

import (
	"os"

	"supervisord/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
}
