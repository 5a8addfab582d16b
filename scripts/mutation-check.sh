#!/usr/bin/env bash
# Applies each of four mutations the test suite must catch (issue 12), runs the tests that should
# catch it, restores the file, and prints whether a test failed: "caught" (good) or "SURVIVED".
#   1. the GPU-memory fit of shares removed (scheduler)   2. FGD's sigmoid scale halved
#   3. a multi-GPU slice's CDI device nodes cut to its first GPU   4. a job transition not atomic
# Exit 0 when every mutation was caught. Run from the repository root: npm run mutations
set -u
cd "$(dirname "$0")/.."
survived=0
mutate() { # name file python-edit tests…
  local name=$1 file=$2 edit=$3; shift 3
  cp "$file" "$file.mutation-bak"
  python3 - "$file" "$edit" <<'PY'
import sys
path, edit = sys.argv[1], sys.argv[2]
old, new = edit.split("\n=>\n")
text = open(path).read()
if old not in text:
    sys.exit(f"mutation does not apply: {old!r} not in {path}")
open(path, "w").write(text.replace(old, new, 1))
PY
  local applied=$?
  local out=""
  [ $applied = 0 ] && out=$(npx vitest run "$@" 2>&1)
  local code=$?
  mv "$file.mutation-bak" "$file"
  if [ $applied != 0 ]; then echo "ERROR    $name: the mutation no longer applies (the code changed?)"; survived=1; return; fi
  if [ $code != 0 ]; then
    echo "caught   $name: $(printf '%s' "$out" | sed -e 's/\x1b\[[0-9;]*m//g' | grep -m1 -E '^ *FAIL ' | sed -e 's/^ *FAIL *//')"
  else
    echo "SURVIVED $name: no test in $* failed"; survived=1
  fi
}
mutate "GPU-memory fit removed" src/scheduler/plugins/gpu-devices.ts \
  $'node.gpuFree[i]! >= milli && node.gpuMemFree[i]! >= memMiB &&\n=>\nnode.gpuFree[i]! >= milli &&' src/scheduler
mutate "FGD sigmoid scale halved" src/scheduler/plugins/fgd.ts \
  $'Math.exp(-delta / this.sigmoidScale)\n=>\nMath.exp(-delta / (this.sigmoidScale / 2))' src/scheduler src/sim
mutate "multi-GPU CDI truncated" src/node/cdi.ts \
  $'sliceGpus(slice).map((g) =>\n=>\nsliceGpus(slice).slice(0, 1).map((g) =>' src/node
mutate "non-atomic transition" src/store/jobs.ts \
  $'  transition(id: string, to: JobState, opts: TransitionOptions = {}): JobRecord {\n    return inTransaction(this.db, () => {\n=>\n  transition(id: string, to: JobState, opts: TransitionOptions = {}): JobRecord {\n    return ((fn: () => JobRecord) => fn())(() => {' src/store
exit $survived
