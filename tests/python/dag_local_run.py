"""Test harness: run the daily DAG without a scheduler and write what happened as JSON.

    python tests/python/dag_local_run.py --airflow-home DIR --migrate \
        --logical-date 2025-03-10 [--logical-date ...] --result run.json

(or `--serve-fd N`: many requests, one Airflow process; see serve_requests.)

Used by the DAG tests and bench/bench_dag.py (by hand, `airflow dags test` does the same
for one date): it is `dag.test()` in a prepared AIRFLOW_HOME (sqlite metadata DB, migrated
once; examples off; dags/ of this repo).  Failures reported by the DAG's on_failure_callback are collected in-process by
`collect_failure` (installed as FEEDSTAR_DAG_NOTIFIER) and written to the result, so a
caller sees the same FailureReport a real notifier would get.  The ClickHouse
connection comes from the caller's environment (AIRFLOW_CONN_FEEDSTAR_CLICKHOUSE).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

DAG_ID = "feedstar_daily"
COLLECTED_FAILURES: list[dict] = []


def collect_failure(report) -> None:
    """A notifier that keeps reports in memory (see FEEDSTAR_DAG_NOTIFIER)."""
    COLLECTED_FAILURES.append(report.as_dict())


def airflow_env(airflow_home: str) -> dict[str, str]:
    """Environment Airflow must see before it is imported (its configuration is read at import time)."""
    return {
        "AIRFLOW_HOME": airflow_home,
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    }


def prepare_airflow_home(airflow_home: str) -> None:
    """Create and migrate the metadata DB in `airflow_home` (idempotent; a few seconds)."""
    os.makedirs(airflow_home, exist_ok=True)
    env = {**os.environ, **airflow_env(airflow_home)}
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, text=True)


def load_dag():
    """(dag, import_errors) from this repo's dags/ folder, as the scheduler would parse it."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(REPO_ROOT / "dags"))
    return bag.get_dag(DAG_ID), {str(path): error for path, error in bag.import_errors.items()}


def describe(dag) -> dict:
    """What a reviewer checks in the DAG's definition (small, JSON-able)."""
    default_args = dag.default_args
    return {
        "dag_id": dag.dag_id,
        "task_ids": sorted(dag.task_dict),
        "downstream": {task_id: sorted(task.downstream_task_ids) for task_id, task in dag.task_dict.items()},
        "timetable": type(dag.timetable).__name__,
        "timetable_cron": getattr(dag.timetable, "expression", None),
        "timetable_interval_hours": _hours(getattr(dag.timetable, "interval", None)),
        "max_active_runs": dag.max_active_runs,
        "catchup": dag.catchup,
        "retries": default_args.get("retries"),
        "retry_exponential_backoff": default_args.get("retry_exponential_backoff"),
        "has_failure_callback": default_args.get("on_failure_callback") is not None,
    }


def _hours(interval) -> float | None:
    return interval.total_seconds() / 3600 if isinstance(interval, dt.timedelta) else None


def run_once(dag, logical_date: dt.datetime) -> dict:
    """dag.test() for `logical_date` in this process; the outcome as a JSON-able dict."""
    COLLECTED_FAILURES.clear()
    started = time.perf_counter()
    dag_run = dag.test(logical_date=logical_date)
    seconds = time.perf_counter() - started
    tasks = {}
    for ti in dag_run.get_task_instances():
        duration = (ti.end_date - ti.start_date).total_seconds() if ti.start_date and ti.end_date else None
        tasks[ti.task_id] = {"state": str(ti.state), "seconds": duration, "tries": ti.try_number,
                             "xcom": ti.xcom_pull(task_ids=ti.task_id)}
    return {
        "state": str(dag_run.state),
        "logical_date": logical_date.isoformat(),
        "data_interval_start": dag_run.data_interval_start.isoformat() if dag_run.data_interval_start else None,
        "tasks": tasks,
        "failures": list(COLLECTED_FAILURES),
        "seconds": seconds,
    }


def run_dates(logical_dates: list[str], env: dict[str, str | None] | None = None) -> dict:
    """Parse the DAG (under `env` overrides; None unsets) and run it for each date in order."""
    with environment(env or {}):
        started = time.perf_counter()
        dag, import_errors = load_dag()  # parsed again: DAG-level settings (retries) follow env
        outcome = {"import_errors": import_errors, "import_seconds": time.perf_counter() - started, "runs": []}
        if dag is not None:
            outcome["dag"] = describe(dag)
            for text in logical_dates:
                logical_date = dt.datetime.fromisoformat(text)
                if logical_date.tzinfo is None:
                    logical_date = logical_date.replace(tzinfo=dt.timezone.utc)
                outcome["runs"].append(run_once(dag, logical_date))
    return outcome


@contextlib.contextmanager
def environment(overrides: dict[str, str | None]):
    saved = {name: os.environ.get(name) for name in overrides}
    try:
        for name, value in overrides.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def serve_requests(requests, replies) -> None:
    """One JSON request per line ({"dates": [...], "env": {...}}), one JSON reply per line.

    Starting Airflow's in-process execution API costs tens of seconds once per process;
    a caller that runs the DAG many times (the tests, the benchmark) pays it once."""
    for line in requests:
        if not line.strip():
            continue
        request = json.loads(line)
        outcome = run_dates(request.get("dates", []), request.get("env"))
        replies.write(json.dumps(outcome, default=str) + "\n")
        replies.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--airflow-home", required=True)
    parser.add_argument("--logical-date", action="append", default=[],
                        help="e.g. 2025-03-10 or 2025-03-10T03:00 (UTC; the run loads the day before); "
                             "repeat to run several dates in this order")
    parser.add_argument("--result", help="where to write the JSON outcome")
    parser.add_argument("--serve-fd", type=int,
                        help="instead: read requests from stdin, write replies to this file descriptor")
    parser.add_argument("--migrate", action="store_true", help="migrate the metadata DB first")
    args = parser.parse_args(argv)
    if bool(args.result) == bool(args.serve_fd):
        parser.error("give exactly one of --result and --serve-fd")
    os.environ.update(airflow_env(os.path.abspath(args.airflow_home)))
    os.environ["FEEDSTAR_DAG_NOTIFIER"] = f"{__name__}:collect_failure"
    if args.migrate:
        prepare_airflow_home(os.path.abspath(args.airflow_home))
    if args.serve_fd:
        with os.fdopen(args.serve_fd, "w") as replies:
            serve_requests(sys.stdin, replies)
        return 0
    outcome = run_dates(args.logical_date)
    Path(args.result).write_text(json.dumps(outcome, indent=2, default=str))
    ok = "dag" in outcome and all(run["state"] == "success" for run in outcome["runs"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
