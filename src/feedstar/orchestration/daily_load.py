"""The steps of the daily load as plain functions, so they run (and are tested) without
a scheduler; dags/feedstar_daily.py wraps each one in an Airflow task.

1. check_source_freshness: `dbt source freshness` when the run loads yesterday (not for a
   backfill: orchestration/freshness.py says why); a stale source refuses the run.
2. check_source_arrival: which day, may it be loaded, are its events there?
3. build_day: `dbt build` for that day (staging, facts, dims, snapshot, marts, tests), and
   the lookback days whose source rows changed since the previous day's load (load_plan.py).
4. summarize_day: rows per built table for that day, for the task log.

Errors: LoadRefused = never retry (future day, before the data, no connection, a stale
source); SourceNotArrived / ClickHouseUnreachable / DbtBuildFailed / FreshnessCheckFailed =
worth a retry.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time

import yaml

from feedstar import chclient
from feedstar.orchestration.arrival import check_arrival
from feedstar.orchestration.connection import connection_from_airflow
from feedstar.orchestration.dbt_build import (
    DbtCommand, built_tables, execution_seconds, kind_counts, run_dbt_build,
)
from feedstar.orchestration.days import LoadRefused, day_to_load, refuse_unfinished_day
from feedstar.orchestration.freshness import is_backfill, judge, run_freshness
from feedstar.orchestration.load_plan import plan_load
from feedstar.orchestration.summary import format_summary, rows_per_table
from feedstar.settings import dbt_executable, dbt_profiles_dir, dbt_project_dir, dbt_target_path, setting

log = logging.getLogger("feedstar.orchestration")
DEFAULT_LOOKBACK_DAYS = 3  # macros/load_window.sql's default


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


def build_day(day: str, previous_plan: dict | None = None) -> dict:
    """Run `dbt build` for `day`, from the first lookback day whose sources changed since the
    load recorded in `previous_plan` (the previous run's "load_plan", see load_plan.py);
    {"day", "load_plan", "nodes": {status: count}, timings} for XCom."""
    target = _target()
    command = _dbt_command(target)
    started = time.perf_counter()
    with chclient.get_client(target) as client:
        plan = plan_load(client, setting("source_database"), dt.date.fromisoformat(day),
                         project_lookback_days(), previous_plan)
    log.info("loading %s..%s: %s", plan.start, plan.day, plan.reason)
    counts = run_dbt_build(command, plan.day, log, plan.dbt_vars())
    seconds = time.perf_counter() - started
    log.info("dbt build for %s finished in %.1f s: %s", day, seconds, counts)
    # dbt's own clock for running the nodes; the rest of `seconds` is dbt start-up and parsing.
    return {"day": day, "load_plan": plan.as_xcom(), "nodes": counts, "kinds": kind_counts(command.run_results_path),
            "seconds": round(seconds, 3), "nodes_seconds": round(execution_seconds(command.run_results_path), 3)}


def project_lookback_days() -> int:
    """The project's lookback_days (dbt_project.yml vars), the days a load may rebuild; 3, the
    load-window macros' default, when the project does not set it."""
    path = os.path.join(dbt_project_dir(), "dbt_project.yml")
    with open(path) as handle:
        value = ((yaml.safe_load(handle) or {}).get("vars") or {}).get("lookback_days")
    if value is None:
        return DEFAULT_LOOKBACK_DAYS
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LoadRefused(f"{path}: vars.lookback_days = {value!r} is not a whole number of days >= 0")
    return value


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
