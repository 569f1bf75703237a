"""Crashes lose nothing: the CI subset of the fault-injection matrix, and the endpoint's
restart after a crash and `feedstar serve --check`.

The harness (faults_harness.py) kills the client or the endpoint at a chosen statement
of a job, restarts what it killed, re-runs the same command and compares every table of
`analytics` and `product` with an uninterrupted run of the same command from the same
saved state.  Here a few moments a person is most likely to hit, picked by what the
statement does (so they follow the models when those change); the full matrix
(>= 20 moments x 5 jobs x 2 victims) is `python -m bench.bench_faults`.  The endpoint's own
restart and `feedstar serve --check`: test_faults_endpoint.py; a full disk:
test_faults_disk.py; which scratch tables a run drops (a killed run's) and keeps (a
concurrent run's), on the cluster target: test_faults_scratch.py.

    pytest -m faults tests/python
"""

from __future__ import annotations

import os

import pytest
import yaml
from faults_harness import JOBS, REPO_ROOT, FaultHarness, Moment

pytestmark = [pytest.mark.faults, pytest.mark.slow]


@pytest.fixture(scope="module")
def harness(tmp_path_factory):
    # One clean run per job: every column must then match (the bench makes two and names
    # the columns that differ between them; for this project there are none).
    harness = FaultHarness(str(tmp_path_factory.mktemp("faults")), clean_runs=1)
    try:
        harness.prepare()
        yield harness
    finally:
        harness.close()


def find(harness, job: str, kind: str, text: str, offset: int = 0) -> int:
    """Index of the first statement of the job's clean run of `kind` whose text has `text`."""
    statements, _ = harness.reference(JOBS[job])
    for statement in statements:
        if statement.kind == kind and text in statement.text:
            return statement.index + offset
    raise AssertionError(f"no {kind} statement with {text!r} in the clean {job}: "
                         f"{[s.text[:120] for s in statements if s.kind == kind]}")


def assert_recovered(cycle):
    """Recovered: the kill landed, the re-run passed and every table equals the clean run
    (no table left over: dbt-clickhouse's scratch tables of the killed run included)."""
    assert cycle.landed.split(" ")[0] in ("before", "during", "answered"), cycle.landed
    assert not cycle.problems, f"{cycle.job} / {cycle.victim} at {cycle.moment} ({cycle.statement}):\n" + \
        "\n".join(cycle.problems)


def test_append_day_killed_as_its_parameters_are_written(harness):
    # The parameters were replaced by TRUNCATE then INSERT: killed in between, the data set
    # had none and `--append-day` refused to run again.  The first statement that writes
    # them, answered, then the generator dies.
    statements, _ = harness.reference(JOBS["append day"])
    index = next(s.index for s in statements if "_generate_meta" in s.text and s.kind in ("ddl", "insert", "swap"))
    assert_recovered(harness.cycle(JOBS["append day"], "client", Moment(index, "answered")))


def test_append_day_endpoint_killed_inside_the_stage_insert(harness):
    index = find(harness, "append day", "insert", "_message_actions_stage")
    assert_recovered(harness.cycle(JOBS["append day"], "endpoint", Moment(index, "during")))


def test_daily_load_dbt_killed_between_dim_users_insert_and_its_exchange(harness):
    # dim_users' new table is filled but not yet swapped in: the re-run must rebuild it
    # (dbt-clickhouse drops a leftover backup table first) and swap it in once
    index = find(harness, "daily load", "swap", "model.feedstar.dim_users")
    assert_recovered(harness.cycle(JOBS["daily load"], "client", Moment(index, "before")))


def test_daily_load_dbt_killed_between_a_partition_swap_and_the_new_data_drop(harness):
    # After the swap: `fact_daily_feed__dbt_new_data_<invocation id>` holds the day's rows and
    # is dropped next (the load's only drop of it: macros/insert_overwrite.sql).  The re-run
    # has another invocation id; its on-run-start drops the table (macros/scratch_tables.sql),
    # which dbt-clickhouse itself never would.  (The endpoint killed at the swap leaves the
    # same state, and an endpoint to restart: the bench's matrix, and test_faults_endpoint.py
    # for the restart itself.)
    moment = Moment(-1, "before", match="drop table if exists `analytics`.`fact_daily_feed__dbt_new_data_")
    assert_recovered(harness.cycle(JOBS["daily load"], "client", moment))


def test_daily_load_endpoint_killed_as_the_closed_history_rollup_replaces_its_partition(harness):
    # The day's window is the first to start in February: int_user_closed_history merges
    # January's users into its one partition and replaces it.  The endpoint dies inside that
    # replace; the re-run must leave the rollup and dim_users as one uninterrupted run does.
    index = find(harness, "daily load", "swap", "model.feedstar.int_user_closed_history")
    _, tables = harness.reference(JOBS["daily load"])
    assert tables["analytics.int_user_closed_history"][1] > 0, "the clean run must roll January up"
    assert_recovered(harness.cycle(JOBS["daily load"], "endpoint", Moment(index, "during")))


def test_snapshot_dbt_killed_after_its_first_insert_into_the_upsert_table(harness):
    statements, _ = harness.reference(JOBS["snapshot"])
    index = next(s.index for s in statements if s.kind == "insert" and "__snapshot_upsert" in s.text)
    assert_recovered(harness.cycle(JOBS["snapshot"], "client", Moment(index, "answered")))


def test_the_profiles_send_no_exchange_probe(harness):
    # dbt-clickhouse's EXCHANGE TABLES probe creates `__dbt_exchange_test_{0,1}_<uuid>` when
    # it connects; dbt killed in between left them behind.  The profiles turn the probe off
    # (check_exchange: false); the harness's profile does as they do, so its runs show it.
    with open(os.path.join(REPO_ROOT, "profiles.yml.example")) as handle:
        outputs = yaml.safe_load(handle)["feedstar"]["outputs"]
    assert {name: output.get("check_exchange") for name, output in outputs.items()} == \
        {"local": False, "prod": False, "cluster": False}  # the cluster's: from prod
    statements, _ = harness.reference(JOBS["daily load"])
    assert not [s.text for s in statements if "__dbt_exchange_test_" in s.text]
