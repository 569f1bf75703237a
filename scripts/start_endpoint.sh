#!/usr/bin/env bash
# Start the embedded ClickHouse endpoint in the background unless it already runs.
# usage: start_endpoint.sh DATA_DIR PORT
set -euo pipefail
data_dir=$1 port=$2
bin=.venv/bin
pid_file="$data_dir/feedstar-serve.pid"
mkdir -p "$data_dir"
log_file="$(dirname "$data_dir")/serve.log"
if [[ -f $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  echo "endpoint already running (pid $(cat "$pid_file")) on http://127.0.0.1:$port"
  exit 0
fi
nohup "$bin/feedstar" serve --path "$data_dir" --port "$port" --log-file "$log_file" >/dev/null 2>&1 &
for _ in $(seq 1 100); do
  if curl -sf "http://127.0.0.1:$port/ping" >/dev/null 2>&1; then
    echo "endpoint running (pid $(cat "$pid_file")) on http://127.0.0.1:$port, data in $data_dir, log in $log_file"
    exit 0
  fi
  sleep 0.2
done
echo "endpoint did not start; see $log_file" >&2
tail -20 "$log_file" >&2 || true
exit 1
