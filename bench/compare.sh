#!/usr/bin/env bash
# Compare the reference supervisord with ours on this machine and print a
# table of figures with ratios.
#
#   bench/compare.sh                       # everything (about 5 minutes)
#   bench/compare.sh --only start,rss      # a subset: start,restart,rss,cpu,rpc,cgroups
#   bench/compare.sh --only cgroups        # ours with and without a cgroup per program
#   bench/compare.sh --kills 20 --idle 10s --programs 500
#   OURS=/usr/bin/supervisord bench/compare.sh   # reference against itself
#
# Environment: REF (default /usr/bin/supervisord), OURS (default: a fresh
# CGO-free build of ./cmd/supervisord). Other arguments go to the driver;
# see "go run ./bench/driver -h".
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

REF="${REF:-/usr/bin/supervisord}"
if [ ! -x "$REF" ]; then
	echo "compare.sh: reference daemon $REF not found (apt-get install supervisor, or set REF)" >&2
	exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/sdbench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

if [ -z "${OURS:-}" ]; then
	echo "building ./cmd/supervisord ..." >&2
	CGO_ENABLED=0 go build -o "$work/supervisord" ./cmd/supervisord
	OURS="$work/supervisord"
fi

go build -o "$work/driver" ./bench/driver
go build -o "$work/forkexec" ./bench/forkexec
go build -o "$work/rpcfloor" ./bench/rpcfloor

echo "machine: $(nproc) CPUs, $(uname -sr), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)" >&2
# The driver's own timeout keeps a wedged daemon from stalling the run.
timeout --foreground --signal=INT 30m "$work/driver" -ref "$REF" -ours "$OURS" -forkexec "$work/forkexec" -rpcfloor "$work/rpcfloor" "$@"
