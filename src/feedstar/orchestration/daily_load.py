"""The steps of the daily load as plain functions, so they run (and are tested) without
a scheduler; dags/feedstar_daily.py wraps each one in an Airflow task.

1. check_source_freshness: `dbt source freshness` when the run loads yesterday (not for a
   backfill: orchestration/freshness.py says why); a stale source refuses the run.
2. check_source_arrival: which day, may it be loaded, are its events there?
3. build_day: `dbt build` for that day (staging, facts, dims, snapshot, marts, tests).
4. summarize_day: rows per built table for that day, for the task log.

Errors: LoadRefused = never retry (future day, before the data, no connection, a stale
source); SourceNotArrived / ClickHouseUnreachable / DbtBuildFailed / FreshnessCheckFailed =
worth a retry.
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from feedstar import chclient
from feedstar.orchestration.arrival import check_arrival
from feedstar.orchestration.connection import connection_from_airflow
from feedstar.orchestration.dbt_build import (
    DbtCommand, built_tables, execution_seconds, kind_counts, run_dbt_build,
)
from feedstar.orchestration.days import day_to_load, refuse_unfinished_day
from feedstar.orchestration.freshness import is_backfill, judge, run_freshness
from feedstar.orchestration.summary import format_summary, rows_per_table
from feedstar.settings import dbt_executable, dbt_profiles_dir, dbt_project_dir, dbt_target_path, setting

log = logging.getLogger("feedstar.orchestration")


def check_source_freshness(day: dt.date, today: dt.date | None = None) -> dict:
    """{"day", "checked": bool, "sources": {table: status}} for the run loading `day` (see
    day_to_load), or SourceStale naming the stale tables."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    refuse_unfinished_day(day, today)
    if is_backfill(day, today):
        log.info("source freshness not checked: %s is a backfill (before yesterday, %s); freshness compares "
                 "the newest event with now", day, today - dt.timedelta(days=1))
        return {"day": day.isoformat(), "checked": False, "sources": {}}
    command = _dbt_command(_target())
    started = time.perf_counter()
    statuses = judge(run_freshness(command, log), setting("source_database"), log)
    log.info("sources are fresh enough to load %s: %s", day, statuses)
    return {"day": day.isoformat(), "checked": True, "sources": statuses,
            "seconds": round(time.perf_counter() - started, 3)}


def check_source_arrival(
    data_interval_start: dt.datetime | None,
    logical_date: dt.datetime | None,
    run_after: dt.datetime | None,
    today: dt.date | None = None,
) -> dict:
    """{"day": "YYYY-MM-DD", "events": {table: n}} or an exception saying why the day can't load."""
    day = day_to_load(data_interval_start, logical_date, run_after)
    log.info("this run loads logical day %s (data interval start %s, logical date %s)",
             day, data_interval_start, logical_date)
    refuse_unfinished_day(day, today or dt.datetime.now(dt.timezone.utc).date())
    target = _target()
    started = time.perf_counter()
    with chclient.get_client(target) as client:
        arrival = check_arrival(client, setting("source_database"), day)
    log.info("events of %s have arrived: %s", day, arrival.events)
    return {**arrival.as_xcom(), "seconds": round(time.perf_counter() - started, 3)}


def build_day(day: str) -> dict:
    """Run `dbt build` for `day`; {"day", "nodes": {status: count}, timings} for XCom."""
    command = _dbt_command(_target())
    started = time.perf_counter()
    counts = run_dbt_build(command, dt.date.fromisoformat(day), log)
    seconds = time.perf_counter() - started
    log.info("dbt build for %s finished in %.1f s: %s", day, seconds, counts)
    # dbt's own clock for running the nodes; the rest of `seconds` is dbt start-up and parsing.
    return {"day": day, "nodes": counts, "kinds": kind_counts(command.run_results_path),
            "seconds": round(seconds, 3), "nodes_seconds": round(execution_seconds(command.run_results_path), 3)}


def summarize_day(day: str) -> dict:
    """Rows per dbt-built table for `day`, logged as a table; {"day", "rows": {table: n}} for XCom."""
    target = _target()
    command = _dbt_command(target)
    tables = built_tables(command.manifest_path, command.run_results_path)
    started = time.perf_counter()
    with chclient.get_client(target) as client:
        summary = rows_per_table(client, tables, dt.date.fromisoformat(day))
    log.info("%s", format_summary(dt.date.fromisoformat(day), summary))
    return {"day": day, "rows": {table: entry["rows"] for table, entry in summary.items()},
            "seconds": round(time.perf_counter() - started, 3)}


def _target() -> chclient.Connection:
    return connection_from_airflow(setting("conn_id"))


def _dbt_command(target: chclient.Connection) -> DbtCommand:
    return DbtCommand(
        executable=dbt_executable(),
        project_dir=dbt_project_dir(),
        profiles_dir=dbt_profiles_dir(),
        target=setting("dbt_target"),
        target_path=dbt_target_path(),
        env=target.dbt_env(),
    )
