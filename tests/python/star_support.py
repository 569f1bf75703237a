"""Helpers shared by the star-schema tests (test_star_*.py): run dbt, load events, checksum tables.

test_star_incremental.py checks the checksum helper itself."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import yaml
from dbt_profile import dbt_profiles_dir

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DBT = os.path.join(os.path.dirname(sys.executable), "dbt")
FEEDSTAR = os.path.join(os.path.dirname(sys.executable), "feedstar")

# The star schema's models and what a day-by-day load must reproduce exactly.
STAR_SELECTION = ["staging", "marts.core"]
STAR_TABLES = [
    "fact_daily_feed", "fact_daily_posts", "fact_daily_messenger", "fact_user_connections",
    "int_user_daily_attributes", "int_user_monthly_attributes", "dim_users", "dim_dates",
]
FEED_COLUMNS = ["user_id", "post_id", "action", "time", "gender", "age", "os", "source", "country", "city",
                "exp_group"]
MESSAGE_COLUMNS = ["user_id", "receiver_id", "time", "gender", "age", "os", "source", "country", "city",
                   "exp_group"]


def run_dbt(endpoint, work_dir, command: str, *args: str, vars: dict | None = None, check: bool = True,
            project_dir: str = REPO) -> subprocess.CompletedProcess:
    """`dbt <command>` against `endpoint`, with target/log paths under `work_dir` (no collisions)."""
    env = dict(os.environ, DBT_PROFILES_DIR=dbt_profiles_dir(), DBT_SEND_ANONYMOUS_USAGE_STATS="false",
               FEEDSTAR_CH_PORT=str(endpoint.port if endpoint else 1))
    cmd = [DBT, command, "--project-dir", project_dir,
           "--target-path", os.path.join(work_dir, "target"), "--log-path", os.path.join(work_dir, "logs")]
    if vars is not None:
        # yaml.safe_dump keeps dates as YAML dates, as an Airflow task would pass them
        cmd += ["--vars", yaml.safe_dump(vars, default_flow_style=True).strip()]
    result = subprocess.run(cmd + list(args), env=env, capture_output=True, text=True, timeout=900)
    if check and result.returncode != 0:
        raise AssertionError(f"dbt {command} failed ({result.returncode}):\n{result.stdout[-6000:]}\n{result.stderr}")
    return result


def run_star(endpoint, work_dir, day: dt.date | None = None, lookback_days: int | None = None,
             command: str = "run", extra: tuple = ()) -> subprocess.CompletedProcess:
    """Load the star schema for logical date `day` (None = everything)."""
    vars = {}
    if day is not None:
        vars["start_date"] = day
    if lookback_days is not None:
        vars["lookback_days"] = lookback_days
    # cautious: only tests whose every parent is selected (the marts' tests need the marts)
    return run_dbt(endpoint, work_dir, command, "--select", *STAR_SELECTION, *extra,
                   "--indirect-selection", "cautious", vars=vars)


def insert_events(client, table: str, rows: list[tuple]) -> None:
    columns = FEED_COLUMNS if table == "feed_actions" else MESSAGE_COLUMNS
    client.insert(f"product.{table}", rows, column_names=columns)


def table_checksums(client, tables=STAR_TABLES, database: str = "analytics") -> dict:
    """(rows, order-independent hash of every row) per table; dim_users is read with FINAL."""
    sums = {}
    for table in tables:
        final = " final" if table == "dim_users" else ""
        row = client.query(f"select count(), sum(cityHash64(*)) from {database}.{table}{final}").result_rows[0]
        sums[table] = tuple(row)
    return sums


def rows_as_dicts(client, sql: str, parameters: dict | None = None) -> list[dict]:
    result = client.query(sql, parameters=parameters)
    return [dict(zip(result.column_names, row)) for row in result.result_rows]


def raw(client, table: str) -> list[dict]:
    """A source table's rows (product.feed_actions / product.message_actions)."""
    return rows_as_dicts(client, f"select * from product.{table}")


def model_rows(client, table: str, key: list[str]) -> dict:
    """A model's rows by key (a tuple for a composite key); dim_users is read with FINAL."""
    final = " final" if table == "dim_users" else ""
    return {tuple(row[k] for k in key) if len(key) > 1 else row[key[0]]: row
            for row in rows_as_dicts(client, f"select * from analytics.{table}{final}")}


def drop_warehouse(client) -> None:
    client.command("drop database if exists analytics")
