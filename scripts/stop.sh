#!/usr/bin/env bash
# Stop what `make demo` and `make superset` started, each by the PID it recorded.
# usage: stop.sh DATA_DIR
set -uo pipefail
data_dir=$1
state_dir=$(dirname "$data_dir")
for pid_file in "$state_dir"/superset.pid "$state_dir"/dashboard.pid "$data_dir"/feedstar-serve.pid; do
  [[ -f $pid_file ]] || continue
  pid=$(cat "$pid_file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    echo "stopped pid $pid ($(basename "$pid_file" .pid))"
  fi
  rm -f "$pid_file"
done
