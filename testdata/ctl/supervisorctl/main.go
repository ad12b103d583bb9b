// Command supervisorctl runs the ctl package on its own, for trying the
// client by hand and for comparing it with other implementations.
package main

import (
	"os"

	"supervisord/internal/ctl"
)

func main() {
	os.Exit(ctl.Main(os.Args[0], os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
