#!/bin/sh
# Installs Prometheus and promtool from Debian's `prometheus` package, once.
# `make test` runs this before pytest; the observability tests start a real Prometheus on
# loopback and run promtool over deploy/prometheus. Needs root (or sudo) the first time.
set -eu
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# --no-install-recommends keeps the exporters and the web console packages out.
$SUDO apt-get install -y --no-install-recommends prometheus
# The package starts a system service on :9090 where an init system runs; the tests start
# their own Prometheus on a free port, so a running service is harmless but not needed.
command -v prometheus >/dev/null && command -v promtool >/dev/null
