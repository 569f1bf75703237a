"""The daily load's plan (feedstar/orchestration/load_plan.py) against real source tables.

Each test builds small product tables in its own database, records a plan for day D-1 as
the DAG would, changes the sources the way a product database does (a late event, a
DELETE, a dropped day, a merge) and checks which days the plan for D rebuilds.  D is
2025-03-10 and lookback_days 3, so the lookback days are 03-07..03-09."""

import datetime as dt
import itertools

import pytest

from feedstar.orchestration.load_plan import plan_load

D = dt.date(2025, 3, 10)
LOOKBACK = 3
DAYS = [dt.date(2025, 3, 5) + dt.timedelta(days=i) for i in range(6)]  # 03-05..03-10
_databases = itertools.count()


@pytest.fixture
def sources(endpoint):
    """A database holding feed_actions and message_actions as the generator makes them,
    with two events a day on 03-05..03-10, each day inserted on its own."""
    client = endpoint.client()
    database = f"plan_sources_{next(_databases)}"
    client.command(f"create database {database}")
    client.command(f"create table {database}.feed_actions (user_id UInt32, post_id UInt32, action String, "
                   "time DateTime) engine = MergeTree partition by toDate(time) order by (toDate(time), user_id, time)")
    client.command(f"create table {database}.message_actions (user_id UInt32, receiver_id UInt32, time DateTime) "
                   "engine = MergeTree partition by toDate(time) order by (toDate(time), user_id, time)")
    for day in DAYS:
        at = dt.datetime.combine(day, dt.time(12))
        client.insert(f"{database}.feed_actions", [[1, 10, "view", at], [2, 10, "like", at]],
                      column_names=["user_id", "post_id", "action", "time"])
        client.insert(f"{database}.message_actions", [[1, 2, at]], column_names=["user_id", "receiver_id", "time"])
    yield client, database
    client.command(f"drop database {database} sync")


def previous_load(client, database, day=D - dt.timedelta(days=1), lookback=LOOKBACK):
    """The plan the DAG recorded for the load of `day`, as XCom hands it to the next run."""
    return plan_load(client, database, day, lookback, None).as_xcom()


def test_first_load_rebuilds_the_whole_lookback(sources):
    client, database = sources
    plan = plan_load(client, database, D, LOOKBACK, None)
    assert plan.start == dt.date(2025, 3, 7)
    assert plan.dbt_vars() == {"start_date": "2025-03-07", "end_date": "2025-03-10", "lookback_days": 0}
    assert "no previous load" in plan.reason


def test_unchanged_lookback_days_are_not_rebuilt(sources):
    client, database = sources
    previous = previous_load(client, database)
    plan = plan_load(client, database, D, LOOKBACK, previous)
    assert plan.start == D
    assert plan.dbt_vars() == {"start_date": "2025-03-10", "end_date": "2025-03-10", "lookback_days": 0}
    # the new plan records its own days for the next load: 03-07..03-10, one part each
    assert sorted(plan.fingerprints["feed_actions"]) == ["2025-03-07", "2025-03-08", "2025-03-09", "2025-03-10"]
    assert plan.fingerprints["feed_actions"]["2025-03-08"][0] == 2  # its two rows


# (what happens to the sources, the day it changes, whether only that day changes)
SOURCE_CHANGES = {
    "a late event": (
        "insert into {db}.message_actions values (3, 1, '2025-03-08 23:59:59')", dt.date(2025, 3, 8), True),
    "a dropped day": (
        "alter table {db}.feed_actions drop partition '2025-03-09'", dt.date(2025, 3, 9), True),
    # a mutation keeps the rows' block numbers but gives the parts it rewrote a new data
    # version; it may rewrite other days' parts too, which are then rebuilt as well
    "a deleted row": (
        "alter table {db}.feed_actions delete where user_id = 2 and toDate(time) = '2025-03-08' "
        "settings mutations_sync = 2", dt.date(2025, 3, 8), False),
    # the row is only masked (its part keeps its row count) until a merge
    "a lightweight delete": (
        "delete from {db}.message_actions where toDate(time) = '2025-03-09'", dt.date(2025, 3, 9), False),
}


@pytest.mark.parametrize("change", SOURCE_CHANGES)
def test_a_changed_source_day_is_rebuilt(sources, change):
    client, database = sources
    statement, changed_day, only_that_day = SOURCE_CHANGES[change]
    previous = previous_load(client, database)
    client.command(statement.format(db=database))
    plan = plan_load(client, database, D, LOOKBACK, previous)
    if only_that_day:
        assert plan.start == changed_day
        assert plan.reason == f"source rows of {changed_day} changed since the load of 2025-03-09"
    else:
        assert dt.date(2025, 3, 7) <= plan.start <= changed_day
        assert str(changed_day) in plan.reason


def test_a_merge_changes_nothing(sources):
    client, database = sources
    # two parts on 03-08 before the previous load, merged into one after it
    client.insert(f"{database}.feed_actions", [[4, 11, "view", dt.datetime(2025, 3, 8, 13)]],
                  column_names=["user_id", "post_id", "action", "time"])
    previous = previous_load(client, database)
    client.command(f"optimize table {database}.feed_actions partition '2025-03-08' final")
    parts = client.query(f"select count() from system.parts where database = '{database}' "
                         "and table = 'feed_actions' and partition = '2025-03-08' and active").result_rows[0][0]
    assert parts == 1
    assert plan_load(client, database, D, LOOKBACK, previous).start == D


@pytest.mark.parametrize("change, why", [
    ({"day": "2025-03-08"}, "the previous load recorded was of 2025-03-08, not of the day before"),
    ({"day": "2025-03-10"}, "the previous load recorded was of 2025-03-10"),  # the same day again
    ({"source_database": "elsewhere"}, "the previous load read elsewhere"),
    ({"lookback_days": 1}, "the previous load covered the days from 2025-03-08 only"),
    ({"fingerprints": None}, "no previous load recorded its source fingerprints"),
])
def test_a_previous_load_that_cannot_vouch_means_the_whole_lookback(sources, change, why):
    client, database = sources
    previous = {**previous_load(client, database), **change}
    plan = plan_load(client, database, D, LOOKBACK, previous)
    assert plan.start == dt.date(2025, 3, 7)
    assert why in plan.reason


def test_sources_not_partitioned_by_day_mean_the_whole_lookback(sources):
    client, database = sources
    previous = previous_load(client, database)
    client.command(f"create table {database}.monthly as {database}.message_actions "
                   "engine = MergeTree partition by toYYYYMM(time) order by time")
    client.command(f"insert into {database}.monthly select * from {database}.message_actions")
    client.command(f"exchange tables {database}.monthly and {database}.message_actions")
    plan = plan_load(client, database, D, LOOKBACK, previous)
    assert plan.start == dt.date(2025, 3, 7) and plan.fingerprints is None
    assert "not MergeTree tables partitioned by toDate(time)" in plan.reason
