#!/usr/bin/env bash
# Debian's Prometheus for the metrics test (src/server/prometheus.test.ts starts its own on
# loopback). Runs after setup-podman.sh (name order), which has run apt-get update. The package's
# systemd unit is not started here (CI has no systemd; where there is one, it is stopped again).
set -euo pipefail
if command -v prometheus >/dev/null 2>&1; then
  echo "setup-prometheus: $(prometheus --version 2>&1 | head -1)"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends prometheus >/dev/null
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet prometheus 2>/dev/null; then
  systemctl disable --now prometheus >/dev/null 2>&1 || true
fi
echo "setup-prometheus: $(prometheus --version 2>&1 | head -1)"
