#!/usr/bin/env bash
# Superset 6.1 on the warehouse, in one command (`make superset`): its own venv, a config
# with a generated SECRET_KEY, migrations, an admin user, the feedstar bundle imported, and
# the server started on loopback in the background (PID recorded for `make stop`).
# usage: superset.sh STATE_DIR CLICKHOUSE_PORT SUPERSET_PORT
#   STATE_DIR      where the venv (unless FEEDSTAR_SUPERSET_VENV), config, metadata DB,
#                  admin password, log and pid file live (`make`: .feedstar)
# env:
#   FEEDSTAR_SUPERSET_VENV  the venv (default STATE_DIR/superset-venv); installed if missing
#   FEEDSTAR_SUPERSET_URI   the ClickHouse the charts read (default: the endpoint's read-only
#                           user, clickhousedb://dashboard:@127.0.0.1:CLICKHOUSE_PORT/analytics)
set -euo pipefail
state_dir=$1 ch_port=$2 port=$3
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}
venv=${FEEDSTAR_SUPERSET_VENV:-$state_dir/superset-venv}
home="$state_dir/superset"
uri=${FEEDSTAR_SUPERSET_URI:-clickhousedb://dashboard:@127.0.0.1:$ch_port/analytics}
pid_file="$state_dir/superset.pid"
log_file="$home/superset.log"
url="http://127.0.0.1:$port"
# Superset 6.1 installs only with these pins; clickhouse-connect is its ClickHouse driver.
pins=(apache-superset==6.1.0 "flask-caching<2.5" rich cachetools clickhouse-connect)

mkdir -p "$home"
chmod 700 "$home"

if ! curl -sf "http://127.0.0.1:$ch_port/ping" >/dev/null; then
  echo "no ClickHouse endpoint on port $ch_port: run \`make demo\` first (it builds the marts Superset reads)" >&2
  exit 1
fi

echo "== 1/5 Superset venv ($venv)"
if [[ ! -x $venv/bin/superset ]]; then
  "$python" -m venv "$venv"
  "$venv/bin/pip" install -q --upgrade pip
  "$venv/bin/pip" install -q "${pins[@]}"
fi

echo "== 2/5 config (SECRET_KEY generated once, kept in $home/superset_config.py)"
config="$home/superset_config.py"
if [[ ! -f $config ]]; then
  secret=$("$python" -c 'import secrets; print(secrets.token_urlsafe(48))')
  umask 077
  cat >"$config" <<CONFIG
# Written by scripts/superset.sh. SECRET_KEY signs sessions and encrypts the stored
# database URIs: keep it, or the metadata DB ($home/superset.db) becomes unreadable.
SECRET_KEY = "$secret"
SQLALCHEMY_DATABASE_URI = "sqlite:///$home/superset.db"
CONFIG
fi
password_file="$home/admin-password"
if [[ ! -f $password_file ]]; then
  (umask 077 && "$python" -c 'import secrets; print(secrets.token_urlsafe(12))' >"$password_file")
fi
password=$(cat "$password_file")
export SUPERSET_CONFIG_PATH=$config SUPERSET_HOME=$home FLASK_APP=superset
superset=("$venv/bin/superset")

echo "== 3/5 metadata DB, admin user, roles"
"${superset[@]}" db upgrade >>"$log_file" 2>&1
if ! "${superset[@]}" fab list-users 2>>"$log_file" | grep -q "username:admin "; then
  "${superset[@]}" fab create-admin --username admin --firstname feedstar --lastname admin \
    --email admin@localhost --password "$password" >>"$log_file" 2>&1
fi
"${superset[@]}" init >>"$log_file" 2>&1

echo "== 4/5 the feedstar dashboard (bundle reading $(sed -E 's#(//[^:@/]*):[^@]*@#\1@#' <<<"$uri"))"
bundle="$home/feedstar_superset.zip"
"$here/.venv/bin/python" "$here/superset/make_bundle.py" --out "$bundle" --uri "$uri" >/dev/null
"${superset[@]}" import-dashboards -p "$bundle" -u admin >>"$log_file" 2>&1

echo "== 5/5 server on $url"
if [[ -f $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  echo "Superset already running (pid $(cat "$pid_file"))"
else
  nohup "${superset[@]}" run --host 127.0.0.1 --port "$port" --with-threads >>"$log_file" 2>&1 &
  echo $! >"$pid_file"
  for _ in $(seq 1 120); do
    curl -sf "$url/health" >/dev/null 2>&1 && break
    if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
      echo "Superset exited; see $log_file" >&2
      tail -20 "$log_file" >&2
      exit 1
    fi
    sleep 1
  done
  curl -sf "$url/health" >/dev/null || { echo "Superset did not answer on $url; see $log_file" >&2; exit 1; }
fi

cat <<MSG

Superset is running.
  Dashboard:  $url/superset/dashboard/feedstar/
  Login:      admin / $password   (kept in $password_file)
  Log:        $log_file
  Stop:       make stop
MSG
