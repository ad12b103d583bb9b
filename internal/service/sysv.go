package service

import (
	"fmt"
	"strings"
	"text/template"
	"time"
)

// SysV renders an LSB init script for SysV-init. The script starts the
// daemon in the foreground (-n, so a nodaemon setting cannot hang it) in a
// session of its own, with its pid file at pidfile (-j); stop sends SIGTERM
// and waits up to the stop timeout for the daemon to stop its children in
// its own order, then sends SIGKILL; reload sends SIGHUP. Exit statuses
// follow the LSB init script rules (status: 0 running, 1 dead with a pid
// file, 3 not running).
func (u Unit) SysV(name, pidfile string) (string, error) {
	stop := int((u.StopTimeout + time.Second - 1) / time.Second)
	if stop <= 0 {
		stop = 90
	}
	var b strings.Builder
	err := sysvScript.Execute(&b, map[string]any{
		"Name":        name,
		"Description": strings.ReplaceAll(oneLine(u.Description), "#", ""),
		"QName":       shQuote(name),
		"Daemon":      shQuote(u.Executable),
		"Config":      shQuote(u.Config),
		"Pidfile":     shQuote(pidfile),
		"Stop":        stop,
	})
	if err != nil {
		return "", fmt.Errorf("render init script: %w", err)
	}
	return b.String(), nil
}

var sysvScript = template.Must(template.New("sysv").Parse(`#!/bin/sh
### BEGIN INIT INFO
# Provides:          {{.Name}}
# Required-Start:    $remote_fs $syslog $network
# Required-Stop:     $remote_fs $syslog $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: {{.Description}}
# Description:       {{.Description}}
### END INIT INFO
# Written by 'supervisord service install'; remove it with 'supervisord service uninstall'.

NAME={{.QName}}
DAEMON={{.Daemon}}
CONFIG={{.Config}}
PIDFILE={{.Pidfile}}
STOP_TIMEOUT={{.Stop}}

# running sets pid and succeeds when the pid file names a live process.
running() {
	pid=
	[ -r "$PIDFILE" ] || return 1
	read -r pid <"$PIDFILE" 2>/dev/null
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	# A zombie has stopped.
	! grep -q '^State:[[:space:]]*Z' "/proc/$pid/status" 2>/dev/null
}

do_start() {
	if running; then
		echo "$NAME is already running (pid $pid)"
		return 0
	fi
	[ -x "$DAEMON" ] || { echo "$DAEMON is not executable" >&2; return 5; }
	[ -r "$CONFIG" ] || { echo "$CONFIG cannot be read" >&2; return 6; }
	echo "Starting $NAME"
	rm -f "$PIDFILE"
	if command -v setsid >/dev/null 2>&1; then
		setsid "$DAEMON" -n -c "$CONFIG" -j "$PIDFILE" </dev/null >/dev/null 2>&1 &
	else
		"$DAEMON" -n -c "$CONFIG" -j "$PIDFILE" </dev/null >/dev/null 2>&1 &
	fi
	starter=$!
	# Wait for the daemon to write its pid file, or to fail.
	i=0
	while ! running; do
		if ! kill -0 "$starter" 2>/dev/null || [ "$i" -ge 30 ]; then
			echo "$NAME did not start; see its log" >&2
			return 1
		fi
		sleep 1
		i=$((i + 1))
	done
	return 0
}

do_stop() {
	if ! running; then
		echo "$NAME is not running"
		rm -f "$PIDFILE"
		return 0
	fi
	echo "Stopping $NAME"
	kill -TERM "$pid" 2>/dev/null
	i=0
	while running; do
		if [ "$i" -ge "$STOP_TIMEOUT" ]; then
			echo "$NAME did not stop within $STOP_TIMEOUT seconds; killing it" >&2
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 1
		i=$((i + 1))
	done
	rm -f "$PIDFILE"
	return 0
}

do_status() {
	if running; then
		echo "$NAME is running (pid $pid)"
		return 0
	fi
	if [ -e "$PIDFILE" ]; then
		echo "$NAME is not running but $PIDFILE exists"
		return 1
	fi
	echo "$NAME is not running"
	return 3
}

do_reload() {
	if ! running; then
		echo "$NAME is not running" >&2
		return 7
	fi
	echo "Reloading $NAME"
	kill -HUP "$pid"
}

case "$1" in
start) do_start ;;
stop) do_stop ;;
restart | force-reload) do_stop && do_start ;;
reload) do_reload ;;
status) do_status ;;
*)
	echo "Usage: $0 {start|stop|restart|reload|force-reload|status}" >&2
	exit 2
	;;
esac
exit $?
`))
