#!/usr/bin/env bash
# Kubernetes for the K8s-mode suites: etcd, containerd, runc and the CNI plugins from Debian (the
# kubelet suite runs one real kubelet), and kube-apiserver, kube-controller-manager, kube-scheduler
# and kubelet v1.20.2 built from Debian bookworm's `kubernetes` source package (no package ships
# them; see docs/kubernetes.md). The build (~5 min on 2 idle cores, 15 under load)
# is cached under $GPUPOOL_K8S_CACHE (default /var/cache/gpupool/k8s), keyed by the .dsc checksum,
# and skipped when the binaries are there. Prints the directory that holds them.
# Needs root (apt). Leaves /etc/apt untouched: deb-src comes from a private apt config.
set -euo pipefail
cache=${GPUPOOL_K8S_CACHE:-/var/cache/gpupool/k8s}
bins="kube-apiserver kube-controller-manager kube-scheduler kubelet"

apt_quiet() { DEBIAN_FRONTEND=noninteractive apt-get -qq -o Dpkg::Use-Pty=0 "$@" >/dev/null; }
need=()
for pkg in etcd-server etcd-client golang-go rsync golang-github-modern-go-reflect2-dev \
  golang-github-json-iterator-go-dev dpkg-dev openssl containerd runc containernetworking-plugins \
  iproute2 gcc libc6-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt_quiet update || true
  apt_quiet install -y --no-install-recommends "${need[@]}"
fi

# A private apt config with the deb-src entry.
src=$(mktemp -d /var/tmp/gpupool-k8s-src.XXXXXX)
trap 'rm -rf "$src"' EXIT
mkdir -p "$src/parts" "$src/lists/partial"
cat >"$src/parts/debian-src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt_src=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$src/parts"
  -o "Dir::State::Lists=$src/lists")
apt-get -qq "${apt_src[@]}" update >/dev/null
# The .dsc's checksum names the cache entry: read it from the index before downloading 34 MB.
dsc_sha=$(apt-get "${apt_src[@]}" source --print-uris kubernetes 2>/dev/null \
  | awk '/\.dsc/ {print $4}' | sed -e 's/^SHA256://' | head -1)
[ -n "$dsc_sha" ] || { echo "setup-k8s: no kubernetes source package in bookworm" >&2; exit 1; }
out="$cache/${dsc_sha:0:16}"
ok=1
for b in $bins; do [ -x "$out/$b" ] || ok=0; done
if [ "$ok" = 1 ]; then
  ln -sfn "$out" "$cache/current"
  echo "setup-k8s: cached binaries in $out"
  exit 0
fi

started=$(date +%s)
(cd "$src" && apt-get -qq "${apt_src[@]}" source --download-only kubernetes >/dev/null \
  && dpkg-source -x --no-check kubernetes_*.dsc tree >/dev/null)
tree="$src/tree"
# Go 1.19 with the vendored reflect2 crashes the API server (fault in UnsafeMapType.UnsafeIterate):
# take reflect2 1.0.2 and json-iterator 1.1.12 from Debian's Go packages instead.
swap() { # vendor dir, Debian gocode dir, file patterns
  local dst="$tree/vendor/$1" from="/usr/share/gocode/src/$2"
  shift 2
  find "$dst" -maxdepth 1 -type f \( -name '*.go' -o -name '*.s' \) -delete
  for pat in "$@"; do
    find "$from" -maxdepth 1 -type f -name "$pat" ! -name '*_test.go' -exec cp {} "$dst/" \;
  done
}
swap github.com/modern-go/reflect2 github.com/modern-go/reflect2 '*.go' '*.s'
swap github.com/json-iterator/go github.com/json-iterator/go '*.go'
echo "setup-k8s: building kubernetes 1.20.2 ($bins); this takes minutes"
(cd "$tree" && CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOCACHE="$src/gocache" \
  make WHAT="cmd/kube-apiserver cmd/kube-scheduler cmd/kube-controller-manager cmd/kubelet" >"$src/build.log" 2>&1) \
  || { tail -40 "$src/build.log" >&2; exit 1; }
mkdir -p "$out"
for b in $bins; do
  cp "$(find "$tree/_output" -type f -name "$b" -perm -u+x | head -1)" "$out/$b"
done
ln -sfn "$out" "$cache/current"
echo "setup-k8s: built in $(( $(date +%s) - started )) s into $out"
