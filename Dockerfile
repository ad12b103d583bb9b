# syntax=docker/dockerfile:1
#
# supervisord as the init of a container. Build with the version from the
# VCS stamped in:
#
#   docker build --build-arg VERSION="$(git describe --tags --always --dirty)" -t supervisord .
#
# The final image holds the static binary and its links on distroless'
# static base (CA certificates, /etc/passwd, tzdata; no shell). To run
# programs, copy the tree into your own image instead:
#
#   COPY --from=supervisord / /
#
# See docs/deploy/container.md.

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
COPY scripts ./scripts
ARG VERSION=dev
RUN VERSION="${VERSION}" OUT=dist scripts/release.sh
RUN dist/rootfs/usr/local/bin/supervisord version

FROM gcr.io/distroless/static-debian12
COPY --from=build /src/dist/rootfs/ /
# The daemon stops its programs in order on SIGTERM; give it at least the
# largest stopwaitsecs (docker stop -t, Kubernetes
# terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/supervisord", "-n", "-c", "/etc/supervisord.conf"]
