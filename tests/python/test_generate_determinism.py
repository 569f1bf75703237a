"""Same seed => same tables; re-runs replace; --append-day and --late-share; a failed run
leaves every day whole.  Tiny data sets (scale 0.02: ~400 feed DAU) keep this cheap."""

import datetime as dt

import pytest

from feedstar.chclient import get_client
from feedstar.generate import run
from feedstar.generate.options import make_plan

START = dt.date(2025, 3, 1)

FEED_COLUMNS = [
    ("user_id", "UInt32"), ("post_id", "UInt32"), ("action", "LowCardinality(String)"), ("time", "DateTime"),
    ("gender", "UInt8"), ("age", "UInt8"), ("os", "LowCardinality(String)"), ("source", "LowCardinality(String)"),
    ("country", "LowCardinality(String)"), ("city", "String"), ("exp_group", "UInt8"),
]
MESSAGE_COLUMNS = [("user_id", "UInt32"), ("receiver_id", "UInt32"), ("time", "DateTime")] + FEED_COLUMNS[4:]


def generate(client, **kwargs):
    options = {"start": START, "days": 3, "scale": 0.02, "seed": 1, **kwargs}
    return run.generate(client, make_plan(**options), progress=False)


def day_checksums(client, table="feed_actions") -> dict:
    """{day: (rows, order-independent hash sum of all columns)}; duplicates count twice."""
    rows = client.query(f"select toDate(time) as day, count(), sum(cityHash64(*)) from product.{table}"
                        " group by day order by day").result_rows
    return {day: (count, total) for day, count, total in rows}


def all_checksums(client) -> dict:
    return {table: day_checksums(client, table) for table in ("feed_actions", "message_actions")}


@pytest.fixture(scope="module")
def client(endpoint):
    return endpoint.client()


def test_same_seed_same_tables_and_rerun_replaces(client):
    generate(client)
    first = all_checksums(client)
    assert sorted(first["feed_actions"]) == [START, START + dt.timedelta(1), START + dt.timedelta(2)]
    generate(client)
    # Identical, not doubled: a re-run replaces each day.
    assert all_checksums(client) == first


def test_thread_count_does_not_change_the_data(client, endpoint):
    generate(client)
    default_threads = all_checksums(client)
    single_thread = get_client(endpoint.url, settings={"max_threads": 1})
    generate(single_thread)
    assert all_checksums(client) == default_threads


def test_different_seed_gives_different_tables(client):
    generate(client, seed=1)
    one = all_checksums(client)
    generate(client, seed=2)
    two = all_checksums(client)
    for table in one:
        for day in one[table]:
            assert one[table][day] != two[table][day]


def test_exact_source_schemas(client):
    generate(client)
    for table, expected in (("feed_actions", FEED_COLUMNS), ("message_actions", MESSAGE_COLUMNS)):
        columns = client.query("select name, type from system.columns where database = 'product'"
                               " and table = {t:String} order by position", parameters={"t": table}).result_rows
        assert [tuple(c) for c in columns] == expected
        engine, partition_key, sorting_key = client.query(
            "select engine, partition_key, sorting_key from system.tables where database = 'product'"
            " and name = {t:String}", parameters={"t": table}).result_rows[0]
        assert (engine, partition_key) == ("MergeTree", "toDate(time)")
        assert sorting_key.startswith("toDate(time), user_id")


def test_shorter_rerun_drops_days_outside_its_window(client):
    generate(client, days=3)
    generate(client, days=2)
    assert sorted(day_checksums(client)) == [START, START + dt.timedelta(1)]


def test_late_share_holds_back_the_last_day_until_the_next_is_appended(client):
    generate(client, days=4, late_share=0.0)
    complete = all_checksums(client)
    client.command("drop table if exists default.complete_feed")
    client.command("create table default.complete_feed engine = MergeTree order by tuple()"
                   " as select * from product.feed_actions")

    generate(client, days=3, late_share=0.3)
    late = all_checksums(client)
    day1, day2, day3 = START, START + dt.timedelta(1), START + dt.timedelta(2)
    for table in late:
        # Days before the last are complete: identical to the run without late events.
        assert late[table][day1] == complete[table][day1] and late[table][day2] == complete[table][day2]
        held_back = 1 - late[table][day3][0] / complete[table][day3][0]
        assert 0.25 < held_back < 0.35, (table, held_back)
    # What the last day has is a subset of the complete day: late events are only missing.
    extra = client.command("select count() from (select * from product.feed_actions where toDate(time) = {d:Date}"
                           " except select * from default.complete_feed)", parameters={"d": day3})
    assert extra == 0

    summary = run.append_day(client, progress=False)
    assert summary.plan.end == START + dt.timedelta(3) and summary.days_written == [day3, summary.plan.end]
    appended = all_checksums(client)
    # Day 3's late events arrived with day 4; day 4 now holds back its own share.
    for table in appended:
        assert appended[table][day3] == complete[table][day3]
        assert appended[table][summary.plan.end][0] < complete[table][summary.plan.end][0]
    # And the final state equals generating four days at once with the same late share.
    generate(client, days=4, late_share=0.3)
    assert all_checksums(client) == appended
    client.command("drop table default.complete_feed")


def test_day_names_the_day_so_a_second_run_changes_nothing(client):
    # `--day D` run twice (an Airflow retry of a generator killed after its commit) leaves
    # what one run leaves; `--append-day` run twice adds two days.
    day4 = START + dt.timedelta(3)
    generate(client, days=4, late_share=0.3)
    four_days = all_checksums(client)
    generate(client, days=3, late_share=0.3)
    for _ in range(2):
        summary = run.write_day(client, day4, progress=False)
        assert summary.plan.end == day4
        assert all_checksums(client) == four_days
    # A day inside the window is rewritten with the rows it had (the complete day 2; the
    # held-back last day stays held back): nothing changes, the window stays.
    for day in (START + dt.timedelta(1), day4):
        summary = run.write_day(client, day, progress=False)
        assert summary.days_written == [day] and summary.plan.end == day4
        assert all_checksums(client) == four_days
    run.append_day(client, progress=False)
    run.append_day(client, progress=False)
    assert max(all_checksums(client)["feed_actions"]) == START + dt.timedelta(5)


class FailingClient:
    """A real client that fails on the n-th INSERT into a stage table, as a crash would."""

    def __init__(self, client, fail_on_stage_insert: int):
        self._client = client
        self._left = fail_on_stage_insert

    def command(self, sql, *args, **kwargs):
        if sql.lstrip().startswith("insert into product._feed_actions_stage"):
            self._left -= 1
            if self._left == 0:
                raise ConnectionError("simulated crash")
        return self._client.command(sql, *args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_failed_run_leaves_each_day_old_or_new_never_partial(client, monkeypatch):
    generate(client, days=4, seed=3)
    old = all_checksums(client)
    generate(client, days=4, seed=4)
    new = all_checksums(client)
    generate(client, days=4, seed=3)

    monkeypatch.setattr(run, "days_per_batch", lambda scale: 1)  # one day per INSERT
    with pytest.raises(ConnectionError):
        generate(FailingClient(client, fail_on_stage_insert=3), days=4, seed=4)
    after = all_checksums(client)
    for table in after:
        days = sorted(old[table])
        # Days 1-2 were swapped in before the crash; days 3-4 are untouched.
        assert [after[table][d] for d in days] == [new[table][d] for d in days[:2]] + [old[table][d] for d in days[2:]]
