#!/usr/bin/env bash
# The ONE place that sets Podman up for gpupool's tests (node layer CDI tests, engines tests, …).
# Other setup scripts and tests rely on what this leaves behind; change it here, not elsewhere.
#
# What it does (see ../shared/design/ENVIRONMENT.md, "Podman 4.3.1"), idempotently, as root:
#   1. apt-get update; install podman runc busybox-static.
#   2. /etc/containers/containers.conf: default_ulimits at the current hard limits (the VMs lack
#      CAP_SYS_RESOURCE, so podman's 1048576 default fails) and runtime=runc, cgroup_manager=cgroupfs,
#      events_logger=file (crun 1.8.1 fails on hybrid cgroups).
#   3. The local image localhost/busybox:latest (no registry here): a rootfs of busybox-static and its
#      applet links, imported with CMD ["/bin/sh"] and PATH=/bin.
# Re-running it changes nothing that is already in place (the image is rebuilt only when missing).
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-podman: must run as root" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
need=()
for pkg in podman runc busybox-static; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  # Other setup scripts may run apt at the same time: wait for the dpkg lock instead of failing.
  apt-get -o DPkg::Lock::Timeout=600 update
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${need[@]}"
fi

# nproc may not exceed pid_max; nofile is the current hard limit.
nofile=$(ulimit -Hn)
nproc=$(ulimit -Hu)
pid_max=$(cat /proc/sys/kernel/pid_max)
if [ "$nproc" = "unlimited" ] || [ "$nproc" -gt "$pid_max" ]; then nproc=$pid_max; fi
if [ "$nofile" = "unlimited" ]; then nofile=1048576; fi

mkdir -p /etc/containers /etc/cdi
conf=/etc/containers/containers.conf
want=$(cat <<CONF
# Written by gpupool .ci/setup-podman.sh (see ENVIRONMENT.md); re-run the script to refresh.
[containers]
default_ulimits = [
  "nofile=${nofile}:${nofile}",
  "nproc=${nproc}:${nproc}",
]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
)
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$want" ]; then
  printf '%s\n' "$want" >"$conf"
  echo "setup-podman: wrote $conf"
fi

if ! podman image exists localhost/busybox:latest; then
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  mkdir -p "$rootfs/bin" "$rootfs/dev" "$rootfs/proc" "$rootfs/sys" "$rootfs/tmp" "$rootfs/etc"
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in $("$rootfs/bin/busybox" --list); do
    [ -e "$rootfs/bin/$applet" ] || ln -s busybox "$rootfs/bin/$applet"
  done
  tar -C "$rootfs" -c . | podman import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' - localhost/busybox:latest
  echo "setup-podman: built localhost/busybox:latest"
fi

podman --version
podman run --rm localhost/busybox:latest true
echo "setup-podman: ok"
