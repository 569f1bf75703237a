#!/usr/bin/env bash
# The main job, once the endpoint is up: realistic data (if absent), the warehouse, the
# dashboard, and what to open next.
# usage: demo.sh DATA_DIR PORT DASHBOARD_PORT DOCS_PORT SCALE
set -euo pipefail
data_dir=$1 port=$2 dashboard_port=$3 docs_port=$4 scale=$5
bin=.venv/bin
state_dir=$(dirname "$data_dir")
export DBT_PROFILES_DIR=$PWD DBT_SEND_ANONYMOUS_USAGE_STATS=false
url="http://127.0.0.1:$port"
# Every client (generator, dbt, dashboard) talks to the endpoint scripts/start_endpoint.sh
# started, through the FEEDSTAR_CH_* settings.  The passwords, if the user exported the
# endpoint's (FEEDSTAR_PASSWORD / FEEDSTAR_READONLY_PASSWORD), travel in the environment,
# never on a command line; unset, everything stays password-less on loopback.
export FEEDSTAR_TARGET=local FEEDSTAR_CH_HOST=127.0.0.1 FEEDSTAR_CH_PORT=$port FEEDSTAR_CH_SECURE=false \
  FEEDSTAR_CH_USER=default FEEDSTAR_CH_READONLY_USER=dashboard FEEDSTAR_CH_DATABASE=analytics \
  FEEDSTAR_CH_PASSWORD=${FEEDSTAR_PASSWORD:-} FEEDSTAR_CH_READONLY_PASSWORD=${FEEDSTAR_READONLY_PASSWORD:-}
unset FEEDSTAR_CH_PASSWORD_FILE FEEDSTAR_CH_READONLY_PASSWORD_FILE

echo "== 1/3 product database (60 days, scale $scale; kept if already generated; today up to now)"
"$bin/feedstar" generate --scale "$scale" --if-absent --until now

# The daily warehouse ends with yesterday: the day being lived is the intraday models' (and
# would read as a drop on the daily dashboards until it is over).
yesterday=$("$bin/python" -c 'import datetime as d; print(d.date.today() - d.timedelta(days=1))')
echo "== 2/3 dbt build (staging, star schema, snapshot, dashboard marts up to $yesterday, tests; then today's 15-minute models)"
"$bin/dbt" build --vars "{end_date: '$yesterday'}" --exclude tag:intraday
"$bin/dbt" build --select tag:intraday

echo "== 3/3 dashboard"
pid_file="$state_dir/dashboard.pid"
if [[ -f $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  echo "dashboard already running (pid $(cat "$pid_file"))"
else
  # the read-only user's password only: the dashboard never sees the read-write one
  nohup env -u FEEDSTAR_PASSWORD -u FEEDSTAR_CH_PASSWORD "$bin/feedstar" dashboard \
    --port "$dashboard_port" --pid-file "$pid_file" >"$state_dir/dashboard.log" 2>&1 &
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$dashboard_port/healthz" && break
    sleep 0.2
  done
fi

cat <<MSG

feedstar is built and running.
  Dashboard:                 http://127.0.0.1:$dashboard_port/
  ClickHouse HTTP endpoint:  $url   (try: curl '$url/?query=SHOW+TABLES+FROM+analytics')
  Lineage docs:              export DBT_PROFILES_DIR=\$PWD FEEDSTAR_CH_PORT=$port; .venv/bin/dbt docs generate && .venv/bin/dbt docs serve --host 127.0.0.1 --port $docs_port
  Logs:                      $state_dir/serve.log, $state_dir/dashboard.log
  Stop everything:           make stop
MSG
