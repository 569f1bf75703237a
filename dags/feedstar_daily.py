"""feedstar_daily: load one logical day into the warehouse, safely re-runnable in any order.

The run that fires at 03:00 UTC on day X loads day X-1 (the start of its data interval;
see feedstar/orchestration/days.py).  Five tasks:

    check_source_freshness -> check_source_arrival -> dbt_build -> publish_run_summary
                                                               -> send_daily_report

* check_source_freshness runs `dbt source freshness` when the run loads yesterday: a source
  whose newest event is older than its error_after (models/sources.yml: 72 hours) fails the
  run at once, naming the table, its newest event and its age.  A backfill (a day before
  yesterday) skips it: freshness compares with now, which says nothing about an old day
  (feedstar/orchestration/freshness.py).  It also refuses a day that is not over yet.
* check_source_arrival refuses, without retrying, a day that is not over yet, a day before
  the first source event and a missing Airflow connection; it fails (and retries with
  exponential backoff, i.e. waits for late data) when the day's events are not in
  feed_actions and message_actions of FEEDSTAR_SOURCE_DATABASE.  Nothing is written before it passes.
* dbt_build runs `dbt build --vars '{start_date: S, end_date: D, lookback_days: 0}'`:
  staging, facts, dims, the users snapshot, the dashboard marts and every data test, in
  dbt's own DAG order (not the unit tests: they check SQL logic on fixed rows, and CI runs
  them).  S is the first of D's lookback days whose source rows changed since the previous
  run's load of D-1, or D itself; the whole lookback (D - lookback_days) when that cannot be
  told (feedstar/orchestration/load_plan.py).
  Facts and marts replace date partitions (`insert_overwrite`), so a retry, a re-run or
  a backfill in any order gives the same tables (the tests check this).
* publish_run_summary logs the rows each built table holds for D.
* send_daily_report delivers the morning report of D once (feedstar/orchestration/report_task.py):
  skipped when no delivery is configured, retried on a delivery failure, never upstream of the load.

Why one `dbt build` task rather than astronomer-cosmos' task per model: each cosmos task
is a separate dbt invocation that starts Python, loads the adapter and parses the project
before its model's SQL runs.  bench/bench_dag.py measures that fixed cost at over a
third of a daily run (2 cores, 14 days at scale 0.05: 6.2 s of a 16.6 s run, against
9.5 s of ClickHouse work).  21 models + 1 snapshot as tasks would pay it 22 times a day
(~140 s instead of 6 s), and a backfill pays that per day.  One build keeps dbt's threads, its DAG order and its
per-node results: the failure callback reads run_results.json and names the failing
model or test, and the per-node statuses go to XCom.

Configuration: environment variables declared in feedstar/settings.py (README "Settings":
schedule, connection id, retries, dbt paths, notifier); ClickHouse itself, passwords
included, comes from the Airflow connection FEEDSTAR_CH_CONN_ID (default `feedstar_clickhouse`).
"""

from __future__ import annotations

import datetime as dt
import functools

from airflow.sdk import CronTriggerTimetable, dag, get_current_context, task
from airflow.sdk.exceptions import AirflowFailException

from feedstar.orchestration import daily_load, report_task
from feedstar.orchestration.days import LoadRefused, day_to_load
from feedstar.orchestration.notify import DBT_TASK_ID, on_task_failure
from feedstar.settings import setting, setting_bool, setting_int


def _refusal_is_final(function):
    """LoadRefused means retrying cannot help: fail the task at once, skipping its retries."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except LoadRefused as exc:
            raise AirflowFailException(str(exc)) from exc

    return wrapper


@dag(
    dag_id="feedstar_daily",
    schedule=CronTriggerTimetable(setting("schedule"), timezone="UTC", interval=dt.timedelta(days=1)),
    start_date=dt.datetime.fromisoformat(setting("start_date")).replace(tzinfo=dt.timezone.utc),
    catchup=setting_bool("catchup"),
    max_active_runs=1,
    default_args={
        "retries": setting_int("retries"),
        "retry_delay": dt.timedelta(seconds=setting_int("retry_delay_seconds")),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": dt.timedelta(hours=1),
        "on_failure_callback": on_task_failure,
    },
    tags=["feedstar", "dbt", "clickhouse"],
    doc_md=__doc__,
)
def feedstar_daily():
    @task
    @_refusal_is_final
    def check_source_freshness() -> dict:
        context = get_current_context()
        return daily_load.check_source_freshness(day_to_load(
            context.get("data_interval_start"), context.get("logical_date"), context["dag_run"].run_after,
        ))

    @task
    @_refusal_is_final
    def check_source_arrival(freshness: dict) -> dict:  # (freshness: runs after that check)
        context = get_current_context()
        dag_run = context["dag_run"]
        return daily_load.check_source_arrival(
            context.get("data_interval_start"), context.get("logical_date"), dag_run.run_after,
        )

    @task(task_id=DBT_TASK_ID)
    @_refusal_is_final
    def dbt_build(arrival: dict) -> dict:
        # The latest earlier load this task recorded (the XCom of the newest run up to this
        # one's logical date; a failed attempt records none): build_day rebuilds only the
        # lookback days whose sources changed since, when that load was of the day before.
        previous = get_current_context()["ti"].xcom_pull(
            task_ids=DBT_TASK_ID, include_prior_dates=True, map_indexes=-1)
        return daily_load.build_day(arrival["day"], (previous or {}).get("load_plan"))

    @task
    @_refusal_is_final
    def publish_run_summary(build: dict) -> dict:
        return daily_load.summarize_day(build["day"])

    @task(**report_task.task_arguments())
    def send_daily_report(build: dict) -> dict:
        conf = get_current_context()["dag_run"].conf
        return report_task.send_daily_report(build["day"], report_task.wants_force(conf))

    build = dbt_build(check_source_arrival(check_source_freshness()))
    publish_run_summary(build)
    send_daily_report(build)


feedstar_daily()
