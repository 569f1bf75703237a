"""What happens when a task of the daily load fails: log the failing dbt node, tell someone.

The callback always logs the report (the failing dbt node first).  Notifying is
pluggable: FEEDSTAR_DAG_NOTIFIER names a `module:callable` taking one FailureReport;
unset, the log line is the only notice.  A Slack or e-mail notifier is a ten-line
function in your own module (nothing here needs the network).
"""

from __future__ import annotations

import importlib
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from feedstar.orchestration.dbt_build import failed_nodes
from feedstar.orchestration.days import day_to_load
from feedstar.settings import dbt_target_path, setting

log = logging.getLogger("feedstar.orchestration")

DBT_TASK_ID = "dbt_build"


@dataclass(frozen=True)
class FailureReport:
    dag_id: str
    run_id: str
    task_id: str
    day: str
    error: str
    failed_nodes: list[str]  # dbt unique_ids with status, e.g. "model.feedstar.fact_daily_feed (error): ..."

    def as_dict(self) -> dict:
        return asdict(self)

    def headline(self) -> str:
        where = f"dbt node {self.failed_nodes[0]}" if self.failed_nodes else f"task {self.task_id}"
        return f"feedstar daily load of {self.day} failed in {where}: {self.error}"


def log_report(report: FailureReport) -> None:
    log.error("%s", report.headline())
    for node in report.failed_nodes[1:]:
        log.error("  also failed: %s", node)


def load_notifier(spec: str) -> Callable[[FailureReport], None]:
    """The callable named by `module:attribute`; ValueError with the spec if it cannot be found."""
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"notifier {spec!r} is not of the form module:callable")
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"notifier {spec!r} cannot be loaded: {exc}") from None


def report_from_context(context, run_results_path: Path) -> FailureReport:
    dag_run = context.get("dag_run")
    ti = context.get("ti") or context.get("task_instance")
    task_id = getattr(ti, "task_id", "?")
    try:
        day = day_to_load(context.get("data_interval_start"), context.get("logical_date"),
                          getattr(dag_run, "run_after", None)).isoformat()
    except ValueError:
        day = "?"
    # Only the dbt task's failure is explained by run_results.json (removed before each build).
    nodes = [str(node) for node in failed_nodes(run_results_path)] if task_id == DBT_TASK_ID else []
    exception = context.get("exception")
    return FailureReport(
        dag_id=getattr(dag_run, "dag_id", "?"),
        run_id=getattr(dag_run, "run_id", "?"),
        task_id=task_id,
        day=day,
        error=" ".join(str(exception).split())[:1000] if exception else "unknown error",
        failed_nodes=nodes,
    )


def on_task_failure(context) -> None:
    """Airflow on_failure_callback.  Never raises: a broken notifier must not hide the failure."""
    try:
        report = report_from_context(context, Path(dbt_target_path()) / "run_results.json")
        log_report(report)
        if setting("notifier"):
            load_notifier(setting("notifier"))(report)
    except Exception:  # noqa: BLE001 - the callback's own failure is logged, never propagated
        log.exception("feedstar failure callback could not report the failure")
