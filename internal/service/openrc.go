package service

import (
	"fmt"
	"strings"
	"time"
)

// OpenRC renders an openrc-run script for the service. The
// daemon runs in the foreground (-n) and OpenRC's start-stop-daemon keeps
// it in the background and writes its pid file; a stop sends SIGTERM, lets
// the daemon stop its children in its own order for the stop timeout, then
// sends SIGKILL (OpenRC's retry schedule). reload sends SIGHUP.
func (u Unit) OpenRC() (string, error) {
	if err := plainPath("executable", u.Executable); err != nil {
		return "", err
	}
	stop := int((u.StopTimeout + time.Second - 1) / time.Second)
	if stop <= 0 {
		stop = 90
	}
	// openrc-run evaluates command_args once more: each word is quoted
	// for that pass, and the whole escaped for the double quotes here.
	args := shQuote("-n") + " " + shQuote("-c") + " " + shQuote(u.Config)
	dq := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "$", `\$`, "`", "\\`").Replace(args)
	var b strings.Builder
	b.WriteString("#!/sbin/openrc-run\n")
	b.WriteString("# Written by 'supervisord service install'; remove it with 'supervisord service uninstall'.\n\n")
	fmt.Fprintf(&b, "description=%s\n", shQuote(oneLine(u.Description)))
	fmt.Fprintf(&b, "command=%s\n", u.Executable)
	fmt.Fprintf(&b, "command_args=\"%s\"\n", dq)
	b.WriteString("command_background=true\n")
	b.WriteString("pidfile=\"/run/${RC_SVCNAME}.pid\"\n")
	fmt.Fprintf(&b, "retry=\"TERM/%d/KILL/5\"\n", stop)
	b.WriteString("extra_started_commands=\"reload\"\n\n")
	b.WriteString("depend() {\n\tneed localmount\n\tuse net logger\n\tafter firewall\n}\n\n")
	b.WriteString("reload() {\n")
	b.WriteString("\tebegin \"Reloading ${RC_SVCNAME}\"\n")
	b.WriteString("\tstart-stop-daemon --signal HUP --pidfile \"${pidfile}\"\n")
	b.WriteString("\teend $?\n}\n")
	return b.String(), nil
}
