"""The daily DAG's helpers that need no server: day derivation, refusals, dbt command and
records, the summary table, the notifier.  The DAG itself is exercised in test_dag_runs.py."""

import datetime as dt
import json

import pytest

from feedstar import settings
from feedstar.chclient import Connection
from feedstar.orchestration.daily_load import project_lookback_days
from feedstar.orchestration.dbt_build import DbtCommand, built_tables, failed_nodes, status_counts
from feedstar.orchestration.days import (
    LoadRefused, day_to_load, refuse_day_before_data, refuse_unfinished_day,
)
from feedstar.orchestration.notify import FailureReport, load_notifier, report_from_context
from feedstar.orchestration.summary import format_summary

UTC = dt.timezone.utc


def at(text):
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- which day a run loads -------------------------------------------------------------

def test_scheduled_run_firing_at_0300_loads_the_previous_day():
    # CronTriggerTimetable("0 3 * * *", interval=1 day): the run firing 2025-03-10 03:00
    # has the interval [03-09 03:00, 03-10 03:00) -> it loads 2025-03-09.
    assert day_to_load(at("2025-03-09T03:00"), at("2025-03-10T03:00"), at("2025-03-10T03:00")) == dt.date(2025, 3, 9)


def test_manual_run_at_midnight_loads_the_day_before():
    # dag.test(logical_date=2025-03-10) gets the interval [03-09 00:00, 03-10 00:00).
    assert day_to_load(at("2025-03-09T00:00"), at("2025-03-10T00:00"), None) == dt.date(2025, 3, 9)


def test_run_without_interval_uses_logical_date_then_run_after():
    assert day_to_load(None, at("2025-03-10T03:00"), at("2025-04-01T00:00")) == dt.date(2025, 3, 9)
    assert day_to_load(None, None, at("2025-04-01T05:00")) == dt.date(2025, 3, 31)


def test_interval_start_in_another_timezone_is_read_in_utc():
    # 2025-03-09 23:30 at UTC-2 is 2025-03-10 01:30 UTC.
    minus_two = dt.timezone(dt.timedelta(hours=-2))
    start = dt.datetime(2025, 3, 9, 23, 30, tzinfo=minus_two)
    assert day_to_load(start, None, None) == dt.date(2025, 3, 10)


def test_run_with_no_dates_at_all_is_refused():
    with pytest.raises(LoadRefused, match="cannot tell which day to load"):
        day_to_load(None, None, None)


# --- refusals ----------------------------------------------------------------------------

def test_today_and_later_are_refused_yesterday_is_not():
    today = dt.date(2025, 3, 10)
    refuse_unfinished_day(dt.date(2025, 3, 9), today)  # yesterday: complete, loadable
    for day in (today, dt.date(2099, 1, 1)):
        with pytest.raises(LoadRefused, match=f"refusing to load {day}: that day is not over yet"):
            refuse_unfinished_day(day, today)


def test_day_before_first_event_is_refused_first_day_is_not():
    refuse_day_before_data(dt.date(2025, 3, 1), dt.date(2025, 3, 1))
    with pytest.raises(LoadRefused, match=r"before the data starts \(first event day 2025-03-01\)"):
        refuse_day_before_data(dt.date(2025, 2, 28), dt.date(2025, 3, 1))
    with pytest.raises(LoadRefused, match="the source tables hold no events at all"):
        refuse_day_before_data(dt.date(2025, 2, 28), None)


# --- settings ----------------------------------------------------------------------------

def test_settings_fall_back_to_defaults_and_reject_bad_values(monkeypatch):
    monkeypatch.delenv("FEEDSTAR_DAG_RETRIES", raising=False)
    assert settings.setting_int("retries") == 3
    monkeypatch.setenv("FEEDSTAR_DAG_RETRIES", "three")
    with pytest.raises(ValueError, match="FEEDSTAR_DAG_RETRIES='three' is not an integer"):
        settings.setting_int("retries")
    monkeypatch.setenv("FEEDSTAR_DAG_CATCHUP", "maybe")
    with pytest.raises(ValueError, match="FEEDSTAR_DAG_CATCHUP='maybe' is not a boolean"):
        settings.setting_bool("catchup")
    monkeypatch.setenv("FEEDSTAR_DAG_CATCHUP", "True")
    assert settings.setting_bool("catchup") is True


# --- connection and dbt command ----------------------------------------------------------

def test_dbt_env_is_the_settings_family_profiles_yml_reads():
    target = Connection("ch.example", 8443, "loader", "p@ss:w/rd", "warehouse", True)
    assert target.dbt_env() == {
        "FEEDSTAR_CH_HOST": "ch.example", "FEEDSTAR_CH_PORT": "8443", "FEEDSTAR_CH_SECURE": "true",
        "FEEDSTAR_CH_USER": "loader", "FEEDSTAR_CH_PASSWORD": "p@ss:w/rd", "FEEDSTAR_CH_DATABASE": "warehouse"}
    with open(settings.dbt_project_dir() + "/profiles.yml.example") as profiles:
        text = profiles.read()
    assert all(f"env_var('{name}'" in text for name in target.dbt_env())
    assert "p@ss" not in repr(target) and target.redacted() == "https://loader:***@ch.example:8443/warehouse"


def test_dbt_command_loads_exactly_one_day_with_its_own_target_path(tmp_path):
    command = DbtCommand("/bin/dbt", "/proj", "/profiles", "local", str(tmp_path))
    argv = command.argv(dt.date(2025, 3, 9))
    assert argv[:2] == ["/bin/dbt", "build"]
    assert json.loads(argv[argv.index("--vars") + 1]) == {"start_date": "2025-03-09", "end_date": "2025-03-09"}
    assert argv[argv.index("--target-path") + 1] == str(tmp_path)
    assert argv[argv.index("--exclude-resource-type") + 1] == "unit_test"
    assert argv[argv.index("--exclude") + 1] == "tag:intraday"  # the 15-minute models have their own DAG
    assert command.run_results_path == tmp_path / "run_results.json"


def test_dbt_command_takes_the_window_of_a_load_plan(tmp_path):
    command = DbtCommand("/bin/dbt", "/proj", "/profiles", "local", str(tmp_path))
    window = {"start_date": "2025-03-08", "end_date": "2025-03-09", "lookback_days": 0}
    argv = command.argv(dt.date(2025, 3, 9), window)
    assert json.loads(argv[argv.index("--vars") + 1]) == window


@pytest.mark.parametrize("project_vars, expected", [
    ("vars:\n  lookback_days: 5\n", 5),
    ("vars:\n  lookback_days: 0\n", 0),
    ("vars:\n  start_date: null\n", 3),  # unset: the macros' default
    ("", 3),
])
def test_the_lookback_comes_from_the_project(tmp_path, monkeypatch, project_vars, expected):
    (tmp_path / "dbt_project.yml").write_text("name: p\nversion: '1'\n" + project_vars)
    monkeypatch.setenv("FEEDSTAR_DBT_PROJECT_DIR", str(tmp_path))
    assert project_lookback_days() == expected


@pytest.mark.parametrize("bad", ["-1", "three", "true", "2.5"])
def test_a_bad_lookback_in_the_project_is_refused_by_name(tmp_path, monkeypatch, bad):
    (tmp_path / "dbt_project.yml").write_text(f"name: p\nvars:\n  lookback_days: {bad}\n")
    monkeypatch.setenv("FEEDSTAR_DBT_PROJECT_DIR", str(tmp_path))
    with pytest.raises(LoadRefused, match="vars.lookback_days = .* is not a whole number of days >= 0"):
        project_lookback_days()


def write_run_results(path, results):
    path.write_text(json.dumps({"metadata": {}, "results": results}))


def test_failed_nodes_are_errors_and_failing_tests_only(tmp_path):
    path = tmp_path / "run_results.json"
    write_run_results(path, [
        {"unique_id": "model.feedstar.stg_feed_actions", "status": "success", "message": "OK"},
        {"unique_id": "model.feedstar.fact_daily_feed", "status": "error",
         "message": "Database Error\n  Code: 47.\n  Unknown identifier"},
        {"unique_id": "test.feedstar.not_null_x", "status": "fail", "message": "Got 2 results"},
        {"unique_id": "model.feedstar.agg_retention", "status": "skipped", "message": None},
    ])
    failures = failed_nodes(path)
    assert [failure.unique_id for failure in failures] == ["model.feedstar.fact_daily_feed", "test.feedstar.not_null_x"]
    # dbt's multi-line message becomes one line for logs and notifiers
    assert str(failures[0]) == "model.feedstar.fact_daily_feed (error): Database Error Code: 47. Unknown identifier"
    assert status_counts(path) == {"success": 1, "error": 1, "fail": 1, "skipped": 1}


def test_missing_or_broken_run_results_blame_nobody(tmp_path):
    assert failed_nodes(tmp_path / "absent.json") == []
    (tmp_path / "broken.json").write_text("{not json")
    assert failed_nodes(tmp_path / "broken.json") == []


def test_built_tables_skip_views_ephemerals_tests_seeds_and_what_the_run_did_not_select(tmp_path):
    manifest = {"nodes": {
        "model.f.stg": {"resource_type": "model", "config": {"materialized": "view"}, "schema": "a", "name": "stg"},
        "model.f.eph": {"resource_type": "model", "config": {"materialized": "ephemeral"}, "schema": "a", "name": "eph"},
        "model.f.fact": {"resource_type": "model", "config": {"materialized": "incremental"}, "schema": "a",
                         "name": "fact", "alias": "fact"},
        "snapshot.f.snap": {"resource_type": "snapshot", "config": {"materialized": "snapshot"}, "schema": "s",
                            "name": "snap", "alias": "users_snapshot"},
        "test.f.t": {"resource_type": "test", "config": {"materialized": "test"}, "schema": "a", "name": "t"},
        "seed.f.s": {"resource_type": "seed", "config": {"materialized": "seed"}, "schema": "a", "name": "s"},
        "model.f.intraday": {"resource_type": "model", "config": {"materialized": "incremental"}, "schema": "a",
                             "name": "intraday"},  # in the project, not selected by this run
    }}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    ran = ["model.f.stg", "model.f.eph", "model.f.fact", "snapshot.f.snap", "test.f.t", "seed.f.s"]
    (tmp_path / "run_results.json").write_text(json.dumps({"results": [{"unique_id": node} for node in ran]}))
    assert built_tables(tmp_path / "manifest.json", tmp_path / "run_results.json") == [
        ("a", "fact"), ("s", "users_snapshot")]


# --- summary and notifier ----------------------------------------------------------------

def test_summary_table_names_scope_of_each_count():
    text = format_summary(dt.date(2025, 3, 9), {
        "fact_daily_feed": {"rows": 18250, "scope": "2025-03-09"},
        "dim_users": {"rows": 120001, "scope": "all rows"},
    })
    assert text.splitlines() == [
        "run summary for 2025-03-09 (rows per table):",
        "  fact_daily_feed        18,250  (2025-03-09)",
        "  dim_users             120,001  (all rows)",
    ]


def test_notifier_spec_must_name_an_existing_callable():
    assert load_notifier("feedstar.orchestration.notify:log_report").__name__ == "log_report"
    for spec, reason in [("no_colon", "not of the form"), ("feedstar.nope:x", "cannot be loaded"),
                         ("feedstar.orchestration.notify:nope", "cannot be loaded")]:
        with pytest.raises(ValueError, match=reason):
            load_notifier(spec)


class FakeTaskInstance:  # the two attributes the callback reads from Airflow's TaskInstance
    def __init__(self, task_id):
        self.task_id = task_id


class FakeDagRun:
    dag_id, run_id, run_after = "feedstar_daily", "scheduled__2025-03-10T03:00:00+00:00", None


def test_failure_report_names_the_failing_model_only_for_the_dbt_task(tmp_path):
    path = tmp_path / "run_results.json"
    write_run_results(path, [{"unique_id": "model.feedstar.fact_daily_feed", "status": "error", "message": "boom"}])
    context = {"dag_run": FakeDagRun(), "data_interval_start": at("2025-03-09T03:00"),
               "logical_date": at("2025-03-10T03:00"), "exception": RuntimeError("dbt build for 2025-03-09 failed")}
    report = report_from_context({**context, "ti": FakeTaskInstance("dbt_build")}, path)
    assert report == FailureReport("feedstar_daily", FakeDagRun.run_id, "dbt_build", "2025-03-09",
                                   "dbt build for 2025-03-09 failed",
                                   ["model.feedstar.fact_daily_feed (error): boom"])
    assert report.headline().startswith("feedstar daily load of 2025-03-09 failed in dbt node model.feedstar.fact_daily_feed")
    # An arrival failure is not explained by an old run_results.json lying around.
    other = report_from_context({**context, "ti": FakeTaskInstance("check_source_arrival")}, path)
    assert other.failed_nodes == [] and "task check_source_arrival" in other.headline()


def test_identifiers_are_backquoted_with_escapes():
    from feedstar.orchestration.arrival import quote_identifier

    assert quote_identifier("product") == "`product`"
    # a backtick or backslash in a name cannot end the identifier early
    assert quote_identifier("we`ird\\name") == "`we\\`ird\\\\name`"


# --- source freshness: dbt's verdict per source table ------------------------------------
def freshness_result(table, status, hours=10.0, newest="2025-03-09T23:59:00Z"):
    # the fields of a sources.json result the check reads (dbt 1.11's artifact)
    return {"unique_id": f"source.feedstar.product.{table}", "status": status, "max_loaded_at": newest,
            "max_loaded_at_time_ago_in_s": hours * 3600,
            "criteria": {"warn_after": {"count": 36, "period": "hour"}, "error_after": {"count": 72, "period": "hour"}}}


def test_freshness_warnings_are_logged_and_the_run_goes_on(caplog):
    import logging

    from feedstar.orchestration.freshness import judge

    log = logging.getLogger("test")
    statuses = judge([freshness_result("message_actions", "warn", 40.0), freshness_result("feed_actions", "pass")],
                     "src", log)
    assert statuses == {"src.feed_actions": "pass", "src.message_actions": "warn"}
    assert "source src.message_actions is getting stale: its newest event is from 2025-03-09 23:59:00, " \
           "40.0 hours before the check (error after 72 hours)" in caplog.text


def test_a_stale_source_is_a_final_refusal_and_a_failed_query_a_retryable_failure():
    import logging

    from feedstar.orchestration.freshness import FreshnessCheckFailed, SourceStale, judge

    log = logging.getLogger("test")
    with pytest.raises(SourceStale, match=r"^stale source data, nothing was loaded: src.feed_actions is stale: "
                                          r"its newest event is from 2025-03-09 23:59:00, 80.0 hours before"):
        judge([freshness_result("feed_actions", "error", 80.0), freshness_result("message_actions", "pass")], "src", log)
    assert issubclass(SourceStale, LoadRefused)  # the DAG fails a LoadRefused without retrying
    broken = freshness_result("feed_actions", "runtime error")
    broken["error"] = "Code: 60. DB::Exception: Unknown table"
    with pytest.raises(FreshnessCheckFailed, match="could not check src.feed_actions: Code: 60"):
        judge([broken], "src", log)
    assert not issubclass(FreshnessCheckFailed, LoadRefused)
