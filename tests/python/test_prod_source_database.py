"""The `prod` path end to end with a non-default source database: `feedstar generate`, a
`dbt build --target prod`, the daily DAG's checks and the dashboard, on an endpoint with
passwords, every client configured by the FEEDSTAR_* settings only, the sources in
FEEDSTAR_SOURCE_DATABASE=app_raw.  Nothing may create or read `product`.

(The embedded endpoint has no TLS: FEEDSTAR_CH_SECURE=false stands in for prod's HTTPS.)
"""

import datetime as dt
import json
import os
import subprocess
import sys
import urllib.request

import pytest
from dashboard_support import start_dashboard
from dbt_profile import REPO_ROOT, dbt_profiles_dir
from endpoint import start_endpoint

pytestmark = pytest.mark.slow

READ_WRITE, READ_ONLY = "rw-prod-secret", "ro-prod-secret"
SOURCE_DATABASE = "app_raw"
TODAY = dt.datetime.now(dt.timezone.utc).date()
FIRST, DAYS = TODAY - dt.timedelta(days=3), 3  # ends yesterday: the freshness check has something to pass
YESTERDAY = TODAY - dt.timedelta(days=1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("prod")
    endpoint = start_endpoint(str(directory / "data"),
                              env={"FEEDSTAR_PASSWORD": READ_WRITE, "FEEDSTAR_READONLY_PASSWORD": READ_ONLY})
    yield endpoint, directory
    endpoint.stop()


PROD = {"FEEDSTAR_TARGET": "prod", "FEEDSTAR_CH_SECURE": "false", "FEEDSTAR_SOURCE_DATABASE": SOURCE_DATABASE,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}


def prod_env(endpoint, **settings) -> dict:
    """No FEEDSTAR_*, DBT_* or AIRFLOW* variable of this process; the prod target on the endpoint."""
    kept = {key: value for key, value in os.environ.items() if not key.startswith(("FEEDSTAR_", "DBT_", "AIRFLOW"))}
    where = {"FEEDSTAR_CH_HOST": endpoint.host, "FEEDSTAR_CH_PORT": str(endpoint.port),
             "DBT_PROFILES_DIR": dbt_profiles_dir()}
    return {**kept, **PROD, **where, **settings}


@pytest.fixture(scope="module")
def built(server):
    endpoint, directory = server
    generated = subprocess.run(
        [sys.executable, "-m", "feedstar.cli", "generate", "--start", FIRST.isoformat(), "--days", str(DAYS),
         "--scale", "0.005", "--no-progress"],
        env=prod_env(endpoint, FEEDSTAR_CH_PASSWORD=READ_WRITE), capture_output=True, text=True, timeout=600)
    assert generated.returncode == 0, generated.stderr
    work = str(directory / "dbt")
    build = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "dbt"), "build", "--project-dir", REPO_ROOT,
         "--target", "prod", "--exclude", "tag:intraday", "--exclude-resource-type", "unit_test",
         "--target-path", os.path.join(work, "target"), "--log-path", os.path.join(work, "logs")],
        env=prod_env(endpoint, FEEDSTAR_CH_PASSWORD=READ_WRITE), capture_output=True, text=True, timeout=1800)
    assert build.returncode == 0, build.stdout[-4000:]
    return {"generate": generated.stdout, "admin": endpoint.client(password=READ_WRITE)}


def test_the_generator_writes_the_source_database_only(server, built):
    endpoint, _ = server
    assert f"{SOURCE_DATABASE} @ http://default:***@127.0.0.1:{endpoint.port}: {FIRST}..{YESTERDAY}" in built["generate"]
    databases = {name for (name,) in built["admin"].query("select name from system.databases").result_rows}
    assert SOURCE_DATABASE in databases and "product" not in databases


def test_dbt_read_the_source_database(built):
    admin = built["admin"]
    # an independent count: users with a view or a like on each day, from the raw events
    raw = admin.query(f"select toDate(time), count(distinct user_id) from {SOURCE_DATABASE}.feed_actions "
                      "group by 1 order by 1").result_rows
    facts = admin.query("select date, count() from analytics.fact_daily_feed group by 1 order by 1").result_rows
    assert facts == raw and len(raw) == DAYS


def test_the_dag_checks_read_the_source_database_with_the_connection_s_password(server, built, monkeypatch):
    pytest.importorskip("airflow", reason="Airflow is optional: `make install-airflow`")
    from feedstar.orchestration import daily_load

    endpoint, directory = server
    for key, value in prod_env(endpoint).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AIRFLOW_CONN_FEEDSTAR_CLICKHOUSE",
                       f"generic://default:{READ_WRITE}@{endpoint.host}:{endpoint.port}/analytics")
    monkeypatch.setenv("FEEDSTAR_DBT_PROJECT_DIR", REPO_ROOT)
    monkeypatch.setenv("FEEDSTAR_DBT_TARGET_PATH", str(directory / "dag-target"))
    interval_start = dt.datetime.combine(YESTERDAY, dt.time(3), dt.timezone.utc)

    freshness = daily_load.check_source_freshness(YESTERDAY, today=TODAY)
    assert freshness == {"day": YESTERDAY.isoformat(), "checked": True, "seconds": freshness["seconds"],
                         "sources": {f"{SOURCE_DATABASE}.feed_actions": "pass",
                                     f"{SOURCE_DATABASE}.message_actions": "pass"}}
    arrival = daily_load.check_source_arrival(interval_start, None, None, today=TODAY)
    expected = {table: len(built["admin"].query(
        f"select time from {SOURCE_DATABASE}.{table} where toDate(time) = {{d:Date}}",
        parameters={"d": YESTERDAY}).result_rows) for table in ("feed_actions", "message_actions")}
    assert arrival["day"] == YESTERDAY.isoformat() and arrival["events"] == expected
    assert min(expected.values()) > 0


def test_the_dashboard_reads_the_marts_with_the_read_only_password(server, built):
    endpoint, directory = server
    dashboard = start_dashboard(None, str(directory), env=prod_env(endpoint, FEEDSTAR_CH_READONLY_PASSWORD=READ_ONLY))
    try:
        with urllib.request.urlopen(f"{dashboard.url}/api/panels/active_users?date_from={FIRST}&date_to={YESTERDAY}"
                                    "&age_bucket=18-24", timeout=60) as response:
            body = json.loads(response.read())
        with urllib.request.urlopen(f"{dashboard.url}/api/options", timeout=60) as response:
            options = json.loads(response.read())
    finally:
        dashboard.stop()
    assert body["mart"] == "agg_active_users" and len(body["rows"]) == DAYS * 3
    # the age buckets the dashboard offers are the ones dbt's macro gave the breakdown mart
    stored = built["admin"].query("select arraySort(groupUniqArray(breakdown_value)) from analytics.agg_active_users "
                                  "where breakdown = 'age_bucket'").result_rows[0][0]
    assert set(stored) <= set(options["values"]["age_bucket"])


def test_the_dashboard_s_age_buckets_are_the_macro_s(server, built):
    from feedstar.dashboard.queries.labels import AGE_BUCKET_EXPRESSION

    admin = server[0].client(password=READ_WRITE, database="analytics")  # the dashboard's database
    # int_user_daily_activity holds each user-day's raw age and marts_age_bucket(age): the
    # dashboard's expression must give the same bucket for every row
    rows, disagreeing = admin.query(
        f"select count(), countIf({AGE_BUCKET_EXPRESSION} != age_bucket) "
        "from analytics.int_user_daily_activity").result_rows[0]
    assert rows > 0 and disagreeing == 0
