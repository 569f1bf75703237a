"""Every knob of the daily DAG, declared once: environment variable, default, help.

The DAG file and its helpers read settings only through `setting()`, so the table below is
the whole configuration surface (README: "Running the DAG").  Nothing about *where*
ClickHouse is lives here: that comes from the Airflow connection named by
FEEDSTAR_CH_CONN_ID (which Airflow itself can read from AIRFLOW_CONN_<ID>).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Setting:
    env_var: str
    default: str
    help: str


SETTINGS = {
    "schedule": Setting(
        "FEEDSTAR_DAG_SCHEDULE", "0 3 * * *",
        "cron (UTC) at which the run for day X fires; it loads day X-1"),
    "start_date": Setting(
        "FEEDSTAR_DAG_START_DATE", "2025-01-01",
        "first run date the scheduler considers (with catchup)"),
    "catchup": Setting(
        "FEEDSTAR_DAG_CATCHUP", "false",
        "true = the scheduler creates the missed runs since start_date"),
    "conn_id": Setting(
        "FEEDSTAR_CH_CONN_ID", "feedstar_clickhouse",
        "Airflow connection of the ClickHouse HTTP interface (host, port, login, password, schema)"),
    "source_database": Setting(
        "FEEDSTAR_SOURCE_DATABASE", "product",
        "database holding feed_actions and message_actions"),
    "retries": Setting(
        "FEEDSTAR_DAG_RETRIES", "3",
        "retries per task (the arrival check waits for late data this way)"),
    "retry_delay_seconds": Setting(
        "FEEDSTAR_DAG_RETRY_DELAY_SECONDS", "300",
        "first retry delay; doubles on each retry, capped at one hour"),
    "dbt_project_dir": Setting(
        "FEEDSTAR_DBT_PROJECT_DIR", str(REPO_ROOT),
        "the dbt project (dbt_project.yml)"),
    "dbt_profiles_dir": Setting(
        "FEEDSTAR_DBT_PROFILES_DIR", "",
        "directory of profiles.yml (default: DBT_PROFILES_DIR, else the project dir)"),
    "dbt_target": Setting(
        "FEEDSTAR_TARGET", "local",
        "dbt target: local (embedded endpoint) or prod (a ClickHouse server)"),
    "dbt_target_path": Setting(
        "FEEDSTAR_DBT_TARGET_PATH", "",
        "dbt's target dir for DAG runs (default: <AIRFLOW_HOME>/feedstar-dbt-target)"),
    "dbt_executable": Setting(
        "FEEDSTAR_DBT_EXECUTABLE", "",
        "the dbt binary (default: the one installed beside this Python)"),
    "notifier": Setting(
        "FEEDSTAR_DAG_NOTIFIER", "",
        "module:callable also called with the FailureReport when a task fails (default: the log line only)"),
}


def setting(name: str) -> str:
    declared = SETTINGS[name]
    return os.environ.get(declared.env_var) or declared.default


def setting_int(name: str) -> int:
    value = setting(name)
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{SETTINGS[name].env_var}={value!r} is not an integer") from None


def setting_bool(name: str) -> bool:
    value = setting(name).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{SETTINGS[name].env_var}={value!r} is not a boolean (true/false)")


def dbt_profiles_dir() -> str:
    return setting("dbt_profiles_dir") or os.environ.get("DBT_PROFILES_DIR") or setting("dbt_project_dir")


def dbt_target_path() -> str:
    airflow_home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
    return setting("dbt_target_path") or os.path.join(airflow_home, "feedstar-dbt-target")


def dbt_executable() -> str:
    # The dbt next to this interpreter: Airflow and dbt share the venv (see requirements-airflow.txt).
    return setting("dbt_executable") or str(Path(sys.executable).with_name("dbt"))
