"""Run `dbt build` for one logical day and read back what dbt says happened.

The load of day D is what a person would type (docs/contracts.md): `dbt build --vars
'{start_date: D, end_date: D}'`, the models applying lookback_days; the daily DAG passes the
window its load plan chose instead (orchestration/load_plan.py).  dbt's
own run_results.json is the record of which node failed; it is removed before each run
so a stale file from an earlier run can never be blamed.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

FAILED_STATUSES = ("error", "fail", "runtime error")


class DbtBuildFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class DbtCommand:
    executable: str
    project_dir: str
    profiles_dir: str
    target: str
    target_path: str
    env: dict[str, str] = field(default_factory=dict)

    def argv(self, day: dt.date, window: dict | None = None) -> list[str]:
        """`dbt build` of `day`; `window`: other load-window vars (a LoadPlan's) instead."""
        window = window or {"start_date": day.isoformat(), "end_date": day.isoformat()}
        return self.invocation(
            "build",
            "--vars", json.dumps(window),
            # Unit tests check SQL logic on fixed rows, not the day's data: CI runs them, a
            # daily load need not (dbt's advice for production runs).
            "--exclude-resource-type", "unit_test",
            # The 15-minute models have their own DAG (feedstar_intraday).
            "--exclude", "tag:intraday",
        )

    def invocation(self, *command: str) -> list[str]:
        """`dbt <command...>` on this project, profile and target, in our own target and log
        dirs: other dbt users of the checkout keep theirs."""
        return [
            self.executable, *command,
            "--project-dir", self.project_dir,
            "--profiles-dir", self.profiles_dir,
            "--target", self.target,
            "--target-path", self.target_path,
            "--log-path", os.path.join(self.target_path, "logs"),
            "--no-use-colors",
        ]

    @property
    def run_results_path(self) -> Path:
        return Path(self.target_path) / "run_results.json"

    @property
    def manifest_path(self) -> Path:
        return Path(self.target_path) / "manifest.json"


@dataclass(frozen=True)
class NodeFailure:
    unique_id: str
    status: str
    message: str

    def __str__(self) -> str:
        return f"{self.unique_id} ({self.status}): {self.message}"


def run_dbt_build(command: DbtCommand, day: dt.date, log: logging.Logger, window: dict | None = None) -> dict[str, int]:
    """Run the build, streaming dbt's output to `log`; node counts per status, or DbtBuildFailed."""
    if not Path(command.executable).exists():
        raise DbtBuildFailed(f"dbt executable not found: {command.executable} (set FEEDSTAR_DBT_EXECUTABLE)")
    command.run_results_path.unlink(missing_ok=True)
    returncode = run_dbt(command.argv(day, window), command.env, log)
    counts = status_counts(command.run_results_path)
    failures = failed_nodes(command.run_results_path)
    if returncode != 0 or failures:
        reasons = "; ".join(str(failure) for failure in failures) or "see the dbt output above"
        raise DbtBuildFailed(f"dbt build for {day} failed (exit {returncode}): {reasons}")
    return counts


def run_dbt(argv: list[str], env: dict[str, str], log: logging.Logger) -> int:
    """Run a dbt command with `env` added to ours, streaming its output to `log`; its exit code."""
    log.info("running: %s", " ".join(argv))
    full_env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **env}
    with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=full_env) as process:
        for line in process.stdout:
            log.info("dbt | %s", line.rstrip())
    return process.returncode


def failed_nodes(run_results_path: Path) -> list[NodeFailure]:
    """The nodes (models, snapshots, tests) dbt reported as failed; [] if there is no record."""
    results = _results(run_results_path)
    return [
        NodeFailure(result["unique_id"], result["status"], _one_line(result.get("message") or ""))
        for result in results
        if result.get("status") in FAILED_STATUSES
    ]


def kind_counts(run_results_path: Path) -> dict[str, int]:
    """Nodes run per resource type (model, snapshot, test, ...), from their unique_ids."""
    counts: dict[str, int] = {}
    for result in _results(run_results_path):
        kind = result.get("unique_id", "unknown").split(".")[0]
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def status_counts(run_results_path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in _results(run_results_path):
        counts[result.get("status", "unknown")] = counts.get(result.get("status", "unknown"), 0) + 1
    return counts


def built_tables(manifest_path: Path, run_results_path: Path) -> list[tuple[str, str]]:
    """(schema, table) of every model and snapshot this run materialized as a table (not views).

    Only the nodes in the run's results count: the manifest also holds models the run did
    not select (the 15-minute models, say), whose tables may not exist.
    """
    if not manifest_path.exists():
        return []
    manifest = json.loads(manifest_path.read_text())
    ran = {result.get("unique_id") for result in _results(run_results_path)}
    tables = set()
    for unique_id, node in manifest.get("nodes", {}).items():
        materialized = node.get("config", {}).get("materialized")
        if unique_id in ran and node.get("resource_type") in ("model", "snapshot") \
                and materialized not in ("view", "ephemeral"):
            tables.add((node["schema"], node.get("alias") or node["name"]))
    return sorted(tables)


def execution_seconds(run_results_path: Path) -> float:
    """dbt's elapsed time for running the nodes (after start-up and parsing); 0 if unknown."""
    try:
        return float(json.loads(run_results_path.read_text()).get("elapsed_time") or 0)
    except (OSError, ValueError):
        return 0.0


def _results(run_results_path: Path) -> list[dict]:
    if not run_results_path.exists():
        return []
    try:
        return json.loads(run_results_path.read_text()).get("results", [])
    except (OSError, ValueError):
        return []


def _one_line(message: str) -> str:
    return " ".join(message.split())[:500]
