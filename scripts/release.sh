#!/bin/sh
# Build the release binary: static (no cgo), reproducible paths
# (-trimpath), stripped (-s -w), with the version taken from the VCS
# (git describe) stamped into `supervisord version`, and a root file
# system tree with the supervisorctl, pidproxy and echo_supervisord_conf
# links, ready to copy into an image or a package.
#
#   scripts/release.sh                  # into dist/
#   OUT=/tmp/rel VERSION=1.2.3 scripts/release.sh
#
# VERSION overrides the VCS (an image build has no .git: the Dockerfile
# takes it as a build argument). GOOS and GOARCH cross-compile as usual.
set -eu

out="${OUT:-dist}"
version="${VERSION:-}"
if [ -z "$version" ] || [ "$version" = "dev" ]; then
	version="$(git describe --tags --always --dirty 2>/dev/null || true)"
fi
if [ -z "$version" ]; then
	version="dev"
fi

mkdir -p "$out"
CGO_ENABLED=0 go build -trimpath \
	-ldflags "-s -w -X supervisord/internal/cli.Version=$version" \
	-o "$out/supervisord" ./cmd/supervisord

bindir="$out/rootfs/usr/local/bin"
rm -rf "$out/rootfs"
mkdir -p "$bindir"
cp "$out/supervisord" "$bindir/supervisord"
for tool in supervisorctl pidproxy echo_supervisord_conf; do
	ln -s supervisord "$bindir/$tool"
done
echo "built $out/supervisord $version"
