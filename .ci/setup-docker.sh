#!/usr/bin/env bash
# Installs Docker Engine (dockerd 20.10 from Debian), gVisor's runsc and busybox-static for the
# engine conformance tests. Idempotent. Does NOT start dockerd: the tests start their own on a
# private socket and data-root (see src/engines/test-support/dockerd.ts) and stop it afterwards.
set -euo pipefail

pkgs=(docker.io runsc busybox-static)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-docker: already installed: ${pkgs[*]}"
  exit 0
fi

# Keep package scripts from starting services (dockerd, containerd) on hosts that have an init system.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy"
  chmod +x "$policy"
  own_policy=1
fi
trap '[ "$own_policy" = 1 ] && rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
# Other setup scripts may run apt at the same time: wait for the dpkg lock instead of failing.
apt-get -o DPkg::Lock::Timeout=600 update -qq || echo "setup-docker: apt-get update failed; trying the cached lists"
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
echo "setup-docker: installed ${missing[*]}; dockerd $(dockerd --version 2>/dev/null || echo '?'), runsc $(runsc --version 2>/dev/null | head -1 || echo '?')"
