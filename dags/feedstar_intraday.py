"""feedstar_intraday: every 15 minutes, today's intraday models and the alert check.

    build_intraday -> check_alerts

* build_intraday runs `dbt build --select tag:intraday --vars '{intraday_day: D}'` for the
  day of the slot that just ended (models/intraday/: 15-minute metrics, alert bands, and
  their data tests; not the unit tests, CI runs them).  It reads the product's events as
  they are; it generates nothing.
* check_alerts runs the check of `feedstar alerts --at <data interval end>`: each new
  anomaly of that slot is sent once (apprise: FEEDSTAR_NOTIFY_URLS / FEEDSTAR_NOTIFY_CONFIG
  in the worker's environment).  A target that cannot be reached fails the task; the retry
  (and every later run) sends what is still pending, and nothing twice.

Safe to retry and to overlap with feedstar_daily: partitions are replaced whole, dbt's
temp tables are per invocation, and each DAG has its own dbt target dir.  max_active_runs=1
and no catchup: a missed slot is not replayed (the next run rebuilds the whole day).
ClickHouse comes from the same Airflow connection as the daily DAG.
"""

from __future__ import annotations

import datetime as dt

from airflow.sdk import dag, get_current_context, task

from feedstar.orchestration import intraday_load

SCHEDULE = "*/15 * * * *"


@dag(
    dag_id="feedstar_intraday",
    schedule=SCHEDULE,
    start_date=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=dt.timedelta(minutes=14),
    default_args={"retries": 2, "retry_delay": dt.timedelta(minutes=1)},
    tags=["feedstar", "dbt", "clickhouse", "alerts"],
    doc_md=__doc__,
)
def feedstar_intraday():
    @task
    def build_intraday() -> dict:
        return intraday_load.build_slot_day(get_current_context()["data_interval_end"])

    @task
    def check_alerts(build: dict) -> dict:
        return intraday_load.check_alerts(get_current_context()["data_interval_end"])

    check_alerts(build_intraday())


feedstar_intraday()
