"""`dbt source freshness` before the daily build: a source that stopped arriving fails the run.

The sources' freshness (models/sources.yml: `loaded_at_field: time`, warn after 36 hours,
error after 72) compares the newest event with *now*.  That says something only about the
run loading yesterday, the day just over: for a backfill of an older day the newest event
can be any age (a year-old day is loaded from a source that is fresh, or from an archive
that stopped long ago), so a run loading a day before yesterday (UTC) skips the check and
says so in its log; the arrival check still counts that day's own events.  dbt's
`loaded_at_query` could move the comparison, but freshness is always measured against the
time of the check, so it cannot be made relative to a logical date.

Outcomes: every source `pass` -> go on; `warn` -> go on, logged; `error` (stale) ->
SourceStale, a refusal that fails the run at once with the newest event's time, its age
and the limit (waiting with retries does not bring a source back after three days);
`runtime error` or a dbt that fails without results -> FreshnessCheckFailed, retried like
any other failure (an unreachable server, say).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

from feedstar.orchestration.dbt_build import DbtCommand, run_dbt
from feedstar.orchestration.days import LoadRefused


class SourceStale(LoadRefused):
    """A source's newest event is older than its error_after: the run is refused."""


class FreshnessCheckFailed(RuntimeError):
    """dbt could not tell (a query failed, dbt crashed): worth a retry."""


def is_backfill(day: dt.date, today: dt.date) -> bool:
    """True when `day` is before yesterday: freshness against now says nothing about it."""
    return day < today - dt.timedelta(days=1)


def freshness_argv(command: DbtCommand) -> list[str]:
    return command.invocation("source", "freshness", "--output", str(sources_path(command.target_path)))


def sources_path(target_path: str) -> Path:
    return Path(target_path) / "sources.json"


def run_freshness(command: DbtCommand, log: logging.Logger) -> list[dict]:
    """Run `dbt source freshness` (its output to `log`); its results, one per source table."""
    path = sources_path(command.target_path)
    path.unlink(missing_ok=True)  # a stale file from an earlier run must never answer for this one
    returncode = run_dbt(freshness_argv(command), command.env, log)
    try:
        results = json.loads(path.read_text()).get("results", [])
    except (OSError, ValueError):
        results = []
    if not results:
        raise FreshnessCheckFailed(f"dbt source freshness wrote no results (exit {returncode}): "
                                   "see the dbt output above")
    return results


def judge(results: list[dict], source_database: str, log: logging.Logger) -> dict[str, str]:
    """{source table: status}; SourceStale / FreshnessCheckFailed naming every table that failed."""
    statuses, stale, broken = {}, [], []
    for result in sorted(results, key=lambda result: result["unique_id"]):
        table = f"{source_database}.{result['unique_id'].rsplit('.', 1)[-1]}"
        status = result.get("status", "runtime error")
        statuses[table] = status
        if status == "error":
            stale.append(describe_stale(table, result))
        elif status == "warn":
            log.warning("source %s is getting stale: %s", table, describe_age(result))
        elif status != "pass":
            broken.append(f"{table}: {' '.join(str(result.get('error') or status).split())[:300]}")
    if stale:
        raise SourceStale("stale source data, nothing was loaded: " + "; ".join(stale)
                          + " (dbt source freshness; the product's export into it has stopped?)")
    if broken:
        raise FreshnessCheckFailed("dbt source freshness could not check " + "; ".join(broken))
    return statuses


def describe_stale(table: str, result: dict) -> str:
    return f"{table} is stale: {describe_age(result)}"


def describe_age(result: dict) -> str:
    hours = float(result.get("max_loaded_at_time_ago_in_s") or 0) / 3600
    newest = str(result.get("max_loaded_at") or "?").replace("T", " ")[:19]
    limit = (result.get("criteria") or {}).get("error_after") or {}
    text = f"its newest event is from {newest}, {hours:.1f} hours before the check"
    if limit.get("count"):
        text += f" (error after {limit['count']} {limit.get('period', 'hour')}s)"
    return text
