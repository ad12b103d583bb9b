#!/bin/sh
# Log capture throughput, in one run:
#   1. the raw limit: a writer piped through cat straight into a file;
#   2. our capture of the same volume through a real child's pipe into a
#      rotating log file (bench/capture driver, the logfile package);
#   3. optionally a whole daemon capturing the same writer, for every
#      binary given with --daemon (supervisord-compatible: run with -n -c).
# Prints throughput, the ratio to the raw limit, and CPU per GB (cat's for
# the raw limit, the capture's otherwise).
#
# Usage: bench/capture.sh [--size BYTES] [--maxbytes BYTES] [--daemon BINARY]...
set -eu

size=$((1024 * 1024 * 1024))
maxbytes=$((50 * 1024 * 1024))
daemons=""
while [ $# -gt 0 ]; do
	case "$1" in
	--size) size=$2; shift 2 ;;
	--maxbytes) maxbytes=$2; shift 2 ;;
	--daemon) daemons="$daemons $2"; shift 2 ;;
	*) echo "usage: $0 [--size BYTES] [--maxbytes BYTES] [--daemon BINARY]..." >&2; exit 2 ;;
	esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
drv="$work/capture"
(cd "$root" && CGO_ENABLED=0 go build -o "$drv" ./bench/capture)

now() { date +%s.%N; }
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# 1. Raw limit. cat runs under a shell of its own, whose children's CPU
# time (cutime + cstime in its /proc stat, counted once cat is reaped) is
# cat's.
t0=$(now)
cat_ticks=$("$drv" -writer -size "$size" | sh -c 'cat >"$1" && awk "{print \$16 + \$17}" /proc/$$/stat' sh "$work/raw.log")
t1=$(now)
raw_s=$(echo "$t1 - $t0" | bc -l)
raw_mbs=$(echo "$size / 1048576 / $raw_s" | bc -l)
cat_cpu=$(echo "$cat_ticks / $(getconf CLK_TCK) * 1073741824 / $size" | bc -l)
rm -f "$work/raw.log"
printf 'raw     writer | cat > file   %8.1f MB/s  (%.2f s)              cpu %.2f s/GB (cat)\n' "$raw_mbs" "$raw_s" "$cat_cpu"

# 2. Our capture.
mkdir "$work/ours"
out=$("$drv" -size "$size" -dir "$work/ours" -maxbytes "$maxbytes")
ours_mbs=$(field "$out" mb_per_s)
printf 'capture logfile.Capture        %8.1f MB/s  (%.2f s)  ratio %.2f of raw  cpu %.2f s/GB\n' \
	"$ours_mbs" "$(field "$out" seconds)" "$(echo "$ours_mbs / $raw_mbs" | bc -l)" "$(field "$out" cpu_s_per_gb)"
rm -rf "$work/ours"

# 3. Whole daemons: a program running the writer, stdout to a rotating
# file; measures the time until the writer's output is all on disk and the
# daemon's CPU time (utime+stime from /proc) over that interval.
bench_daemon() {
	daemon=$1
	d="$work/daemon"
	rm -rf "$d" && mkdir "$d"
	backups=$((size / maxbytes + 2))
	cat >"$d/supervisord.conf" <<CONF
[supervisord]
logfile=$d/supervisord.log
pidfile=$d/supervisord.pid
loglevel=warn
[unix_http_server]
file=$d/supervisor.sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[program:writer]
command=$drv -writer -size $size
autostart=true
autorestart=false
startsecs=0
stdout_logfile=$d/writer.log
stdout_logfile_maxbytes=$maxbytes
stdout_logfile_backups=$backups
CONF
	t0=$(now)
	"$daemon" -n -c "$d/supervisord.conf" >/dev/null 2>&1 &
	pid=$!
	ticks0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	while :; do
		# Sum the files' sizes; reading them back would compete with the
		# daemon for the disk and the CPU.
		total=$(stat -c %s "$d"/writer.log* 2>/dev/null | awk '{s += $1} END {print s + 0}')
		[ "$total" -ge "$size" ] && break
		kill -0 "$pid" 2>/dev/null || { echo "daemon $daemon exited early" >&2; return 1; }
		sleep 0.1
	done
	t1=$(now)
	ticks1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
	kill -TERM "$pid"
	wait "$pid" || true
	s=$(echo "$t1 - $t0" | bc -l)
	mbs=$(echo "$size / 1048576 / $s" | bc -l)
	cpu=$(echo "($ticks1 - $ticks0) / $(getconf CLK_TCK)" | bc -l)
	printf 'daemon  %-22s %8.1f MB/s  (%.2f s)  ratio %.2f of raw  cpu %.2f s/GB\n' \
		"$daemon" "$mbs" "$s" "$(echo "$mbs / $raw_mbs" | bc -l)" \
		"$(echo "$cpu * 1073741824 / $size" | bc -l)"
}

for d in $daemons; do
	bench_daemon "$d"
done
