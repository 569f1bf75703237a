#!/usr/bin/env bash
# The main job, after the endpoint is up: build the warehouse and say what to open next.
# usage: demo.sh PORT DASHBOARD_PORT
set -euo pipefail
port=$1
bin=.venv/bin
export FEEDSTAR_CH_PORT=$port DBT_PROFILES_DIR=$PWD DBT_SEND_ANONYMOUS_USAGE_STATS=false
"$bin/dbt" build
cat <<MSG

feedstar is built.
  ClickHouse HTTP endpoint:  http://127.0.0.1:$port   (try: curl 'http://127.0.0.1:$port/?query=SHOW+DATABASES')
  Lineage docs:              .venv/bin/dbt docs generate && .venv/bin/dbt docs serve --port 8080
  Stop everything:           make stop
MSG
