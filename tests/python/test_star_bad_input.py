"""Bad source rows, bad vars and vanished days on a tiny hand-made product database.

Every rule of models/staging/staging.yml is exercised: the row is left out (or kept, for an
empty city), counted in stg_source_quality with its reason, and no fact changes beyond what
the rule says.  Also: the SCD2 snapshot records a user's move, a bad date var is a clear
error that changes nothing, a day whose source rows vanished loses its partition, and the
reconciliation test fails when a fact disagrees with the source.

Each test runs alone: the snapshot and bad-row tests share a module fixture that loads the good
rows day by day (and one that adds the bad rows to it); every test that deletes or adds source
rows starts from its own fresh load of the good rows and makes its own changes.
"""

from __future__ import annotations

import calendar
import datetime as dt

import pytest

from feedstar.generate.schema import ensure_schema
from star_support import (insert_events, rows_as_dicts, run_dbt, run_star, table_checksums,
                               STAR_SELECTION)

D1, D2 = dt.date(2025, 3, 1), dt.date(2025, 3, 2)
MOSCOW_IOS = (1, 30, "iOS", "ads", "Russia", "Moscow", 2)
KAZAN_ANDROID = (1, 30, "Android", "ads", "Russia", "Kazan", 2)
KAZAN_IOS = (0, 25, "iOS", "organic", "Russia", "Kazan", 1)
FACT_KEYS = (("fact_daily_feed", ["date", "user_id"]), ("fact_daily_messenger", ["date", "user_id"]),
             ("fact_user_connections", ["date", "sender_id", "receiver_id"]))


def at(day, hh, mm=0):
    return dt.datetime.combine(day, dt.time(hh, mm))


GOOD_FEED = [
    (1, 1, "view", at(D1, 10), *MOSCOW_IOS),
    (1, 1, "like", at(D1, 10, 5), *MOSCOW_IOS),
    (2, 1, "view", at(D1, 11), *KAZAN_IOS),
    (1, 2, "view", at(D2, 9), *KAZAN_ANDROID),  # user 1 moved to Kazan and switched to Android
    (2, 2, "view", at(D2, 12), *KAZAN_IOS),
    (2, 2, "like", at(D2, 12, 1), *KAZAN_IOS),
]
GOOD_MESSAGES = [
    (1, 3, at(D1, 13), *MOSCOW_IOS),  # user 3 only ever receives
    (2, 1, at(D2, 14), *KAZAN_IOS),
]


def reset(endpoint) -> None:
    """No warehouse, and a product database holding the good rows only."""
    client = endpoint.client()
    client.command("drop database if exists analytics sync")
    ensure_schema(client)
    for table in ("feed_actions", "message_actions"):
        client.command(f"truncate table product.{table}")
    insert_events(client, "feed_actions", GOOD_FEED)
    insert_events(client, "message_actions", GOOD_MESSAGES)


def fact_rows(client) -> dict:
    return {table: {tuple(r[k] for k in keys): r for r in rows_as_dicts(client, f"select * from analytics.{table}")}
            for table, keys in FACT_KEYS}


def build_day(endpoint, work, day):
    return run_star(endpoint, work, day=day, command="build",
                    extra=("users_snapshot", "--resource-type", "model", "--resource-type", "snapshot"))


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return str(tmp_path_factory.mktemp("star_bad_input"))


@pytest.fixture(scope="module")
def loaded(endpoint, work):
    """The good rows loaded as the DAG does, D1 then D2 (models and the snapshot): the tables'
    checksums and the facts' rows after it."""
    reset(endpoint)
    build_day(endpoint, work, D1)
    build_day(endpoint, work, D2)
    client = endpoint.client()
    return {"checksums": table_checksums(client), "facts": fact_rows(client)}


@pytest.fixture(scope="module")
def with_bad_rows(endpoint, work, loaded):
    """`loaded`, then the bad rows added and D2 built again with every data test and the source
    tests: (dbt's result, the tables' checksums after it)."""
    client = endpoint.client()
    insert_events(client, "feed_actions", BAD_FEED + [EMPTY_CITY_VIEW, DUPLICATE_VIEW])
    insert_events(client, "message_actions", BAD_MESSAGES + [DUPLICATE_MESSAGE])
    result = run_star(endpoint, work, day=D2, command="build", extra=("source:product",))
    return result, table_checksums(client)


@pytest.fixture
def warehouse(endpoint, work):
    """A test's own warehouse: the good rows, loaded in one run."""
    reset(endpoint)
    run_star(endpoint, work)
    return endpoint, work


def test_snapshot_records_a_users_move_as_two_versions(endpoint, loaded):
    versions = rows_as_dicts(endpoint.client(), "select user_id, city, os, dbt_valid_from, dbt_valid_to "
                                                "from analytics.users_snapshot order by user_id, dbt_valid_from")
    # user 1: Moscow/iOS as last seen on D1 (the 13:00 message), then Kazan/Android from D2 09:00;
    # user 2 never changed: one version, from its first snapshot (last seen D1 11:00);
    # user 3 only received, so has no attributes to record
    assert versions == [
        {"user_id": 1, "city": "Moscow", "os": "iOS", "dbt_valid_from": at(D1, 13), "dbt_valid_to": at(D2, 9)},
        {"user_id": 1, "city": "Kazan", "os": "Android", "dbt_valid_from": at(D2, 9), "dbt_valid_to": None},
        {"user_id": 2, "city": "Kazan", "os": "iOS", "dbt_valid_from": at(D1, 11), "dbt_valid_to": None},
    ]


BAD_FEED = [
    (0, 1, "view", at(D2, 15), *KAZAN_IOS),                   # missing_user_id
    (1, 0, "view", at(D2, 15), *KAZAN_ANDROID),               # missing_post_id
    (1, 1, "share", at(D2, 15), *KAZAN_ANDROID),              # unknown_action
    (1, 1, "view", dt.datetime(1970, 1, 1), *KAZAN_ANDROID),  # before_launch (epoch-zero clock)
    (1, 1, "view", at(D2 + dt.timedelta(days=5), 8), *KAZAN_ANDROID),  # future for a run of D2
]
BAD_MESSAGES = [
    (0, 1, at(D2, 16), *KAZAN_IOS),                     # missing_user_id
    (1, 0, at(D2, 16), *KAZAN_ANDROID),                 # missing_receiver_id
    (2, 1, dt.datetime(1970, 1, 1), *KAZAN_IOS),        # before_launch
]
# kept by rule (and counted): a valid view whose city is empty, and exact duplicates
EMPTY_CITY_VIEW = (2, 2, "view", at(D2, 18), 0, 25, "iOS", "organic", "Russia", "", 1)
DUPLICATE_VIEW = (2, 2, "view", at(D2, 12), *KAZAN_IOS)
DUPLICATE_MESSAGE = (2, 1, at(D2, 14), *KAZAN_IOS)


def test_bad_rows_are_dropped_or_kept_by_rule_and_counted(endpoint, loaded, with_bad_rows):
    client = endpoint.client()
    # models + every data test (reconciliation, completeness, grain) + the source tests
    result, now = with_bad_rows
    # the source's own test of `action` warns (it does not stop the load)
    assert "Warning in test source_accepted_values_product_feed_actions_action" in result.stdout

    quality = {(r["source_table"], r["event_date"], r["reason"]): (r["rule_action"], r["source_rows"])
               for r in rows_as_dicts(client, "select * from analytics.stg_source_quality")}
    epoch = dt.date(1970, 1, 1)
    assert quality == {
        ("feed_actions", D2, "missing_user_id"): ("dropped", 1),
        ("feed_actions", D2, "missing_post_id"): ("dropped", 1),
        ("feed_actions", D2, "unknown_action"): ("dropped", 1),
        ("feed_actions", epoch, "before_launch"): ("dropped", 1),
        ("feed_actions", D2 + dt.timedelta(days=5), "future"): ("dropped", 1),
        ("feed_actions", D2, "exact_duplicate"): ("kept", 1),
        ("feed_actions", D2, "empty_city"): ("kept", 1),
        ("message_actions", D2, "missing_user_id"): ("dropped", 1),
        ("message_actions", D2, "missing_receiver_id"): ("dropped", 1),
        ("message_actions", D2, "exact_duplicate"): ("kept", 1),
        ("message_actions", epoch, "before_launch"): ("dropped", 1),
    }

    assert now["dim_dates"] == loaded["checksums"]["dim_dates"]
    # the dropped rows change nothing; the kept ones change exactly the rows they belong to
    changed = {
        "fact_daily_feed": {(D2, 2): {"views": 3, "last_view_time": at(D2, 18)}},  # 1 + duplicate + empty city
        "fact_daily_messenger": {(D2, 2): {"messages_sent": 2, "users_sent": 1},     # the duplicated message
                                 (D2, 1): {"messages_received": 2, "users_received": 1}},
        "fact_user_connections": {(D2, 2, 1): {"messages_count": 2}},
    }
    before = loaded["facts"]
    for table, rows in fact_rows(client).items():
        assert set(rows) == set(before[table]), table
        for key, row in rows.items():
            expected = dict(before[table][key], **changed[table].get(key, {}))
            if table == "fact_daily_messenger" and key == (D2, 2):
                expected["avg_time_between_messages_sent"] = 0.0  # two sends in the same second
            if table == "fact_daily_messenger" and key == (D2, 1):
                expected["avg_time_between_messages_received"] = 0.0
            if table == "fact_daily_feed" and key == (D2, 2):
                expected["avg_time_between_views"] = 3 * 3600.0  # 12:00, 12:00, 18:00 -> 6 h / 2
            assert row == expected, (table, key)
    # and the empty city did not erase the user's known city
    assert rows_as_dicts(client, "select city from analytics.dim_users final where user_id = 2") == [{"city": "Kazan"}]


def test_a_bad_date_var_is_a_clear_error_and_changes_nothing(endpoint, work, with_bad_rows):
    result = run_dbt(endpoint, work, "run", "--select", *STAR_SELECTION, vars={"start_date": "2025-02-30"},
                     check=False)
    assert result.returncode != 0
    assert "var start_date = 2025-02-30 is not a calendar date" in result.stdout
    assert table_checksums(endpoint.client()) == with_bad_rows[1]


def test_a_day_whose_source_rows_vanished_loses_its_partition(warehouse):
    endpoint, work = warehouse
    client = endpoint.client()
    for table in ("feed_actions", "message_actions"):
        client.command(f"alter table product.{table} drop partition '{D1.isoformat()}'")
    run_star(endpoint, work, day=D2)  # the lookback (3 days) covers D1
    for table in ("fact_daily_feed", "fact_daily_posts", "fact_daily_messenger", "fact_user_connections",
                  "int_user_daily_attributes"):
        dates = [r[0] for r in client.query(f"select distinct date from analytics.{table}").result_rows]
        assert dates == [D2], table
    # user 3 was only seen on D1; users 1 and 2 are now first seen on D2, their only day left
    assert client.query("select count() from analytics.dim_users final where user_id = 3").result_rows == [(0,)]
    assert rows_as_dicts(client, "select user_id, first_seen_date, first_feed_date from analytics.dim_users "
                                 "where user_id in (1, 2) order by user_id") == [
        {"user_id": 1, "first_seen_date": D2, "first_feed_date": D2},
        {"user_id": 2, "first_seen_date": D2, "first_feed_date": D2}]


DIM_USERS_VALUES = ("user_id, gender, age, os, source, country, city, exp_group, first_feed_date, "
                    "first_messenger_date, first_active_date, first_seen_date, attributes_updated_at, "
                    "city_updated_at, last_seen_time")


def test_users_who_lost_some_events_are_rebuilt_from_their_other_events(warehouse):
    """The rows of users whose latest events vanished from the source must come from the
    events they have left (min / max / latest values cannot be taken back by a merge), as a
    full rebuild gives them."""
    endpoint, work = warehouse
    client = endpoint.client()
    # D1 is gone from the sources; user 2 has a later view (18:00, empty city) and a second
    # copy of its 14:00 message; loaded
    for table in ("feed_actions", "message_actions"):
        client.command(f"alter table product.{table} drop partition '{D1.isoformat()}'")
    insert_events(client, "feed_actions", [EMPTY_CITY_VIEW])
    insert_events(client, "message_actions", [DUPLICATE_MESSAGE])
    run_star(endpoint, work, day=D2)
    assert rows_as_dicts(client, "select last_seen_time from analytics.dim_users where user_id = 2") == [
        {"last_seen_time": at(D2, 18)}]
    # user 2 loses its 18:00 view (its latest event and attributes) and both 14:00 messages
    # to user 1 (its only sends; user 1's latest event was receiving them)
    for table, condition in (("feed_actions", "user_id = 2 and time = {t18:DateTime}"),
                             ("message_actions", "user_id = 2 and time = {t14:DateTime}")):
        client.command(f"alter table product.{table} delete where {condition}",
                       parameters={"t18": at(D2, 18), "t14": at(D2, 14)}, settings={"mutations_sync": 2})
    run_star(endpoint, work, day=D2)
    incremental = rows_as_dicts(client, f"select {DIM_USERS_VALUES} from analytics.dim_users order by user_id")
    assert client.query("select count(), uniqExact(user_id) from analytics.dim_users").result_rows == [(2, 2)]
    by_user = {row["user_id"]: row for row in incremental}
    # user 2: left with its 12:00 views and 12:01 like on D2, all KAZAN_IOS, and no send at all
    assert {k: by_user[2][k] for k in ("os", "source", "city", "first_messenger_date", "first_active_date",
                                       "attributes_updated_at", "city_updated_at", "last_seen_time")} == {
        "os": "iOS", "source": "organic", "city": "Kazan", "first_messenger_date": None,
        "first_active_date": D2, "attributes_updated_at": at(D2, 12, 1), "city_updated_at": at(D2, 12, 1),
        "last_seen_time": at(D2, 12, 1)}
    # user 1: left with its 09:00 view
    assert by_user[1]["last_seen_time"] == at(D2, 9)
    # the version is the latest event left, in Unix seconds (it went down with the events)
    versions = dict(client.query("select user_id, version from analytics.dim_users").result_rows)
    assert versions == {1: calendar.timegm(at(D2, 9).timetuple()), 2: calendar.timegm(at(D2, 12, 1).timetuple())}
    # a full rebuild from all days gives the same rows
    run_dbt(endpoint, work, "run", "--full-refresh", "--select", "int_user_monthly_attributes", "int_user_closed_history",
            "dim_users")
    assert rows_as_dicts(client, f"select {DIM_USERS_VALUES} from analytics.dim_users order by user_id") == incremental
    assert dict(client.query("select user_id, version from analytics.dim_users").result_rows) == versions


def test_a_month_whose_days_all_vanished_loses_its_monthly_rows(warehouse):
    """int_user_monthly_attributes replaces whole months: a month left with no day gets no new
    rows to replace its old ones, so its partition must be dropped, and its only users must
    leave dim_users."""
    endpoint, work = warehouse
    client = endpoint.client()
    feb28 = dt.date(2025, 2, 28)
    insert_events(client, "feed_actions", [(5, 1, "view", at(feb28, 8), *KAZAN_IOS)])
    run_star(endpoint, work, day=feb28)
    february = "select count() from analytics.int_user_monthly_attributes where month = '2025-02-01'"
    assert client.query(february).result_rows == [(1,)]
    assert rows_as_dicts(client, "select first_seen_date from analytics.dim_users where user_id = 5") == [
        {"first_seen_date": feb28}]
    client.command(f"alter table product.feed_actions drop partition '{feb28.isoformat()}'")
    run_star(endpoint, work, day=D2)  # the lookback (3 days) reaches back into February
    assert client.query(february).result_rows == [(0,)]
    assert client.query("select count() from analytics.dim_users where user_id = 5").result_rows == [(0,)]


def test_a_bot_with_70000_views_a_day_does_not_wrap(warehouse):
    endpoint, work = warehouse
    client = endpoint.client()
    # user 9 views post 7 once a second from 00:00:00: 70,000 views (the seed's UInt16 wraps at 65,535)
    client.command("insert into product.feed_actions select 9, 7, 'view', toDateTime({day:String}) + number, "
                   "1, 30, 'iOS', 'ads', 'Russia', 'Moscow', 0 from numbers(70000)",
                   parameters={"day": D2.isoformat()})
    run_star(endpoint, work, day=D2)
    bot = rows_as_dicts(client, "select views, posts, avg_time_between_views from analytics.fact_daily_feed "
                                "where user_id = 9")
    # 70,000 views one second apart: 69,999 gaps of 1 s
    assert bot == [{"views": 70000, "posts": 1, "avg_time_between_views": 1.0}]
    post = rows_as_dicts(client, "select views, unique_viewers from analytics.fact_daily_posts where post_id = 7")
    assert post == [{"views": 70000, "unique_viewers": 1}]


def test_reconciliation_test_fails_when_a_fact_disagrees_with_the_source(warehouse):
    endpoint, work = warehouse
    client = endpoint.client()
    client.command("insert into analytics.fact_daily_feed (date, user_id, posts, views, likes) "
                   "values ('2025-03-02', 2, 1, 5, 0)")
    result = run_dbt(endpoint, work, "test", "--select", "feed_facts_reconcile_with_source",
                     vars={"start_date": D2}, check=False)
    assert result.returncode != 0
    assert "FAIL 1 feed_facts_reconcile_with_source" in result.stdout
