#!/usr/bin/env bash
# A stand-in for `nvidia-cuda-mps-control` in tests. It records every call (arguments, the MPS
# environment, and each command read from stdin) in $FAKE_MPS_LOG and keeps the "daemon" state as a
# file in the pipe directory, so a test can simulate a crash by deleting that file.
#   -d                 start the control daemon (fails if one is already running for this pipe dir)
#   stdin commands     get_server_list, get_default_active_thread_percentage,
#                      set_default_active_thread_percentage P, set_default_device_pinned_mem_limit D V, quit
set -u
pipe="${CUDA_MPS_PIPE_DIRECTORY:-/tmp/nvidia-mps}"
alive="$pipe/fake-mps-control.alive"
log() { [ -n "${FAKE_MPS_LOG:-}" ] && printf '%s\n' "$*" >>"$FAKE_MPS_LOG"; return 0; }
log "mps-control $* | pipe=$pipe log=${CUDA_MPS_LOG_DIRECTORY:-} visible=${CUDA_VISIBLE_DEVICES:-}"
if [ "${1:-}" = "-d" ]; then
  if [ -f "$alive" ]; then
    echo "An instance of this daemon is already running" >&2
    exit 1
  fi
  if [ -n "${FAKE_MPS_START_FAIL:-}" ]; then
    echo "$FAKE_MPS_START_FAIL" >&2
    exit 1
  fi
  mkdir -p "$pipe"
  echo 100 >"$alive"
  exit 0
fi
if [ ! -f "$alive" ]; then
  echo "Cannot find MPS control daemon process" >&2
  exit 1
fi
while IFS= read -r cmd || [ -n "$cmd" ]; do
  [ -z "$cmd" ] && continue
  log "  < $cmd"
  case "$cmd" in
    quit) rm -f "$alive" ;;
    get_server_list) ;;
    get_default_active_thread_percentage) cat "$alive" ;;
    set_default_active_thread_percentage\ *) echo "${cmd##* }" >"$alive"; echo "${cmd##* }" ;;
    set_default_device_pinned_mem_limit\ *) ;;
    *) echo "Unrecognized command: $cmd" ; exit 1 ;;
  esac
done
exit 0
