"""The daily DAG, run for real: `dag.test()` in a subprocess (its own AIRFLOW_HOME), against
a `feedstar serve` endpoint holding small generated data, with the repo's dbt project.

The oracle for "the DAG loaded day D right" is a direct `dbt build` for D on the same
sources; tables are compared by a checksum of their rows (FINAL for ReplacingMergeTree,
floats rounded).  Source arrival is simulated by holding the generated days in
`product_all` and exposing them in `product` up to a cut-off day.

Days: events are generated for 2025-03-01..03-07.  A run with logical date L loads L-1.
"""

import datetime as dt
import json
import os
import subprocess
import sys

import pytest
from dag_worker import DagWorker
from dbt_profile import REPO_ROOT, dbt_profiles_dir

pytestmark = pytest.mark.slow
airflow = pytest.importorskip("airflow", reason="Airflow is optional: `make install-airflow`")

FIRST_DAY, LAST_DAY = dt.date(2025, 3, 1), dt.date(2025, 3, 7)
SCHEMA = "analytics"


def day(text):
    return dt.date.fromisoformat(text)


def logical_date_loading(loaded_day):
    return (loaded_day + dt.timedelta(days=1)).isoformat()


class Harness:
    """The endpoint, its sources, one AIRFLOW_HOME, and the two ways to load a day."""

    def __init__(self, endpoint, tmp_path):
        self.endpoint, self.tmp_path = endpoint, tmp_path
        self.client = endpoint.client()
        self.airflow_home = str(tmp_path / "airflow")
        self.dbt_target_path = str(tmp_path / "dbt-direct")  # partial parse reused between direct builds
        self.env = {
            **os.environ,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "FEEDSTAR_CH_PORT": str(endpoint.port),
            "AIRFLOW_CONN_FEEDSTAR_CLICKHOUSE": f"generic://default:@127.0.0.1:{endpoint.port}/{SCHEMA}",
            "FEEDSTAR_DBT_TARGET_PATH": str(tmp_path / "dbt-dag"),
            "FEEDSTAR_DAG_RETRIES": "0",
            "FEEDSTAR_DBT_PROFILES_DIR": dbt_profiles_dir(),  # the tests' own profile (dbt_profile.py)
            "FEEDSTAR_DBT_PROJECT_DIR": REPO_ROOT,  # whatever directory pytest runs from
            # no report delivery unless a test asks for one
            "FEEDSTAR_NOTIFY_URLS": "", "FEEDSTAR_NOTIFY_CONFIG": "",
            "FEEDSTAR_REPORT_LEDGER": str(tmp_path / "report-ledger.json"),
        }

    # sources ---------------------------------------------------------------------------
    def generate(self):
        subprocess.run(
            [sys.executable, "-m", "feedstar.cli", "generate", "--start", FIRST_DAY.isoformat(),
             "--days", str((LAST_DAY - FIRST_DAY).days + 1), "--scale", "0.01", "--no-progress",
             "--url", self.endpoint.url], check=True, capture_output=True, text=True, env=self.env)
        self.client.command("create database if not exists product_all")
        for table in ("feed_actions", "message_actions"):
            self.client.command(f"create table product_all.{table} as product.{table}")
            self.client.command(f"insert into product_all.{table} select * from product.{table}")

    def expose_sources_through(self, last_day):
        """`product` holds the generated events up to and including `last_day`."""
        for table in ("feed_actions", "message_actions"):
            self.client.command(f"truncate table product.{table}")
            self.client.command(
                f"insert into product.{table} select * from product_all.{table} where toDate(time) <= {{d:Date}}",
                parameters={"d": last_day})

    def raw_events(self, table, on_day):
        """Plain rows for the Python oracle."""
        return list(self.client.query(
            f"select * from product.{table} where toDate(time) = {{d:Date}}", parameters={"d": on_day},
        ).named_results())

    # loading ---------------------------------------------------------------------------
    def drop_warehouse(self):
        self.client.command(f"drop database if exists {SCHEMA} sync")

    def dbt_build(self, loaded_day=None):
        argv = [os.path.join(os.path.dirname(sys.executable), "dbt"), "build",
                "--project-dir", REPO_ROOT, "--profiles-dir", dbt_profiles_dir(),
                "--target-path", self.dbt_target_path, "--log-path", self.dbt_target_path,
                # The oracle builds the same tables without their tests (tests write nothing;
                # the DAG runs them): half the nodes, and this module's CI time matters.
                "--exclude-resource-type", "unit_test", "test",
                # as the daily DAG: the 15-minute models (and their rules) are the intraday DAG's
                "--exclude", "tag:intraday"]
        if loaded_day:
            argv += ["--vars", json.dumps({"start_date": loaded_day.isoformat(), "end_date": loaded_day.isoformat()})]
        done = subprocess.run(argv, capture_output=True, text=True, env=self.env)
        assert done.returncode == 0, done.stdout[-4000:]

    def dag_runs(self, *logical_dates, **env):
        """Run the DAG for each logical date in order (env overrides; None unsets); its outcome."""
        return self.worker.run(*logical_dates, **env)

    # comparing -------------------------------------------------------------------------
    def checksums(self, snapshot_current_only=False):
        """{table: (rows, checksum)} for every table in the warehouse (views excluded).

        snapshot_current_only: compare users_snapshot by its current rows' user attributes
        only.  The snapshot records what each run saw (snapshots/users_snapshot.sql), so
        its history depends on the order days were loaded in by design; its current state
        does not."""
        tables = self.client.query(
            "select name, engine from system.tables where database = {db:String} "
            "and engine not like '%View%' order by name", parameters={"db": SCHEMA}).result_rows
        sums = {}
        for table, engine in tables:
            columns = self.client.query(
                "select name, type from system.columns where database = {db:String} and table = {t:String} "
                "order by position", parameters={"db": SCHEMA, "t": table}).result_rows
            # Floats are rounded: the same average summed in another thread order may differ in the last bit.
            values = ", ".join(f"round(`{name}`, 6)" if "Float" in kind else f"`{name}`" for name, kind in columns)
            final = " final" if "Replacing" in engine else ""
            where = ""
            if snapshot_current_only and table == "users_snapshot":
                values = ", ".join(f"`{name}`" for name, kind in columns
                                   if not name.startswith("dbt_") and name != "attributes_updated_at")
                where = " where dbt_valid_to is null"
            rows, checksum = self.client.query(
                f"select count(), sum(cityHash64(tuple({values}))) from `{SCHEMA}`.`{table}`{final}{where}"
            ).result_rows[0]
            sums[table] = (rows, checksum)
        return sums


@pytest.fixture(scope="module")
def harness(endpoint, tmp_path_factory):
    harness = Harness(endpoint, tmp_path_factory.mktemp("dag"))
    # One Airflow process for the module (its in-process API takes long to start); it
    # starts up while the data is generated.
    harness.worker = DagWorker(harness.airflow_home, str(harness.tmp_path / "airflow.log"), harness.env).start()
    try:
        harness.generate()
        yield harness
    finally:
        harness.worker.stop()


@pytest.fixture(scope="module")
def first_load(harness):
    """Day 03-04 loaded by the DAG (twice) and by a direct dbt build, on sources up to 03-04."""
    harness.expose_sources_through(day("2025-03-04"))
    harness.drop_warehouse()
    first = harness.dag_runs(logical_date_loading(day("2025-03-04")))
    after_first = harness.checksums()
    again = harness.dag_runs(logical_date_loading(day("2025-03-04")))
    after_again = harness.checksums()
    harness.drop_warehouse()
    harness.dbt_build(day("2025-03-04"))
    direct = harness.checksums()
    return {"first": first, "again": again, "after_first": after_first, "after_again": after_again, "direct": direct}


def test_dag_imports_with_the_expected_tasks_and_policies(harness):
    outcome = harness.dag_runs()  # parse only, no run
    assert outcome["import_errors"] == {}
    dag = outcome["dag"]
    assert dag["task_ids"] == ["check_source_arrival", "check_source_freshness", "dbt_build", "publish_run_summary",
                               "send_daily_report"]
    assert dag["downstream"] == {"check_source_freshness": ["check_source_arrival"],
                                 "check_source_arrival": ["dbt_build"],
                                 "dbt_build": ["publish_run_summary", "send_daily_report"],
                                 "publish_run_summary": [], "send_daily_report": []}
    # fires 03:00 UTC; its data interval is the 24 hours before, whose start day is loaded
    assert (dag["timetable"], dag["timetable_cron"], dag["timetable_interval_hours"]) == (
        "CronTriggerTimetable", "0 3 * * *", 24.0)
    assert dag["max_active_runs"] == 1 and dag["has_failure_callback"]
    assert dag["retry_exponential_backoff"] == 2.0


def test_dag_run_loads_the_day_before_its_logical_date(harness, first_load):
    run = first_load["first"]["runs"][0]
    assert run["state"] == "success", first_load["first"]["log"][-3000:]
    # no delivery configured: the report task is skipped, and the run succeeds
    assert run["tasks"]["send_daily_report"]["state"] == "skipped"
    assert "no delivery configured" in first_load["first"]["log"]
    assert run["data_interval_start"].startswith("2025-03-04")
    # a backfill (2025-03-04 is long before yesterday): freshness against now is not checked
    assert run["tasks"]["check_source_freshness"]["xcom"] == {"day": "2025-03-04", "checked": False, "sources": {}}
    assert "source freshness not checked: 2025-03-04 is a backfill" in first_load["first"]["log"]
    # The arrival check's counts, against a count of the raw events in Python.
    arrival = run["tasks"]["check_source_arrival"]["xcom"]
    assert {key: arrival[key] for key in ("day", "events")} == {"day": "2025-03-04", "events": {
        "feed_actions": len(harness.raw_events("feed_actions", day("2025-03-04"))),
        "message_actions": len(harness.raw_events("message_actions", day("2025-03-04")))}}


def test_run_summary_counts_rows_of_the_loaded_day(harness, first_load):
    run = first_load["first"]["runs"][0]
    summary = run["tasks"]["publish_run_summary"]["xcom"]["rows"]
    feed = harness.raw_events("feed_actions", day("2025-03-04"))
    if "fact_daily_feed" in summary:  # one row per user with a view or like that day
        assert summary["fact_daily_feed"] == len({event["user_id"] for event in feed})
    if "fact_daily_posts" in summary:
        assert summary["fact_daily_posts"] == len({event["post_id"] for event in feed})
    # every table in the warehouse is in the summary (a stray tmp table would show up here)
    assert set(first_load["after_first"]) <= set(summary)
    assert "run summary for 2025-03-04 (rows per table):" in first_load["first"]["log"]


def test_dag_run_equals_a_direct_dbt_build(first_load):
    assert first_load["after_first"], "the DAG built no tables"
    assert first_load["after_first"] == first_load["direct"]


def test_running_the_same_day_again_changes_nothing(first_load):
    assert first_load["again"]["runs"][0]["state"] == "success", first_load["again"]["log"][-3000:]
    assert first_load["after_again"] == first_load["after_first"]


@pytest.fixture(scope="module")
def backfills(harness, first_load):
    """From the same start (03-01..03-04 loaded), days 03-05..03-07 arrive and are loaded
    out of order by the DAG, in order by direct dbt builds."""
    days = [day("2025-03-07"), day("2025-03-05"), day("2025-03-06")]
    # first_load left the warehouse as a direct build of 03-04 on sources up to 03-04.
    harness.expose_sources_through(LAST_DAY)
    out_of_order = harness.dag_runs(*[logical_date_loading(d) for d in days])
    after_out_of_order = harness.checksums(snapshot_current_only=True)
    harness.drop_warehouse()
    harness.expose_sources_through(day("2025-03-04"))
    harness.dbt_build(day("2025-03-04"))
    harness.expose_sources_through(LAST_DAY)
    for loaded_day in sorted(days):
        harness.dbt_build(loaded_day)
    in_order = harness.checksums(snapshot_current_only=True)
    return {"out_of_order": out_of_order, "after_out_of_order": after_out_of_order, "in_order": in_order}


def test_three_days_loaded_out_of_order_equal_loading_them_in_order(backfills):
    runs = backfills["out_of_order"]["runs"]
    assert [run["state"] for run in runs] == ["success"] * 3, backfills["out_of_order"]["log"][-3000:]
    assert [run["tasks"]["check_source_arrival"]["xcom"]["day"] for run in runs] == [
        "2025-03-07", "2025-03-05", "2025-03-06"]
    assert backfills["after_out_of_order"] == backfills["in_order"]


def test_each_run_rebuilds_the_lookback_days_its_previous_load_cannot_vouch_for(backfills):
    plans = [run["tasks"]["dbt_build"]["xcom"]["load_plan"] for run in backfills["out_of_order"]["runs"]]
    # 03-07: the load recorded before it (first_load's, of 03-04) is not of 03-06: its whole lookback
    assert (plans[0]["start"], plans[0]["day"]) == ("2025-03-04", "2025-03-07")
    assert "not of the day before" in plans[0]["reason"]
    # 03-05 follows 03-04's load, but every source day was rewritten since (the exposure above)
    assert (plans[1]["start"], plans[1]["day"]) == ("2025-03-02", "2025-03-05")
    assert "changed since the load of 2025-03-04" in plans[1]["reason"]
    # 03-06 follows 03-05's load on the same sources: only its own day, and the tables still
    # equal the in-order builds of the whole lookback (the test above)
    assert (plans[2]["start"], plans[2]["day"]) == ("2025-03-06", "2025-03-06")
    assert plans[2]["reason"] == "no source day of the lookback changed since the load of 2025-03-05"


@pytest.fixture(scope="module")
def late_event(harness, backfills):
    """03-06 is loaded (the sources were rewritten since the DAG's loads above: whole lookback),
    then a view of 03-05 arrives late, then 03-07 is loaded again."""
    recorded = harness.dag_runs(logical_date_loading(day("2025-03-06")))
    assert recorded["runs"][0]["state"] == "success", recorded["log"][-3000:]
    user, post = harness.client.query(
        "select user_id, post_id from product.feed_actions where toDate(time) = '2025-03-05' "
        "order by user_id, time limit 1").result_rows[0]
    before = feed_views(harness, user)
    harness.client.command(
        "insert into product.feed_actions select user_id, post_id, 'view', toDateTime('2025-03-05 23:59:59'), "
        "gender, age, os, source, country, city, exp_group from product.feed_actions "
        "where toDate(time) = '2025-03-05' and user_id = {u:UInt32} and post_id = {p:UInt32} limit 1",
        parameters={"u": user, "p": post})
    outcome = harness.dag_runs(logical_date_loading(day("2025-03-07")))
    return {"outcome": outcome, "user": user, "before": before, "after": feed_views(harness, user)}


def feed_views(harness, user):
    return harness.client.query(
        f"select views from {SCHEMA}.fact_daily_feed where date = '2025-03-05' and user_id = {{u:UInt32}}",
        parameters={"u": user}).result_rows[0][0]


def test_a_late_event_is_loaded_by_the_next_run_from_its_day(late_event):
    run = late_event["outcome"]["runs"][0]
    assert run["state"] == "success", late_event["outcome"]["log"][-3000:]
    plan = run["tasks"]["dbt_build"]["xcom"]["load_plan"]
    # the previous load recorded is 03-06's, just before the late event (the run being
    # repeated records its own only at its end): 03-05 changed since, 03-04 and 03-06 did not
    assert (plan["start"], plan["day"]) == ("2025-03-05", "2025-03-07"), plan["reason"]
    assert plan["reason"] == "source rows of 2025-03-05 changed since the load of 2025-03-06"
    assert late_event["after"] == late_event["before"] + 1


def test_each_backfilled_day_has_one_feed_row_per_active_user(harness, backfills):
    # Not vacuous: the days 03-05..03-07 were absent before these runs loaded them.
    for run in backfills["out_of_order"]["runs"]:
        summary = run["tasks"]["publish_run_summary"]["xcom"]
        feed = harness.raw_events("feed_actions", day(summary["day"]))
        assert summary["rows"]["fact_daily_feed"] == len({event["user_id"] for event in feed}) > 0


@pytest.fixture(scope="module")
def refusals(harness, backfills):
    """Runs that must fail before writing anything, with retries on (and no delay)."""
    before = harness.checksums()
    bad_days = harness.dag_runs(
        logical_date_loading(LAST_DAY + dt.timedelta(days=1)),  # no events yet
        "2099-01-01",                                          # the future
        logical_date_loading(FIRST_DAY - dt.timedelta(days=1)),  # before the data starts
        FEEDSTAR_DAG_RETRIES="2", FEEDSTAR_DAG_RETRY_DELAY_SECONDS="0")
    after_bad_days = harness.checksums()
    no_connection = harness.dag_runs(logical_date_loading(day("2025-03-05")),
                                     AIRFLOW_CONN_FEEDSTAR_CLICKHOUSE=None)
    after_no_connection = harness.checksums()
    return {"before": before, "bad_days": bad_days["runs"], "after_bad_days": after_bad_days,
            "no_connection": no_connection["runs"][0], "after_no_connection": after_no_connection}


def only_failure(run, task_id="check_source_arrival"):
    """The one FailureReport the notifier got, as a dict; the run failed in `task_id`, a check."""
    assert run["state"] == "failed"
    assert run["tasks"][task_id]["state"] == "failed"
    assert run["tasks"]["dbt_build"]["state"] == "upstream_failed"
    assert len(run["failures"]) == 1
    assert run["failures"][0]["task_id"] == task_id
    return run["failures"][0]


def test_day_without_events_fails_clearly_after_its_retries(refusals):
    run = refusals["bad_days"][0]
    report = only_failure(run)
    assert report["day"] == "2025-03-08" and report["task_id"] == "check_source_arrival"
    assert report["error"].startswith("the events of 2025-03-08 have not arrived: no rows on 2025-03-08 in "
                                      "product.feed_actions and product.message_actions")
    # retries=2: the check ran three times (waiting for late data), then gave up
    assert run["tasks"]["check_source_arrival"]["tries"] == 3


def test_future_day_is_refused_without_retrying(refusals):
    run = refusals["bad_days"][1]
    # the first check refuses it (a freshness check of a day not over yet would say nothing)
    report = only_failure(run, "check_source_freshness")
    assert report["error"].startswith("refusing to load 2098-12-31: that day is not over yet")
    assert run["tasks"]["check_source_freshness"]["tries"] == 1


def test_day_before_the_data_is_refused_without_retrying(refusals):
    run = refusals["bad_days"][2]
    report = only_failure(run)
    assert report["error"] == "refusing to load 2025-02-28: it is before the data starts (first event day 2025-03-01)"
    assert run["tasks"]["check_source_arrival"]["tries"] == 1


def test_missing_connection_is_refused_by_name(refusals):
    report = only_failure(refusals["no_connection"])
    assert report["error"].startswith("Airflow connection 'feedstar_clickhouse' is not defined")
    assert "AIRFLOW_CONN_FEEDSTAR_CLICKHOUSE" in report["error"]


def test_refused_runs_write_nothing(refusals):
    assert refusals["after_bad_days"] == refusals["before"]
    assert refusals["after_no_connection"] == refusals["before"]


@pytest.fixture(scope="module")
def stale_run(harness, refusals):
    """The run loading yesterday (not a backfill) while the sources end on 2025-03-07."""
    before = harness.checksums()
    today = dt.datetime.now(dt.timezone.utc).date()
    outcome = harness.dag_runs(today.isoformat(), FEEDSTAR_DAG_RETRIES="2", FEEDSTAR_DAG_RETRY_DELAY_SECONDS="0")
    return {"run": outcome["runs"][0], "log": outcome["log"], "before": before, "after": harness.checksums(),
            "yesterday": today - dt.timedelta(days=1)}


def test_stale_sources_fail_the_current_run_at_once_naming_the_tables(stale_run):
    run = stale_run["run"]
    report = only_failure(run, "check_source_freshness")
    assert run["tasks"]["check_source_arrival"]["state"] == "upstream_failed"
    assert report["day"] == stale_run["yesterday"].isoformat()
    # the generated events end on 2025-03-07 (LAST_DAY): far beyond the 72 hours of models/sources.yml
    assert report["error"].startswith("stale source data, nothing was loaded: product.feed_actions is stale: "
                                      "its newest event is from 2025-03-07 ")
    assert "product.message_actions is stale" in report["error"] and "(error after 72 hours)" in report["error"]
    # retrying cannot bring the data back: refused on the first try despite retries=2
    assert run["tasks"]["check_source_freshness"]["tries"] == 1
    assert stale_run["after"] == stale_run["before"]


BROKEN_PROJECT = {
    "dbt_project.yml": "name: broken\nversion: '0.1.0'\nconfig-version: 2\nprofile: feedstar\n",
    "models/broken_model.sql": "{{ config(materialized='table', order_by='x') }} select no_such_column as x "
                               "from system.one",
}


def test_failing_model_is_named_to_the_notifier_and_nothing_else_changes(harness, tmp_path):
    for name, text in BROKEN_PROJECT.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    before = harness.checksums()
    outcome = harness.dag_runs(logical_date_loading(day("2025-03-05")), FEEDSTAR_DBT_PROJECT_DIR=str(tmp_path),
                               FEEDSTAR_DBT_PROFILES_DIR=dbt_profiles_dir())  # the tests' profile
    run = outcome["runs"][0]
    assert run["state"] == "failed"
    assert run["tasks"]["dbt_build"]["state"] == "failed"
    [report] = run["failures"]
    assert report["task_id"] == "dbt_build" and report["day"] == "2025-03-05"
    assert [node.split(" ")[0] for node in report["failed_nodes"]] == ["model.broken.broken_model"]
    assert "no_such_column" in report["failed_nodes"][0]
    # the callback's log line names the model first
    assert "feedstar daily load of 2025-03-05 failed in dbt node model.broken.broken_model (error)" in outcome["log"]
    assert harness.checksums() == before


@pytest.fixture(scope="module")
def report_runs(harness, backfills):
    """The day 03-07 (loaded by `backfills`) run again with a webhook as the report's target."""
    from webhook import Webhook

    hook = Webhook(fail_first=1)
    dead = Webhook(fail_first=10**6)
    try:
        env = {"FEEDSTAR_NOTIFY_URLS": hook.url, "FEEDSTAR_REPORT_RETRIES": "2",
               "FEEDSTAR_REPORT_RETRY_DELAY_SECONDS": "0"}
        date = logical_date_loading(LAST_DAY)
        first_and_again = harness.dag_runs(date, date, **env)   # a run, then a re-run of the same date
        after_first = list(hook.posts)
        forced = harness.dag_runs(date, **env, FEEDSTAR_REPORT_FORCE="true")
        before_dead = harness.checksums()
        failing = harness.dag_runs(date, **{**env, "FEEDSTAR_NOTIFY_URLS": dead.url, "FEEDSTAR_REPORT_RETRIES": "1"})
        return {"runs": first_and_again["runs"], "log": first_and_again["log"], "after_first": after_first,
                "forced": forced["runs"][0], "posts": list(hook.posts), "failing": failing["runs"][0],
                "dead_posts": len(dead.posts), "before_dead": before_dead, "after_dead": harness.checksums()}
    finally:
        hook.close()
        dead.close()


def test_report_is_delivered_after_one_retry_then_not_again(report_runs):
    first, again = report_runs["runs"]
    assert first["state"] == "success", report_runs["log"][-3000:]
    task = first["tasks"]["send_daily_report"]
    # the webhook refused the first post: the task failed, was retried, and delivered
    assert task["state"] == "success" and task["tries"] == 2
    assert [post.status for post in report_runs["after_first"]] == [500, 200]
    delivered = report_runs["after_first"][1]
    assert delivered.title == "feedstar morning report — Fri 07 Mar 2025"
    assert "- **DAU** " in delivered.message and set(delivered.attachments) == {"dau.png", "ctr_by_os.png",
                                                                                "messenger.png"}
    assert all(content[:8] == b"\x89PNG\r\n\x1a\n" for content in delivered.attachments.values())
    # the re-run of the same date loads again but does not send again
    assert again["state"] == "success"
    assert again["tasks"]["send_daily_report"]["xcom"]["sent"] == []
    assert len(again["tasks"]["send_daily_report"]["xcom"]["already_sent"]) == 1


def test_forced_rerun_sends_the_report_again(report_runs):
    assert report_runs["forced"]["tasks"]["send_daily_report"]["state"] == "success"
    assert [post.status for post in report_runs["posts"]] == [500, 200, 200]


def test_failing_delivery_fails_only_its_task_after_its_retries_and_the_load_stands(report_runs):
    run = report_runs["failing"]
    tasks = run["tasks"]
    assert tasks["send_daily_report"]["state"] == "failed" and tasks["send_daily_report"]["tries"] == 2
    assert report_runs["dead_posts"] == 2
    assert (tasks["dbt_build"]["state"], tasks["publish_run_summary"]["state"]) == ("success", "success")
    assert report_runs["after_dead"] == report_runs["before_dead"]
