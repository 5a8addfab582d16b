#!/usr/bin/env bash
# gpupool's check on a machine with a real NVIDIA GPU (under 5 minutes, no downloads):
#   1. builds its CUDA probe (scripts/gpu-check/mps-probe.cu) with nvcc;
#   2. captures nvidia-smi's outputs (-q -x, -L, topo -m, mig -lgip) and reads them with gpupool's
#      parsers (gpupool gpus on the saved files, and live);
#   3. measures the probe's matmul rate on the whole GPU 0, then as MPS clients limited to 25 % and
#      50 % of the GPU's threads (each rate against the whole GPU's);
#   4. checks that an MPS client cannot allocate beyond its pinned memory limit, and whether a client
#      can raise its own limit above the daemon's default (if it can, MPS limits do not fence a
#      hostile tenant: it sets its own environment).
# One line per check: PASS, FAIL or INFO, then a summary. Exit 0: every check passed; 1: a check
# failed; 2: the probe did not build; 3: no GPU here (after the build).
#
#   scripts/gpu-check.sh                 # from the repository root, after npm ci
#   GPU_CHECK_OUT=/tmp/gc scripts/gpu-check.sh   # keep the captured outputs there
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${GPU_CHECK_OUT:-$(mktemp -d /tmp/gpu-check.XXXXXX)}
RATE_SECONDS=${GPU_CHECK_RATE_SECONDS:-5}
mkdir -p "$OUT"
failed=0
line() { printf '%-4s %s\n' "$1" "$2"; [ "$1" = FAIL ] && failed=1; return 0; }

# 1. The probe, built offline for Turing to Hopper (and PTX for newer GPUs to JIT).
NVCC=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null || true)
if [ -z "$NVCC" ]; then
  line FAIL "build: nvcc not found (install the CUDA toolkit, or put nvcc on PATH)"
  exit 2
fi
if "$NVCC" -O2 -gencode arch=compute_75,code=sm_75 -gencode arch=compute_90,code=sm_90 \
  -gencode arch=compute_90,code=compute_90 -o "$OUT/mps-probe" "$ROOT/scripts/gpu-check/mps-probe.cu" \
  >"$OUT/nvcc.log" 2>&1; then
  line PASS "build: mps-probe compiled with $("$NVCC" --version | grep -o 'release [0-9.]*')"
else
  line FAIL "build: nvcc failed (see $OUT/nvcc.log): $(tail -1 "$OUT/nvcc.log")"
  exit 2
fi
PROBE="$OUT/mps-probe"

# Everything after this needs a GPU.
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "no GPU: nvidia-smi is not on PATH (this check needs a machine with an NVIDIA GPU and its driver); the probe built, nothing else was checked"
  exit 3
fi
if ! nvidia-smi -L >"$OUT/L.txt" 2>"$OUT/L.err" || ! grep -q '^GPU ' "$OUT/L.txt"; then
  echo "no GPU: nvidia-smi -L lists no GPU ($(head -1 "$OUT/L.err" "$OUT/L.txt" 2>/dev/null | tr '\n' ' '))"
  exit 3
fi
gpus=$(grep -c '^GPU ' "$OUT/L.txt")
line INFO "nvidia-smi: $gpus GPU(s): $(head -1 "$OUT/L.txt")"

# 2. nvidia-smi's outputs, and gpupool's parsers on them.
nvidia-smi -q -x >"$OUT/q.xml" 2>"$OUT/q.err" || line FAIL "capture: nvidia-smi -q -x failed: $(head -1 "$OUT/q.err")"
files=(--nvidia-smi-xml "$OUT/q.xml" --nvidia-smi-list "$OUT/L.txt")
read_back="-q -x, -L"
if nvidia-smi topo -m >"$OUT/topo.txt" 2>"$OUT/topo.err"; then files+=(--nvidia-smi-topo "$OUT/topo.txt"); read_back+=", topo -m"
else line INFO "capture: nvidia-smi topo -m failed: $(head -1 "$OUT/topo.err")"; fi
if nvidia-smi mig -lgip >"$OUT/mig.txt" 2>"$OUT/mig.err" && grep -q 'MIG' "$OUT/mig.txt"; then files+=(--nvidia-smi-mig "$OUT/mig.txt"); read_back+=", mig -lgip"
else line INFO "capture: no MIG profiles listed (MIG off or unsupported)"; fi
count() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).gpus.length)}catch{console.log(-1)}})'; }
saved=$("$ROOT/bin/gpupool" gpus "${files[@]}" --json 2>"$OUT/parse.err" | count)
if [ "$saved" = "$gpus" ]; then line PASS "parse: gpupool gpus reads the saved $read_back: $saved GPU(s)"
else line FAIL "parse: gpupool gpus on the saved outputs found $saved GPU(s), nvidia-smi -L lists $gpus ($(head -1 "$OUT/parse.err"))"; fi
live=$("$ROOT/bin/gpupool" gpus --json 2>"$OUT/live.err" | count)
if [ "$live" = "$gpus" ]; then line PASS "discover: gpupool gpus (live nvidia-smi): $live GPU(s)"
else line FAIL "discover: gpupool gpus found $live GPU(s), nvidia-smi -L lists $gpus ($(head -1 "$OUT/live.err"))"; fi

# 3. Matmul rates: the whole GPU 0, then MPS clients at 25 % and 50 % of its threads.
export CUDA_VISIBLE_DEVICES=0
whole=$("$PROBE" rate "$RATE_SECONDS" 2>&1)
if ! [[ "$whole" =~ ^rate\ [0-9.]+$ ]]; then
  line FAIL "rate: the probe does not run on GPU 0: $whole"
  echo "outputs: $OUT"; exit 1
fi
whole=${whole#rate }
line INFO "rate: whole GPU 0: $whole GFLOP/s"
if grep -q 'Enabled' <(nvidia-smi --query-gpu=mig.mode.current --format=csv,noheader -i 0 2>/dev/null); then
  line INFO "mps: GPU 0 is in MIG mode; the MPS checks are skipped"
  [ $failed = 0 ] && echo "all checks passed; outputs: $OUT" || echo "some checks FAILED; outputs: $OUT"
  exit $failed
fi
if ! command -v nvidia-cuda-mps-control >/dev/null 2>&1; then
  line FAIL "mps: nvidia-cuda-mps-control is not on PATH (it comes with the driver's utilities)"
  echo "outputs: $OUT"; exit 1
fi
export CUDA_MPS_PIPE_DIRECTORY="$OUT/mps-pipe" CUDA_MPS_LOG_DIRECTORY="$OUT/mps-log"
mkdir -p "$CUDA_MPS_PIPE_DIRECTORY" "$CUDA_MPS_LOG_DIRECTORY"
stop_mps() { echo quit | nvidia-cuda-mps-control >/dev/null 2>&1; }
trap stop_mps EXIT
if ! nvidia-cuda-mps-control -d; then
  line FAIL "mps: the control daemon did not start (see $CUDA_MPS_LOG_DIRECTORY)"
  echo "outputs: $OUT"; exit 1
fi
# The daemon's default pinned memory limit for every client: 1 GiB on device 0.
echo "set_default_device_pinned_mem_limit 0 1024M" | nvidia-cuda-mps-control >/dev/null
for pct in 25 50; do
  r=$(CUDA_MPS_ACTIVE_THREAD_PERCENTAGE=$pct "$PROBE" rate "$RATE_SECONDS" 2>&1)
  if ! [[ "$r" =~ ^rate\ [0-9.]+$ ]]; then line FAIL "mps $pct %: the client failed: $r"; continue; fi
  r=${r#rate }
  ratio=$(awk -v a="$r" -v b="$whole" 'BEGIN { printf "%.2f", a / b }')
  ok=$(awk -v q="$ratio" -v p="$pct" 'BEGIN { print (q <= p / 100 + 0.15 && q >= p / 100 - 0.15) ? 1 : 0 }')
  [ "$ok" = 1 ] && line PASS "mps $pct %: $r GFLOP/s = $ratio of the whole GPU" \
    || line FAIL "mps $pct %: $r GFLOP/s = $ratio of the whole GPU (expected $pct % ± 15)"
done

# 4. Memory: beyond the limit fails; can a client raise its own limit above the default?
r=$(CUDA_MPS_PINNED_DEVICE_MEM_LIMIT="0=1024M" "$PROBE" alloc 2048 2>&1)
[[ "$r" == "alloc failed"* ]] && line PASS "mps memory: 2 GiB under a 1 GiB limit is refused ($r)" \
  || line FAIL "mps memory: 2 GiB under a 1 GiB limit was not refused ($r)"
r=$("$PROBE" alloc 2048 2>&1)
[[ "$r" == "alloc failed"* ]] && line PASS "mps memory: the daemon's 1 GiB default applies to a client that sets nothing ($r)" \
  || line FAIL "mps memory: 2 GiB under the daemon's 1 GiB default was not refused ($r)"
r=$(CUDA_MPS_PINNED_DEVICE_MEM_LIMIT="0=4096M" "$PROBE" alloc 2048 2>&1)
if [[ "$r" == "alloc ok" ]]; then
  line INFO "mps fencing: a client that sets CUDA_MPS_PINNED_DEVICE_MEM_LIMIT=0=4096M itself allocates 2 GiB over the 1 GiB default: MPS memory limits do not fence a tenant that controls its own environment"
else
  line INFO "mps fencing: a client cannot raise its own limit above the daemon's default ($r): MPS memory limits fence it"
fi

[ $failed = 0 ] && echo "all checks passed; outputs: $OUT" || echo "some checks FAILED; outputs: $OUT"
exit $failed
