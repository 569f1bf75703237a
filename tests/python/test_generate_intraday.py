"""`feedstar generate --until` and `--incident`: the day being lived, cut at a time, and outages.

The oracle for the cut is the generator's own complete day: day D written complete by a
plain run, then cut at T by a SELECT, must equal what `--until T` writes (EXCEPT both ways),
and a later `--until T2` must equal the complete day cut at T2 (nothing duplicated, nothing
lost).  Incidents are checked against the same complete day: outside their window nothing
changes, inside it whole users vanish (feed_views, messages) or likes only (likes), in about
the stated share.
"""

import json

import pytest
from click.testing import CliRunner
from test_generate_cli import product_checksums

from feedstar.generate.cli_intraday import generate

PLAN = ["--start", "2025-03-01", "--days", "3", "--scale", "0.05", "--seed", "5", "--no-progress"]
DAY = "2025-03-04"


def invoke(endpoint, *args):
    return CliRunner().invoke(generate, [*args, "--url", endpoint.url], catch_exceptions=False)


def rows(client, sql):
    return client.query(sql).result_rows


def same_rows(client, left, right):
    return rows(client, f"select count() from ({left} except {right})")[0][0] == 0 and \
        rows(client, f"select count() from ({right} except {left})")[0][0] == 0


@pytest.fixture(scope="module")
def complete_day(endpoint):
    """Day D complete (a plain 4-day run), kept aside as the oracle."""
    result = invoke(endpoint, "--start", "2025-03-01", "--days", "4", "--scale", "0.05", "--seed", "5", "--no-progress")
    assert result.exit_code == 0, result.output
    client = endpoint.client()
    for table in ("feed_actions", "message_actions"):
        client.command(f"drop table if exists default.full_{table}")
        client.command(f"create table default.full_{table} engine = MergeTree order by tuple()"
                       f" as select * from product.{table}")
    return client


def test_until_writes_the_day_up_to_the_time_and_extends_without_duplicates(endpoint, complete_day):
    client = complete_day
    result = invoke(endpoint, *PLAN, "--until", f"{DAY}T10:30")
    assert result.exit_code == 0, result.output
    assert "2025-03-01..2025-03-03 + 2025-03-04 up to 10:30:00" in result.output
    for table in ("feed_actions", "message_actions"):
        assert same_rows(client, f"select * from product.{table}",
                         f"select * from default.full_{table} where time < '{DAY} 10:30:00'")
    meta = rows(client, "select last_day, until, incidents from product._generate_meta")
    assert [(str(d), str(u), i) for d, u, i in meta] == [("2025-03-03", f"{DAY} 10:30:00", "[]")]

    # later, without plan flags: the stored data set is extended, the day rewritten whole
    result = invoke(endpoint, "--until", f"{DAY}T17:45", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "wrote 1 day(s)" in result.output
    for table in ("feed_actions", "message_actions"):
        total = rows(client, f"select count() from product.{table}")[0][0]
        expected = rows(client, f"select count() from default.full_{table} where time < '{DAY} 17:45:00'")[0][0]
        assert total == expected
        assert same_rows(client, f"select * from product.{table}",
                         f"select * from default.full_{table} where time < '{DAY} 17:45:00'")


def test_incidents_thin_their_window_only_and_are_recorded(endpoint, complete_day):
    client = complete_day
    result = invoke(endpoint, *PLAN, "--until", f"{DAY}T23:00",
                    "--incident", "2025-03-02T12:00/2h:feed_views=0.3",
                    "--incident", f"{DAY}T08:00/3h:likes=0",
                    "--incident", f"{DAY}T06:00/12h:messages=0,os=Android")
    assert result.exit_code == 0, result.output
    window = "time >= '2025-03-02 12:00:00' and time < '2025-03-02 14:00:00'"
    # outside the feed incident's window, day 2 is untouched
    assert same_rows(client, f"select * from product.feed_actions where toDate(time) = '2025-03-02' and not ({window})",
                     f"select * from default.full_feed_actions where toDate(time) = '2025-03-02' and not ({window})")
    # inside: a subset; whole users vanish (each user keeps all or none of their events)
    kept = f"select * from product.feed_actions where {window}"
    assert rows(client, f"select count() from ({kept} except select * from default.full_feed_actions)")[0][0] == 0
    users_before = rows(client, f"select uniqExact(user_id) from default.full_feed_actions where {window}")[0][0]
    users_after, partial_users = rows(client, f"""
        select uniqExact(user_id), countIf(k != n) from (
            select user_id, count() as n,
                   (select count() from product.feed_actions p where p.user_id = f.user_id and {window.replace('time', 'p.time')}) as k
            from default.full_feed_actions f where {window} group by user_id) where k > 0""")[0]
    assert partial_users == 0
    assert 0.22 < users_after / users_before < 0.38, (users_after, users_before)
    # likes=0 from 08:00 to 11:00: no like left there, every view kept
    likes_window = f"time >= '{DAY} 08:00:00' and time < '{DAY} 11:00:00'"
    assert rows(client, f"select countIf(action = 'like'), countIf(action = 'view') from product.feed_actions where {likes_window}") == \
        [(0, rows(client, f"select countIf(action = 'view') from default.full_feed_actions where {likes_window}")[0][0])]
    # the Android messenger is down from 06:00 to 18:00, iOS is not
    msg_window = f"time >= '{DAY} 06:00:00' and time < '{DAY} 18:00:00'"
    by_os = dict(rows(client, f"select os, count() from product.message_actions where {msg_window} group by os"))
    full_ios = rows(client, f"select count() from default.full_message_actions where {msg_window} and os = 'iOS'")[0][0]
    assert by_os.get("Android", 0) == 0 and by_os["iOS"] == full_ios > 0
    recorded = json.loads(rows(client, "select incidents from product._generate_meta")[0][0])
    assert [(i["metric"], i["factor"], i["start"], i["end"], i["value"]) for i in recorded] == [
        ("feed_views", 0.3, "2025-03-02 12:00:00", "2025-03-02 14:00:00", None),
        ("likes", 0.0, f"{DAY} 08:00:00", f"{DAY} 11:00:00", None),
        ("messages", 0.0, f"{DAY} 06:00:00", f"{DAY} 18:00:00", "Android"),
    ]


@pytest.mark.parametrize("args, expected", [
    (["--until", "2999-01-01T00:00"], "--until: 2999-01-01 00:00:00 is in the future"),
    (["--until", "2025-02-01T10:00"], "--until: 2025-02-01 10:00:00 is before the data's start (2025-03-01)"),
    (["--until", "yesterday noon"], "--until: 'yesterday noon' is not a date and time"),
    (["--until", f"{DAY}T10:00", "--incident", f"{DAY}T09:00/30m:sessions=0.5"], "--incident: unknown metric 'sessions'"),
    (["--until", f"{DAY}T10:00", "--incident", f"{DAY}T09:00/30m:likes=1.5"], "--incident: factor 1.5 is out of range"),
    (["--until", f"{DAY}T10:00", "--incident", f"{DAY}T09:00/30m:likes=0.5,city=Moscow"], "--incident: cannot limit to 'city'"),
    (["--until", f"{DAY}T10:00", "--incident", f"{DAY}T11:00/30m:likes=0.5"], "--incident: 2025-03-04T11:00/30m:likes=0.5 starts at or after --until"),
    (["--until", f"{DAY}T10:00", "--incident", "noon/30m:likes=0.5"], "--incident: 'noon/30m:likes=0.5' is not START/DURATION"),
    (["--until", f"{DAY}T10:00", "--append-day"], "--append-day cannot be combined with --until"),
])
def test_bad_intraday_flags_are_one_line_errors_and_product_untouched(endpoint, complete_day, args, expected):
    client = complete_day
    before = product_checksums(client)
    plan = PLAN if "--append-day" not in args else ["--no-progress"]
    if "2025-02-01T10:00" in args:
        plan = [*PLAN[:2], "--days", "1", "--no-progress"]
    result = invoke(endpoint, *plan, *args)
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {expected}") and result.output.count("\n") == 1, result.output
    assert product_checksums(client) == before
