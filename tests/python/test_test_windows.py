"""The data tests of the date-partitioned models read only what a load rewrote, through dbt's
`where` config (models' YAML): the days [start_date - lookback_days, end_date] for the star
and the staging tables loaded by day, and for each dashboard mart the whole weeks its load
rebuilds (docs/marts.md, "What a load rebuilds"), and for the product tables (dbt sources)
the days the load reads. With no window they read everything.

Checked on the manifest dbt writes (every test of those models has the window, and the window
selects exactly the expected dates, computed here by hand from the docs' table), on the
singular tests' marts_test_window (the same dates) and on a
built warehouse: a duplicated row planted just outside the window is not reported by a
windowed `dbt test`, one just inside is, and an unwindowed run reports both."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from marts_support import dbt, generate

pytestmark = pytest.mark.slow

START, END, LOOKBACK = dt.date(2025, 3, 12), dt.date(2025, 3, 13), 3
WINDOW_VARS = f"{{start_date: {START}, end_date: {END}, lookback_days: {LOOKBACK}}}"
DAY = dt.timedelta(days=1)


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def days(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """[start - lookback, end]: what a load of a model partitioned by day rewrites."""
    return start - LOOKBACK * DAY, end


def weeks(before: int, after: int) -> tuple[dt.date, dt.date]:
    """The whole weeks of [start - lookback - before, end + after] (docs/marts.md's table)."""
    return monday(START - (LOOKBACK + before) * DAY), monday(END + after * DAY) + 6 * DAY


# model: (its partition date column, the first and last date a load of [START, END] rewrites)
EXPECTED = {
    **{model: ("date", *days(START, END)) for model in (
        "fact_daily_feed", "fact_daily_posts", "fact_daily_messenger", "fact_user_connections",
        "int_user_daily_attributes")},
    "stg_source_duplicates": ("event_date", *days(START, END)),
    "stg_source_quality": ("event_date", *days(START, END)),
    "int_user_daily_activity": ("date", *days(START, END)),
    "int_active_user_states": ("date", *days(START, END)),
    # partitioned by month: every month [start - lookback, end] touches, as its first day
    "int_user_monthly_attributes": ("month", dt.date(2025, 3, 1), dt.date(2025, 3, 1)),
    **{model: ("date", *weeks(0, 0)) for model in (
        "agg_engagement_daily", "agg_top_posts_daily", "agg_experiment_daily",
        "agg_experiment_users_daily")},
    "agg_experiment_users_30d": ("end_date", *weeks(0, 29)),
    **{model: ("date", *weeks(0, 7)) for model in (
        "agg_app_daily_activity", "agg_feed_daily_activity", "agg_messenger_daily_activity")},
    "agg_active_users": ("date", *weeks(0, 29)),
    "agg_retention": ("cohort_start", *weeks(36, 0)),
    "agg_lifecycle": ("period_start", *weeks(0, 7)),
}


def test_the_hand_computed_windows():
    # 2025-03-12 is a Wednesday: the load rewrites 03-09 (Sunday) .. 03-13, weeks from 03-03
    assert days(START, END) == (dt.date(2025, 3, 9), dt.date(2025, 3, 13))
    assert weeks(0, 0) == (dt.date(2025, 3, 3), dt.date(2025, 3, 16))
    assert weeks(36, 0) == (dt.date(2025, 1, 27), dt.date(2025, 3, 16))
    assert weeks(0, 29) == (dt.date(2025, 3, 3), dt.date(2025, 4, 13))


def generic_tests(work, endpoint, *vars_args) -> dict[str, list[dict]]:
    """The generic data tests dbt parses, by the model they test."""
    dbt(endpoint, work, "parse", *vars_args)
    return data_tests_by_model(json.loads((work / "target" / "manifest.json").read_text()))


def partitioned_models(manifest: dict) -> set[str]:
    """The date-partitioned models of the daily build (the 15-minute models have their own;
    int_user_closed_history is one partition, `tuple()`, replaced whole: no date window)."""
    return {node["name"] for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["config"].get("partition_by") not in (None, "tuple()")
            and "intraday" not in node["tags"]}


def data_tests_by_model(manifest: dict) -> dict[str, list[dict]]:
    by_model: dict[str, list[dict]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test" and node.get("attached_node"):
            model = node["attached_node"].split(".")[-1]
            by_model.setdefault(model, []).append(node)
    return by_model


def test_every_test_of_a_partitioned_model_reads_exactly_the_window(endpoint, tmp_path):
    client = endpoint.client()
    tests = generic_tests(tmp_path, endpoint, "--vars", WINDOW_VARS)
    # a new partitioned model must come with its window here (and in its YAML)
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    assert partitioned_models(manifest) <= set(EXPECTED), partitioned_models(manifest) - set(EXPECTED)
    for model, (column, first, last) in EXPECTED.items():
        assert tests.get(model), f"{model} has no data test"
        for node in tests[model]:
            where = node["config"].get("where")
            assert where, f"{node['name']} reads all of {model} in a windowed run"
            # the predicate over every date of two years: which ones does it keep?
            kept = client.query(
                f"select min({column}), max({column}), count() from "
                f"(select toDate('2024-06-01') + number as {column} from numbers(730)) where {where}").result_rows[0]
            assert kept == (first, last, (last - first).days + 1), (node["name"], where)


def source_tests(work) -> list[dict]:
    """The generic data tests of the product tables (dbt sources), from the last parse in `work`."""
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    return [node for node in manifest["nodes"].values()
            if node["resource_type"] == "test" and "test_metadata" in node
            and any(parent.startswith("source.") for parent in node["depends_on"]["nodes"])]


def test_every_source_test_reads_the_days_the_load_reads(endpoint, tmp_path):
    # The product tables hold all of history: an unwindowed source test would scan it on
    # every daily run.  A load of [START, END] reads the events of [START - lookback, END].
    client = endpoint.client()
    generic_tests(tmp_path, endpoint, "--vars", WINDOW_VARS)
    tests = source_tests(tmp_path)
    assert {node["column_name"] for node in tests} >= {"user_id", "post_id", "action", "time", "receiver_id"}
    first, last = days(START, END)
    for node in tests:
        where = node["config"].get("where")
        assert where, f"{node['name']} reads all of the source in a windowed run"
        # every second-of-day boundary of two years of events: which days does it keep?
        kept = client.query(
            "select min(toDate(time)), max(toDate(time)), uniqExact(toDate(time)) from "
            "(select toDateTime(toDate('2024-06-01') + intDiv(number, 2)) + (number % 2) * 86399 as time "
            f"from numbers(1460)) where {where}").result_rows[0]
        assert kept == (first, last, (last - first).days + 1), (node["name"], where)


def test_without_a_window_every_test_reads_everything(endpoint, tmp_path):
    tests = generic_tests(tmp_path, endpoint)
    for model in EXPECTED:
        for node in tests[model]:
            assert not node["config"].get("where"), (node["name"], node["config"]["where"])
    for node in source_tests(tmp_path):
        assert not node["config"].get("where"), (node["name"], node["config"]["where"])


# The singular tests that read a mart through marts_test_window (macros/test_window.sql)
SINGULAR = {
    "app_service_mix_adds_up": "agg_app_daily_activity",
    "active_users_windows_nest": "agg_active_users",
    "retention_day_0_is_the_cohort": "agg_retention",
    "lifecycle_new_users_are_first_seen_that_day": "agg_lifecycle",
}
RENDERED_WINDOW = re.compile(r"between toMonday\(toDate\('([0-9-]{10})'\) - ([0-9]+)\)\s+"
                             r"and toMonday\(toDate\('([0-9-]{10})'\) \+ ([0-9]+)\) \+ 6")


def test_the_singular_tests_read_the_same_weeks(endpoint, tmp_path):
    dbt(endpoint, tmp_path, "compile", "--select", *SINGULAR, "--vars", WINDOW_VARS)
    for test, mart in SINGULAR.items():
        sql = (tmp_path / "target" / "compiled" / "feedstar" / "tests" / "marts" / f"{test}.sql").read_text()
        windows = RENDERED_WINDOW.findall(sql)
        assert windows, f"{test} reads {mart} without the window"
        for start, before, end, after in windows:
            first = monday(dt.date.fromisoformat(start) - int(before) * DAY)
            last = monday(dt.date.fromisoformat(end) + int(after) * DAY) + 6 * DAY
            assert (first, last) == EXPECTED[mart][1:], (test, start, before, end, after)


# Planted rows: (table, date column, a date just outside the window, the nearest inside it).
PLANTED = [
    ("fact_daily_feed", "date", EXPECTED["fact_daily_feed"][1] - DAY, EXPECTED["fact_daily_feed"][1]),
    ("fact_daily_feed", "date", EXPECTED["fact_daily_feed"][2] + DAY, EXPECTED["fact_daily_feed"][2]),
    ("agg_retention", "cohort_start", EXPECTED["agg_retention"][1] - DAY, EXPECTED["agg_retention"][1]),
    ("agg_active_users", "date", EXPECTED["agg_active_users"][2] + DAY, EXPECTED["agg_active_users"][2]),
]


@pytest.fixture(scope="module")
def warehouse(endpoint, tmp_path_factory):
    work = tmp_path_factory.mktemp("windows")
    generate(endpoint, "--start", "2025-03-03", "--days", "14", "--scale", "0.01", "--seed", "3")
    dbt(endpoint, work, "run", "--select", "+agg_retention", "+agg_active_users")
    # windowed and unwindowed runs in their own target dirs: each keeps its partial parse
    # (a change of --vars makes dbt parse the whole project again)
    (work / "windowed").mkdir()
    (work / "everything").mkdir()
    return {"client": endpoint.client(), "work": work}


def plant_duplicate(client, table: str, column: str, day: dt.date) -> None:
    """Two copies of one row of `table`, dated `day`: a key the grain test must report."""
    for _ in range(2):
        client.command(f"insert into analytics.{table} select * replace (toDate('{day}') as {column}) "
                       f"from analytics.{table} limit 1")


def grain_test_fails(warehouse, endpoint, table: str, *vars_args) -> bool:
    """Runs `table`'s grain test (unique_combination_of_columns); True if it reports a row."""
    work = warehouse["work"] / ("windowed" if vars_args else "everything")
    dbt(endpoint, work, "test", "--select", f"test_name:unique_combination_of_columns,{table}", *vars_args,
        check=False)
    # the tests' results only (the project's on-run-start hook has one too)
    results = [result for result in json.loads((work / "target" / "run_results.json").read_text())["results"]
               if result["unique_id"].startswith("test.")]
    assert len(results) == 1 and results[0]["status"] in ("pass", "fail"), results
    return results[0]["status"] == "fail"


@pytest.mark.parametrize("table, column, outside, inside", PLANTED)
def test_a_windowed_run_reports_a_bad_row_inside_the_window_only(warehouse, endpoint, table, column,
                                                                  outside, inside):
    client = warehouse["client"]
    assert not grain_test_fails(warehouse, endpoint, table), "the warehouse fails its grain test already"
    snapshot = f"analytics.{table}_before_planting"
    client.command(f"create table {snapshot} as analytics.{table}")
    client.command(f"insert into {snapshot} select * from analytics.{table}")
    try:
        plant_duplicate(client, table, column, outside)
        assert not grain_test_fails(warehouse, endpoint, table, "--vars", WINDOW_VARS)
        assert grain_test_fails(warehouse, endpoint, table)
        plant_duplicate(client, table, column, inside)
        assert grain_test_fails(warehouse, endpoint, table, "--vars", WINDOW_VARS)
    finally:
        client.command(f"exchange tables {snapshot} and analytics.{table}")
        client.command(f"drop table {snapshot}")


def test_no_not_null_test_on_a_column_that_cannot_hold_null(endpoint, tmp_path):
    # A contracted column of a non-Nullable type cannot hold NULL: a not_null test on it could
    # never fail and would only cost a query per run (docs/contracts.md).
    generic_tests(tmp_path, endpoint)
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    needless = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or node.get("test_metadata", {}).get("name") != "not_null":
            continue
        model = manifest["nodes"].get(node.get("attached_node") or "")
        if not model or not model["config"].get("contract", {}).get("enforced"):
            continue
        data_type = model["columns"][node["column_name"]]["data_type"]
        if not data_type.startswith("Nullable("):
            needless.append(f"{model['name']}.{node['column_name']} ({data_type})")
    assert needless == []
