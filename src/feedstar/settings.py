"""Every setting of feedstar's clients, declared once (name -> environment variable, default, help)
and read in one place, `setting()`.

The clients are the generator, the dashboard, the daily DAG and anything later built on
`feedstar.chclient`; dbt's `profiles.yml.example` reads the same FEEDSTAR_CH_* variables.
The endpoint itself (`feedstar serve`) is configured by its own flags (and FEEDSTAR_PASSWORD /
FEEDSTAR_READONLY_PASSWORD): those are the *server's* passwords, FEEDSTAR_CH_PASSWORD /
FEEDSTAR_CH_READONLY_PASSWORD what a *client* sends.  README.md, "Settings", lists this table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


class SettingsError(ValueError):
    """A setting is missing, malformed or set under an old name; the message says which and what to do."""


@dataclass(frozen=True)
class Setting:
    env_var: str
    default: str
    help: str
    renamed_from: tuple[str, ...] = ()  # old variables: set without the new one, they are an error


SETTINGS = {
    # -- where ClickHouse is: every client, and dbt (profiles.yml.example) ------------------------
    "host": Setting(
        "FEEDSTAR_CH_HOST", "127.0.0.1",
        "host of the ClickHouse HTTP interface (the embedded endpoint or a ClickHouse server)",
        ("FEEDSTAR_CLICKHOUSE_URL", "FEEDSTAR_DASHBOARD_URL", "CLICKHOUSE_HOST")),
    "port": Setting(
        "FEEDSTAR_CH_PORT", "",
        "its port (default 8123, 8443 with FEEDSTAR_CH_SECURE)", ("CLICKHOUSE_PORT",)),
    "secure": Setting(
        "FEEDSTAR_CH_SECURE", "false", "true = HTTPS", ("CLICKHOUSE_SECURE",)),
    "user": Setting(
        "FEEDSTAR_CH_USER", "default",
        "the read-write user (generator, dbt, DAG)", ("CLICKHOUSE_USER",)),
    "password": Setting(
        "FEEDSTAR_CH_PASSWORD", "",
        "its password (dbt reads only this one)", ("CLICKHOUSE_PASSWORD",)),
    "password_file": Setting(
        "FEEDSTAR_CH_PASSWORD_FILE", "",
        "or a file whose first line is that password (generator)"),
    "readonly_user": Setting(
        "FEEDSTAR_CH_READONLY_USER", "dashboard",
        "the read-only user (dashboard)"),
    "readonly_password": Setting(
        "FEEDSTAR_CH_READONLY_PASSWORD", "",
        "its password"),
    "readonly_password_file": Setting(
        "FEEDSTAR_CH_READONLY_PASSWORD_FILE", "",
        "or a file whose first line is that password"),
    "database": Setting(
        "FEEDSTAR_CH_DATABASE", "analytics",
        "the warehouse database: dbt's schema, the marts the dashboard reads", ("CLICKHOUSE_SCHEMA",)),
    # -- dbt -----------------------------------------------------------------------------------
    "dbt_target": Setting(
        "FEEDSTAR_TARGET", "local",
        "dbt target: local (embedded endpoint defaults), prod (a ClickHouse server: HTTPS, port 8443) "
        "or cluster (prod's defaults on a named cluster, docs/production.md; `feedstar generate` then "
        "creates its tables ON CLUSTER: Replicated local tables, Distributed tables over them)"),
    "verify": Setting(
        "FEEDSTAR_CH_VERIFY", "true",
        "dbt's prod and cluster targets: false = HTTPS without checking the server's certificate "
        "(a self-signed test server only)"),
    "cluster": Setting(
        "FEEDSTAR_CH_CLUSTER", "feedstar",
        "the cluster target's cluster: its name in the servers' remote_servers (ON CLUSTER, Distributed; "
        "dbt and `feedstar generate`)"),
    "database_engine": Setting(
        "FEEDSTAR_CH_DATABASE_ENGINE", "Atomic",
        "dbt's cluster target: the engine of the warehouse database dbt creates (Replicated turns ON CLUSTER off)"),
    "dbt_project_dir": Setting(
        "FEEDSTAR_DBT_PROJECT_DIR", "",
        "the dbt project (default: the nearest directory holding dbt_project.yml, from the current one up)"),
    "dbt_profiles_dir": Setting(
        "FEEDSTAR_DBT_PROFILES_DIR", "",
        "directory of profiles.yml for DAG runs (default: DBT_PROFILES_DIR, else the project dir)"),
    "dbt_target_path": Setting(
        "FEEDSTAR_DBT_TARGET_PATH", "",
        "dbt's target dir for DAG runs (default: <AIRFLOW_HOME>/feedstar-dbt-target)"),
    "dbt_executable": Setting(
        "FEEDSTAR_DBT_EXECUTABLE", "",
        "the dbt binary (default: the one installed beside this Python)"),
    # -- the dashboard -------------------------------------------------------------------------
    "dashboard_port": Setting(
        "FEEDSTAR_DASHBOARD_PORT", "8050",
        "TCP port of `feedstar dashboard` (it listens on 127.0.0.1 only: it has no login)"),
    # -- the daily DAG -------------------------------------------------------------------------
    "conn_id": Setting(
        "FEEDSTAR_CH_CONN_ID", "feedstar_clickhouse",
        "the DAG's Airflow connection to ClickHouse (host, port, login, password, schema; "
        "`{\"secure\": true}` in extra); it replaces the FEEDSTAR_CH_* variables above for DAG runs"),
    "schedule": Setting(
        "FEEDSTAR_DAG_SCHEDULE", "0 3 * * *",
        "cron (UTC) at which the run for day X fires; it loads day X-1"),
    "start_date": Setting(
        "FEEDSTAR_DAG_START_DATE", "2025-01-01",
        "first run date the scheduler considers (with catchup)"),
    "catchup": Setting(
        "FEEDSTAR_DAG_CATCHUP", "false",
        "true = the scheduler creates the missed runs since start_date"),
    "source_database": Setting(
        "FEEDSTAR_SOURCE_DATABASE", "product",
        "database holding feed_actions and message_actions: where `feedstar generate` writes, the models' "
        "sources, the DAG's arrival and freshness checks"),
    "retries": Setting(
        "FEEDSTAR_DAG_RETRIES", "3",
        "retries per task (the arrival check waits for late data this way)"),
    "retry_delay_seconds": Setting(
        "FEEDSTAR_DAG_RETRY_DELAY_SECONDS", "300",
        "first retry delay; doubles on each retry, capped at one hour"),
    "notifier": Setting(
        "FEEDSTAR_DAG_NOTIFIER", "",
        "module:callable also called with the FailureReport when a task fails (default: the log line only)"),
}


def setting(name: str) -> str:
    """The value of setting `name`: its environment variable, else its default."""
    declared = SETTINGS[name]
    value = os.environ.get(declared.env_var)
    if value:
        return value
    old = [variable for variable in declared.renamed_from if os.environ.get(variable)]
    if old:
        raise SettingsError(
            f"{', '.join(old)} {'is' if len(old) == 1 else 'are'} no longer read: set {declared.env_var} "
            f"(and the other FEEDSTAR_CH_* settings, README.md \"Settings\") instead")
    return declared.default


def setting_int(name: str) -> int:
    value = setting(name)
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{SETTINGS[name].env_var}={value!r} is not an integer") from None


def setting_bool(name: str) -> bool:
    value = setting(name).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{SETTINGS[name].env_var}={value!r} is not a boolean (true/false)")


def secret(name: str, file_name: str) -> str:
    """A password: setting `name` if set, else the first line of the file named by `file_name`, else ''."""
    value = setting(name)
    path = setting(file_name)
    if value and path:
        raise SettingsError(f"set {SETTINGS[name].env_var} or {SETTINGS[file_name].env_var}, not both")
    if not path:
        return value
    try:
        with open(path) as handle:
            return handle.readline().rstrip("\r\n")
    except OSError as exc:
        raise SettingsError(f"{SETTINGS[file_name].env_var}: cannot read {path}: {exc.strerror}") from None


def dbt_project_dir() -> str:
    """FEEDSTAR_DBT_PROJECT_DIR, else the nearest directory holding dbt_project.yml from the current one up."""
    configured = setting("dbt_project_dir")
    if configured:
        return configured
    here = Path.cwd()
    for directory in (here, *here.parents):
        if (directory / "dbt_project.yml").is_file():
            return str(directory)
    raise SettingsError(f"no dbt_project.yml in {here} or above it: set {SETTINGS['dbt_project_dir'].env_var}")


def dbt_profiles_dir() -> str:
    return setting("dbt_profiles_dir") or os.environ.get("DBT_PROFILES_DIR") or dbt_project_dir()


def dbt_target_path() -> str:
    airflow_home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
    return setting("dbt_target_path") or os.path.join(airflow_home, "feedstar-dbt-target")


def dbt_executable() -> str:
    import sys

    # The dbt next to this interpreter: Airflow and dbt share the venv (see requirements-airflow.txt).
    return setting("dbt_executable") or str(Path(sys.executable).with_name("dbt"))


def markdown_table() -> str:
    """The table as README.md shows it (a test keeps the two in step)."""
    lines = ["| variable | default | what |", "|---|---|---|"]
    for declared in SETTINGS.values():
        default = f"`{declared.default}`" if declared.default else ""
        lines.append(f"| `{declared.env_var}` | {default} | {declared.help.replace('|', '/')} |")
    return "\n".join(lines)
