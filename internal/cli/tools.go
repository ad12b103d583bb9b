package cli

import (
	"io"

	"supervisord/internal/confecho"

	"supervisord/internal/ctl"
	"supervisord/internal/pidproxy"
	"supervisord/internal/service"
)

func runCtl(prog string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return ctl.Main(prog, args, stdin, stdout, stderr)
}

func runPidproxy(args []string, stdout, stderr io.Writer) int {
	return pidproxy.Main(args, stdout, stderr)
}

func runConfEcho(stdout io.Writer) int {
	io.WriteString(stdout, confecho.Sample())
	return 0
}

func runService(prog string, args []string, stdout, stderr io.Writer) int {
	return service.Main(args, stdout, stderr)
}
