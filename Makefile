# Release helpers; day-to-day work needs only `go build ./...` and
# `go test ./...`.

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE   ?= supervisord:$(VERSION)

.PHONY: release image check-config

# Static, stripped, version-stamped binary and rootfs tree in dist/.
release:
	VERSION=$(VERSION) OUT=dist scripts/release.sh

# The container image (needs a Docker or Podman daemon).
image:
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE) .

# Validate a configuration file without starting anything: make check-config CONF=...
check-config: release
	dist/supervisord check -c $(CONF)
