"""Airflow: the DAG's dbt task killed mid-build (SIGKILL of its dbt process as dim_users'
EXCHANGE arrives, i.e. after its new table is filled and before it is swapped in) is retried
by Airflow and the run ends with the same tables as an uninterrupted run of the DAG for the
same day from the same state.

Slow (an Airflow worker, three DAG runs): it runs with the full fault matrix
(`python -m bench.bench_faults`, or FEEDSTAR_FAULTS_FULL=1).
"""

from __future__ import annotations

import datetime as dt
import os
import signal

import pytest
from dbt_profile import dbt_profiles_dir
from faults_harness import JOBS, NEW_DAY, FaultHarness, Moment, compare, table_checksums

pytestmark = [pytest.mark.faults, pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("FEEDSTAR_FAULTS_FULL") != "1",
                                 reason="with the full fault matrix (FEEDSTAR_FAULTS_FULL=1)")]
pytest.importorskip("airflow", reason="Airflow is optional: `make install-airflow`")

from dag_worker import DagWorker  # noqa: E402

LOGICAL_DATE = (NEW_DAY + dt.timedelta(days=1)).isoformat()  # a run loads the day before its logical date


def descendants(pid: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == pid:
            children += [int(entry), *descendants(int(entry))]
    return children


def dbt_processes(pid: int) -> list[int]:
    found = []
    for child in descendants(pid):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if any(part.endswith(b"/dbt") for part in argv) and b"build" in argv:
            found.append(child)
    return found


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults-airflow")
    harness = FaultHarness(str(tmp / "work"))
    env = {**harness.env(),
           "AIRFLOW_CONN_FEEDSTAR_CLICKHOUSE": f"generic://default:@127.0.0.1:{harness.proxy.port}/analytics",
           "FEEDSTAR_DBT_TARGET_PATH": str(tmp / "dbt-dag"), "FEEDSTAR_DBT_PROFILES_DIR": dbt_profiles_dir(),
           "FEEDSTAR_DBT_PROJECT_DIR": harness.project_dir,
           "FEEDSTAR_DAG_RETRIES": "1", "FEEDSTAR_DAG_RETRY_DELAY_SECONDS": "0"}
    worker = DagWorker(str(tmp / "airflow"), str(tmp / "airflow.log"), env).start()
    try:
        harness.prepare()
        harness.reference(JOBS["daily load"])  # which columns two clean loads disagree on
        yield harness, worker
    finally:
        worker.stop()
        harness.close()


def test_dbt_task_killed_mid_build_and_retried_equals_an_uninterrupted_run(setup):
    harness, worker = setup
    excluded = harness.excluded["daily load"]
    harness.load_state("appended")
    before = table_checksums(harness.client(), excluded)
    clean = worker.run(LOGICAL_DATE)
    assert clean["runs"][0]["state"] == "success", clean["log"][-3000:]
    expected = table_checksums(harness.client(), excluded)
    assert expected != before  # the run loaded a new day: the comparison below can fail

    harness.load_state("appended")
    killed = []

    def kill_dbt():
        for pid in dbt_processes(worker.process.pid):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    harness.proxy.reset(Moment(-1, "before", match="EXCHANGE TABLES `analytics`.`dim_users__dbt_backup`"), kill_dbt, "client")
    retried = worker.run(LOGICAL_DATE)
    harness.proxy.reset()
    assert killed, f"no dbt process was killed ({harness.proxy.landed or 'the moment never came'})"
    run = retried["runs"][0]
    assert run["state"] == "success", retried["log"][-3000:]
    assert run["tasks"]["dbt_build"]["tries"] == 2, run["tasks"]["dbt_build"]
    assert compare(expected, table_checksums(harness.client(), excluded)) == []
