"""dim_users over the closed-history rollup (int_user_closed_history) on a data set that crosses
a month boundary: whatever the rollup holds, dim_users must equal the independent oracle over all
the raw events -- after a full build, after each daily load across the boundary (the rollup's
cutoff advancing), after a backfill into a rolled-up month whose source rows were deleted, and
after the rollup or dim_users are run alone.  A daily load that closes no month writes nothing
to the rollup.

One module-scoped scenario in time order (each dbt run costs seconds): the tests share the
endpoint and must run in file order, as pytest runs them.
"""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

import star_oracle as oracle
from star_support import FEEDSTAR, STAR_SELECTION, model_rows, raw, run_dbt, run_star

START = dt.date(2025, 1, 24)
# the full build's last day: its lookback (3 days) reaches 2025-02-23, so January is closed
LAST_BUILT = dt.date(2025, 2, 26)
# daily loads across the month boundary; the load of 2025-03-04 is the first whose window
# (03-01..03-04) starts in March, so it closes February
DAILY = [LAST_BUILT + dt.timedelta(days=i) for i in range(1, 8)]


def generate(endpoint, *args: str) -> None:
    subprocess.run([FEEDSTAR, "generate", *args, "--url", endpoint.url, "--no-progress"],
                   check=True, capture_output=True, timeout=600)


@pytest.fixture(scope="module")
def warehouse(endpoint, tmp_path_factory):
    generate(endpoint, "--start", START.isoformat(), "--days", str((LAST_BUILT - START).days + 1),
             "--scale", "0.005", "--seed", "3")
    work = str(tmp_path_factory.mktemp("closed_history"))
    run_star(endpoint, work)
    return endpoint, work


def cutoff(client):
    return client.query("select max(cutoff_month) from analytics.int_user_closed_history").result_rows[0][0]


def rollup_parts(client):
    return client.query("select groupArraySorted(100)(name) from system.parts where active "
                        "and database = 'analytics' and table = 'int_user_closed_history'").result_rows[0][0]


def assert_dim_users_match_oracle(client):
    users, rows = client.query("select uniqExact(user_id), count() from analytics.dim_users").result_rows[0]
    assert users == rows, "dim_users holds a user twice (read without FINAL)"
    feed = oracle.clean_feed(raw(client, "feed_actions"))
    messages = oracle.clean_messages(raw(client, "message_actions"))
    oracle.compare(oracle.dim_users(feed, messages), model_rows(client, "dim_users", ["user_id"]), "dim_users")


def test_full_build_rolls_up_the_months_before_the_lookback(warehouse):
    endpoint, _ = warehouse
    client = endpoint.client()
    assert cutoff(client) == dt.date(2025, 2, 1)
    january = client.query("select uniqExact(user_id) from analytics.int_user_monthly_attributes "
                           "where month = '2025-01-01'").result_rows[0][0]
    rolled = client.query("select count() from analytics.int_user_closed_history").result_rows[0][0]
    assert rolled == january > 50, "the rollup must hold every January user, or the test proves little"
    assert_dim_users_match_oracle(client)


def test_daily_loads_across_the_month_boundary(warehouse):
    endpoint, work = warehouse
    client = endpoint.client()
    for day in DAILY:
        generate(endpoint, "--day", day.isoformat())
        parts = rollup_parts(client)
        run_star(endpoint, work, day=day)
        closes_february = day >= dt.date(2025, 3, 4)
        assert cutoff(client) == dt.date(2025, 3 if closes_february else 2, 1), day
        if day != dt.date(2025, 3, 4):
            # nothing closed changed: the rollup's partition was not replaced
            assert rollup_parts(client) == parts, day
        assert_dim_users_match_oracle(client)


def test_backfill_into_a_rolled_up_month_after_deleting_source_rows(warehouse):
    endpoint, work = warehouse
    client = endpoint.client()
    # a user seen only in January, never receiving: deleting their events must delete their row
    user_id = client.query(
        "select min(user_id) from analytics.int_user_monthly_attributes where month = '2025-01-01' "
        "and user_id not in (select user_id from analytics.int_user_monthly_attributes where month > '2025-01-01') "
        "and user_id not in (select receiver_id from product.message_actions)").result_rows[0][0]
    assert user_id in model_rows(client, "dim_users", ["user_id"])
    deleted_day = dt.date(2025, 2, 10)
    for table in ("feed_actions", "message_actions"):
        client.command(f"alter table product.{table} delete where toDate(time) = '{deleted_day}' "
                       f"or user_id = {user_id} settings mutations_sync = 2")
    run_dbt(endpoint, work, "run", "--select", *STAR_SELECTION, vars={"start_date": START, "end_date": LAST_BUILT})
    assert cutoff(client) == dt.date(2025, 3, 1), "a backfill never moves the cutoff back"
    assert user_id not in model_rows(client, "dim_users", ["user_id"])
    assert_dim_users_match_oracle(client)


@pytest.mark.parametrize("selection", [("--full-refresh", "--select", "int_user_closed_history"),
                                       ("--select", "dim_users")], ids=["rollup_full_refresh", "dim_users"])
def test_a_model_run_alone_keeps_dim_users_exact(warehouse, selection):
    endpoint, work = warehouse
    client = endpoint.client()
    run_dbt(endpoint, work, "run", *selection)
    run_dbt(endpoint, work, "run", "--select", "dim_users")
    assert cutoff(client) == dt.date(2025, 3, 1)
    assert_dim_users_match_oracle(client)
