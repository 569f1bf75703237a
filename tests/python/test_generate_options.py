"""Flag validation and URL parsing for `feedstar generate`: pure functions, no server."""

import datetime as dt

import pytest

from feedstar.chclient import ClickHouseUnreachable, connection
from feedstar.generate.options import InvalidOptions, make_plan
from feedstar.generate.randomness import slice16, slice32, uniform


def test_default_window_is_sixty_days_ending_yesterday():
    plan = make_plan(today=dt.date(2025, 3, 10))
    # 60 days ending 2025-03-09: Jan 9..31 (23) + Feb (28) + Mar 1..9 (9) = 60, from 2025-01-09.
    assert (plan.start, plan.end, plan.days) == (dt.date(2025, 1, 9), dt.date(2025, 3, 9), 60)
    assert (plan.scale, plan.seed, plan.late_share) == (1.0, 0, 0.0)


def test_explicit_start_and_days():
    plan = make_plan(start="2025-02-27", days=3)
    assert plan.dates() == [dt.date(2025, 2, 27), dt.date(2025, 2, 28), dt.date(2025, 3, 1)]


@pytest.mark.parametrize("kwargs, flag", [
    ({"days": -1}, "--days"),
    ({"days": 0}, "--days"),
    ({"days": 100000}, "--days"),
    ({"scale": 0}, "--scale"),
    ({"scale": -2}, "--scale"),
    ({"scale": float("nan")}, "--scale"),
    ({"scale": 1000}, "--scale"),
    ({"start": "2025-13-01"}, "--start"),
    ({"start": "yesterday"}, "--start"),
    ({"start": "1900-01-01"}, "--start"),
    ({"seed": -1}, "--seed"),
    ({"late_share": 1.5}, "--late-share"),
    ({"late_share": -0.1}, "--late-share"),
])
def test_bad_values_name_the_flag_in_one_line(kwargs, flag):
    with pytest.raises(InvalidOptions) as error:
        make_plan(**kwargs)
    message = str(error.value)
    assert message.startswith(flag) and "\n" not in message


@pytest.mark.parametrize("url", ["ftp://h:1", "127.0.0.1:8123", "http://h:99999", "http://"])
def test_malformed_urls_are_refused_without_leaking_a_password(url):
    with pytest.raises(ClickHouseUnreachable):
        connection(url)
    with pytest.raises(ClickHouseUnreachable) as error:
        connection("http://u:topsecret@h:99999")
    assert "topsecret" not in str(error.value)


def test_randomness_sql_is_seeded_and_sliced():
    assert uniform("age", "user_id") == "(sipHash64({seed:UInt64}, 'age', user_id) / 18446744073709551616.0)"
    assert slice16("h", 3) == "(bitAnd(bitShiftRight(h, 48), 65535) / 65536.0)"
    assert slice32("h", 1) == "(bitAnd(bitShiftRight(h, 32), 4294967295) / 4294967296.0)"
    with pytest.raises(ValueError):
        uniform("x'); drop table t; --", "user_id")
    with pytest.raises(ValueError):
        slice16("h", 4)
