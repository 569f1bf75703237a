"""The star schema's Python oracle (star_oracle.py) checked on hand-made rows."""

import datetime as dt

from star_oracle import clean_feed, mean_gap


def test_mean_gap_is_the_mean_of_consecutive_differences():
    t = dt.datetime(2025, 3, 1, 9)
    # 09:00:00, 09:00:10, 09:01:00 -> gaps 10 and 50 -> 30; order of input does not matter
    assert mean_gap([t + dt.timedelta(seconds=60), t, t + dt.timedelta(seconds=10)]) == 30
    assert mean_gap([t]) is None


def test_clean_drops_bad_rows_and_keeps_duplicates():
    t = dt.datetime(2025, 3, 1, 9)
    row = dict(user_id=1, post_id=2, action="view", time=t, gender=1, age=20, os="iOS", source="ads",
               country="Russia", city="", exp_group=0)
    rows = [row, dict(row), dict(row, user_id=0), dict(row, action="share"),
            dict(row, time=dt.datetime(1970, 1, 1)), dict(row, time=t + dt.timedelta(days=5))]
    kept = clean_feed(rows, window_end=dt.date(2025, 3, 2))
    # both copies of the duplicated good row are kept, their empty city as None
    assert kept == [dict(row, city=None), dict(row, city=None)]
