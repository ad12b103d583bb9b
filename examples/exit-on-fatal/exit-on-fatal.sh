#!/bin/sh
# exit-on-fatal: a supervisord event listener that shuts the daemon down
# when one of the named programs enters FATAL (or, with
# --on-unexpected-exit, exits with a status it does not expect), so that a
# container whose PID 1 is supervisord ends with that program's exit code.
#
# Usage (as the command of an [eventlistener:x] section subscribed to
# PROCESS_STATE_FATAL and, for the option, PROCESS_STATE_EXITED):
#
#   exit-on-fatal.sh [--on-unexpected-exit] [--ctl-config FILE] NAME...
#
# NAME is a program name, a group name, or group:process. The daemon is
# told to exit with the program's last exit status as getProcessInfo
# reports it; when that is 0 (a program that never stayed up long enough
# to be RUNNING has none recorded) or was a signal (-1), it exits with 1,
# so that a failure never looks like success.
#
# Plain POSIX sh plus dd and sed: no Python needed. Everything this script
# reports goes to stderr; stdout is the listener protocol.
#
# Environment: SUPERVISORD is the binary to call (default: supervisord on
# PATH); SUPERVISOR_SERVER_URL (set by supervisord for its children) is the
# server to talk to unless --ctl-config names a configuration file (needed
# when the server asks for a username and password).

set -uf

on_unexpected=0
ctl_config=
while [ $# -gt 0 ]; do
	case $1 in
	--on-unexpected-exit) on_unexpected=1; shift ;;
	--ctl-config) ctl_config=${2:?--ctl-config needs a file}; shift 2 ;;
	--) shift; break ;;
	-*) echo "exit-on-fatal: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $# -eq 0 ]; then
	echo "usage: exit-on-fatal.sh [--on-unexpected-exit] [--ctl-config FILE] NAME..." >&2
	exit 2
fi
names=" $* "
bin=${SUPERVISORD:-supervisord}

log() { echo "exit-on-fatal: $*" >&2; }

ctl() {
	if [ -n "$ctl_config" ]; then
		"$bin" ctl -c "$ctl_config" "$@"
	else
		"$bin" ctl -s "${SUPERVISOR_SERVER_URL:?not run by supervisord; use --ctl-config}" "$@"
	fi
}

# field NAME TEXT prints the value of NAME:value in a space-separated
# header or payload.
field() {
	for kv in $2; do
		case $kv in "$1":*) echo "${kv#*:}"; return ;; esac
	done
}

# watched GROUP PROCESS succeeds when either names a watched program.
watched() {
	case $names in
	*" $2 "* | *" $1 "* | *" $1:$2 "*) return 0 ;;
	esac
	return 1
}

# exit_status GROUP:PROCESS prints the status the daemon should exit with.
exit_status() {
	status=$(ctl status --json "$1" 2>/dev/null |
		sed -n 's/^ *"exitstatus": *\(-\{0,1\}[0-9]*\).*/\1/p' | head -n 1)
	case $status in
	'' | 0 | -*) echo 1 ;;
	*) if [ "$status" -gt 255 ]; then echo 1; else echo "$status"; fi ;;
	esac
}

shutting_down=0
while :; do
	printf 'READY\n'
	IFS= read -r header || exit 0
	len=$(field len "$header")
	event=$(field eventname "$header")
	payload=
	if [ "${len:-0}" -gt 0 ]; then
		payload=$(dd bs=1 count="$len" 2>/dev/null)
	fi
	first=${payload%%"
"*}
	group=$(field groupname "$first")
	process=$(field processname "$first")
	trigger=0
	case $event in
	PROCESS_STATE_FATAL) trigger=1 ;;
	PROCESS_STATE_EXITED)
		[ "$on_unexpected" = 1 ] && [ "$(field expected "$first")" = 0 ] && trigger=1
		;;
	esac
	if [ "$trigger" = 1 ] && [ "$shutting_down" = 0 ] && watched "$group" "$process"; then
		status=$(exit_status "$group:$process")
		log "$group:$process: $event; shutting supervisord down with exit status $status"
		if ctl shutdown "$status" >&2; then
			shutting_down=1
		else
			log "shutdown request failed"
		fi
	fi
	printf 'RESULT 2\nOK'
done
