#!/usr/bin/env bash
# A stand-in for `nvidia-smi` in tests: prints real fixture outputs and records what it was asked.
# Installed on PATH as `nvidia-smi` by fake-bin.ts. Driven by environment variables:
#   FAKE_SMI_LOG     file to which each call's arguments are appended (one line per call)
#   FAKE_SMI_QX      file printed for `-q -x`            FAKE_SMI_TOPO  file printed for `topo -m`
#   FAKE_SMI_LIST    file printed for `-L`               FAKE_SMI_APPS  file printed for `--query-compute-apps=…`
#   FAKE_SMI_SLEEP   seconds to sleep before answering (the "slow nvidia-smi")
#   FAKE_SMI_FAIL    when set: print it to stderr and exit 9 (the "broken driver")
#   FAKE_SMI_MIG_FAIL  when set: `mig` subcommands print it and exit 6
set -u
[ -n "${FAKE_SMI_LOG:-}" ] && printf '%s\n' "$*" >>"$FAKE_SMI_LOG"
if [ -n "${FAKE_SMI_SLEEP:-}" ]; then sleep "$FAKE_SMI_SLEEP"; fi
if [ -n "${FAKE_SMI_FAIL:-}" ]; then
  echo "$FAKE_SMI_FAIL" >&2
  exit 9
fi
show() {
  if [ -z "${1:-}" ] || [ ! -f "$1" ]; then
    echo "fake nvidia-smi: no fixture configured for: $ARGS" >&2
    exit 3
  fi
  cat "$1"
}
ARGS="$*"
case "$ARGS" in
  "-q -x") show "${FAKE_SMI_QX:-}" ;;
  "topo -m") show "${FAKE_SMI_TOPO:-}" ;;
  "-L") show "${FAKE_SMI_LIST:-}" ;;
  --query-compute-apps=*) show "${FAKE_SMI_APPS:-}" ;;
  mig\ *)
    if [ -n "${FAKE_SMI_MIG_FAIL:-}" ]; then
      echo "$FAKE_SMI_MIG_FAIL"
      exit 6
    fi
    echo "fake nvidia-smi: ok: $ARGS"
    ;;
  *)
    echo "fake nvidia-smi: unsupported arguments: $ARGS" >&2
    exit 2
    ;;
esac
