"""The star schema on a small generated data set (3 days): every fact agrees with the plain-Python
oracle, and a full build, a day-by-day load in date order, the same days shuffled, a re-run of
a day, and a run after late events all give the tables they should.

The tests share one endpoint and one full build (each dbt run costs seconds of CPU), through
fixtures: each runs alone (`pytest path::test`) or in any order.  A test that changes the
source or the warehouse puts the full build back before it ends.
"""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

import star_oracle as oracle
from star_support import (FEEDSTAR, drop_warehouse, insert_events, model_rows, raw, rows_as_dicts, run_dbt,
                          run_star, table_checksums, STAR_SELECTION)

START = dt.date(2025, 3, 1)
DAYS = [START + dt.timedelta(days=i) for i in range(3)]


@pytest.fixture(scope="module")
def warehouse(endpoint, tmp_path_factory):
    subprocess.run([FEEDSTAR, "generate", "--start", START.isoformat(), "--days", str(len(DAYS)),
                    "--scale", "0.02", "--seed", "11", "--url", endpoint.url, "--no-progress"],
                   check=True, capture_output=True, timeout=600)
    return endpoint, str(tmp_path_factory.mktemp("star_incremental"))


def full_build(endpoint, work):
    # dbt build = models + unit tests + data tests (grain, relationships, reconciliation)
    drop_warehouse(endpoint.client())
    run_dbt(endpoint, work, "build", "--select", *STAR_SELECTION, "--indirect-selection", "cautious")


@pytest.fixture(scope="module")
def built(warehouse):
    """The warehouse after a full build of the generated days, and its tables' checksums."""
    endpoint, work = warehouse
    full_build(endpoint, work)
    return endpoint, work, table_checksums(endpoint.client())


@pytest.fixture
def restored(built):
    """`built`, and after the test the full build again if the test changed the tables."""
    yield built
    endpoint, work, checksums = built
    if table_checksums(endpoint.client()) != checksums:
        full_build(endpoint, work)


def assert_facts_match_oracle(client):
    feed = oracle.clean_feed(raw(client, "feed_actions"))
    messages = oracle.clean_messages(raw(client, "message_actions"))
    assert len(feed) > 1000 and len(messages) > 50, "the generated data set is too small to prove much"
    oracle.compare(oracle.fact_daily_feed(feed), model_rows(client, "fact_daily_feed", ["date", "user_id"]),
                   "fact_daily_feed")
    oracle.compare(oracle.fact_daily_posts(feed), model_rows(client, "fact_daily_posts", ["date", "post_id"]),
                   "fact_daily_posts")
    oracle.compare(oracle.fact_daily_messenger(messages),
                   model_rows(client, "fact_daily_messenger", ["date", "user_id"]), "fact_daily_messenger")
    oracle.compare(oracle.fact_user_connections(messages),
                   model_rows(client, "fact_user_connections", ["date", "sender_id", "receiver_id"]),
                   "fact_user_connections")
    oracle.compare(oracle.dim_users(feed, messages), model_rows(client, "dim_users", ["user_id"]), "dim_users")


def test_full_build_passes_every_dbt_test_and_matches_the_oracle(built):
    endpoint, _, _ = built
    client = endpoint.client()
    assert_facts_match_oracle(client)
    dates = [row[0] for row in client.query("select date from analytics.dim_dates order by date").result_rows]
    assert dates == DAYS


# The seed's own definition of the gap averages (window functions), run on the same events.
SEED_GAPS = """
with user_actions as (
    select user_id, action, event_time as time,
        lagInFrame(time) over (partition by user_id, toDate(time), action order by time) as prev_time
    from analytics.stg_feed_actions
)
select toDate(time) as date, user_id,
    avgIf(time - prev_time, action = 'view' and prev_time != toDateTime(0)) as seed_views_gap,
    avgIf(time - prev_time, action = 'like' and prev_time != toDateTime(0)) as seed_likes_gap
from user_actions group by date, user_id
"""


def test_closed_form_gaps_equal_the_seed_lagInFrame_definition(built):
    endpoint, _, _ = built
    client = endpoint.client()
    seed = {(r["date"], r["user_id"]): r for r in rows_as_dicts(client, SEED_GAPS)}
    ours = model_rows(client, "fact_daily_feed", ["date", "user_id"])
    assert set(seed) == set(ours)
    compared = 0
    for key, row in ours.items():
        for mine, theirs in (("avg_time_between_views", "seed_views_gap"), ("avg_time_between_likes", "seed_likes_gap")):
            # the seed's avgIf over no gaps is nan; ours is NULL (documented)
            if row[mine] is None:
                assert seed[key][theirs] != seed[key][theirs], (key, mine)
            else:
                assert abs(row[mine] - seed[key][theirs]) <= 1e-9 * max(1.0, row[mine]), (key, mine)
                compared += 1
    assert compared > 100


def test_reloading_a_day_is_idempotent(restored):
    endpoint, work, full = restored
    run_star(endpoint, work, day=DAYS[-1])  # rebuilds the last day and its 3-day lookback
    assert table_checksums(endpoint.client()) == full


@pytest.mark.parametrize("order", [[0, 1, 2], [2, 0, 1]], ids=["in_order", "shuffled"])
def test_day_by_day_load_equals_full_build(restored, order):
    endpoint, work, full = restored
    drop_warehouse(endpoint.client())
    for index in order:
        # lookback 0: each run touches only its own day, so order really is tested
        run_star(endpoint, work, day=DAYS[index], lookback_days=0)
    assert table_checksums(endpoint.client()) == full


LATE_POST, LATE_RECEIVER = 999_999, 424_242


def test_late_events_within_the_lookback_are_reflected_by_the_next_run(restored):
    endpoint, work, _ = restored
    client = endpoint.client()
    late_day = DAYS[0]
    user_id, before = next(iter(
        (key[1], row) for key, row in sorted(model_rows(client, "fact_daily_feed", ["date", "user_id"]).items())
        if key[0] == late_day and row["views"] > 1))
    late_time = dt.datetime.combine(late_day, dt.time(23, 59, 59))
    attributes = (1, 30, "iOS", "ads", "Russia", "Moscow", 0)
    insert_events(client, "feed_actions", [(user_id, LATE_POST, "view", late_time, *attributes)])
    insert_events(client, "message_actions", [(user_id, LATE_RECEIVER, late_time, *attributes)])
    try:
        run_star(endpoint, work, day=DAYS[-1])  # the last day's run; its lookback (3) covers late_day

        after = model_rows(client, "fact_daily_feed", ["date", "user_id"])[(late_day, user_id)]
        assert after["views"] == before["views"] + 1
        assert after["posts"] == before["posts"] + 1
        assert after["last_view_time"] == late_time
        assert_facts_match_oracle(client)
        assert model_rows(client, "dim_users", ["user_id"])[LATE_RECEIVER]["first_seen_date"] == late_day
    finally:  # the generated source again, for the other tests (`restored` rebuilds the warehouse)
        client.command(f"alter table product.feed_actions delete where post_id = {LATE_POST} "
                       "settings mutations_sync = 2")
        client.command(f"alter table product.message_actions delete where receiver_id = {LATE_RECEIVER} "
                       "settings mutations_sync = 2")


def test_checksums_see_one_changed_value(endpoint):
    """The checksum helper must notice a single changed value, or the order tests prove nothing."""
    client = endpoint.client()
    client.command("create database if not exists checksum_probe")
    client.command("create table checksum_probe.t (a UInt32, b Nullable(String)) engine = MergeTree order by a")
    client.insert("checksum_probe.t", [(1, "x"), (2, None)], column_names=["a", "b"])
    before = table_checksums(client, ["t"], database="checksum_probe")
    client.command("alter table checksum_probe.t update b = 'y' where a = 1 settings mutations_sync = 2")
    after = table_checksums(client, ["t"], database="checksum_probe")
    assert before["t"][0] == after["t"][0] == 2
    assert before != after
