"""A tiny hand-written copy of the dashboard marts (docs/marts.md), for dashboard tests that
need no dbt build.  Two days, 2025-03-01 and 2025-03-02; each value is chosen so that a
test can tell which row (or which sum of rows) the dashboard read.
"""

from __future__ import annotations

import datetime as dt

D1, D2 = dt.date(2025, 3, 1), dt.date(2025, 3, 2)

TABLES = {
    "agg_active_users": (
        "date Date, service String, breakdown String, breakdown_value String, "
        "dau UInt64, wau UInt64, mau UInt64, stickiness Float64",
        [
            # the total rows are NOT the sum of the slices (a user can be in both sources
            # over a week): a dashboard that summed slices would show 70, not 60.
            (D1, "app", "total", "all", 50, 80, 100, 0.5),
            (D2, "app", "total", "all", 60, 90, 120, 0.5),
            (D2, "feed", "total", "all", 40, 70, 100, 0.4),
            (D2, "messenger", "total", "all", 30, 50, 60, 0.5),
            (D2, "app", "source", "ads", 25, 40, 50, 0.5),
            (D2, "app", "source", "organic", 45, 60, 80, 0.5625),
            (D2, "app", "os", "iOS", 20, 30, 40, 0.5),
            (D2, "app", "country", "Russia", 55, 85, 110, 0.5),
            (D2, "app", "country", "Finland", 5, 5, 10, 0.5),
            (D2, "app", "age_bucket", "18-24", 10, 20, 30, 1 / 3),
            (D2, "app", "exp_group", "1", 12, 18, 24, 0.5),
            (D2, "app", "exp_group", "2", 13, 19, 25, 0.52),
        ],
    ),
    "agg_app_daily_activity": (
        "date Date, gender Nullable(UInt8), age Nullable(UInt8), source Nullable(String), "
        "os Nullable(String), city Nullable(String), country Nullable(String), "
        "total_users UInt64, feed_only_users UInt64, messenger_only_users UInt64, "
        "both_services_users UInt64, feed_users UInt64, messenger_users UInt64, receive_only_users UInt64, "
        "new_users_lifetime_0 UInt64, users_lifetime_7d UInt64, new_users_7_days_ago UInt64, "
        "views UInt64, likes UInt64, posts UInt64, messages_sent UInt64",
        [
            # (date, gender, age, source, os, city, country, total, feed_only, msg_only, both, ...)
            (D2, 1, 20, "ads", "iOS", "Moscow", "Russia", 10, 6, 1, 3, 9, 4, 2, 3, 0, 0, 100, 20, 30, 7),
            (D2, 0, 30, "ads", "Android", "Helsinki", "Finland", 5, 5, 0, 0, 5, 0, 0, 1, 0, 0, 40, 8, 12, 0),
            (D2, 0, 40, "organic", "Android", "Moscow", "Russia", 7, 4, 2, 1, 5, 3, 1, 2, 0, 0, 60, 15, 20, 9),
            (D2, None, None, None, None, None, None, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0),
            (D1, 1, 20, "ads", "iOS", "Moscow", "Russia", 8, 8, 0, 0, 8, 0, 0, 8, 0, 0, 80, 10, 25, 0),
        ],
    ),
    "agg_feed_daily_activity": (
        "date Date, gender Nullable(UInt8), age Nullable(UInt8), source Nullable(String), "
        "os Nullable(String), city Nullable(String), country Nullable(String), feed_users UInt64, "
        "feed_new_users_lifetime_0 UInt64, feed_users_lifetime_7d UInt64, feed_new_users_7_days_ago UInt64, "
        "views UInt64, likes UInt64, posts UInt64, avg_view_to_like_seconds Nullable(Float64)",
        [
            (D2, 1, 20, "ads", "iOS", "Moscow", "Russia", 9, 3, 0, 0, 100, 20, 30, 12.5),
            (D2, 0, 30, "ads", "Android", "Helsinki", "Finland", 5, 1, 0, 0, 40, 8, 12, 30.0),
            (D2, 0, 40, "organic", "Android", "Moscow", "Russia", 5, 2, 0, 0, 60, 15, 20, None),
        ],
    ),
    "agg_messenger_daily_activity": (
        "date Date, gender Nullable(UInt8), age Nullable(UInt8), source Nullable(String), "
        "os Nullable(String), city Nullable(String), country Nullable(String), total_senders UInt64, "
        "total_receivers UInt64, receive_only_users UInt64, new_users_lifetime_0 UInt64, "
        "users_lifetime_7d UInt64, new_messenger_users_7_days_ago UInt64, messages_sent UInt64, "
        "messages_received UInt64, avg_time_between_messages_sent Nullable(Float64)",
        [
            (D2, 1, 20, "ads", "iOS", "Moscow", "Russia", 4, 5, 2, 1, 0, 0, 7, 6, 60.0),
            (D2, 0, 40, "organic", "Android", "Moscow", "Russia", 3, 2, 1, 1, 0, 0, 9, 8, None),
        ],
    ),
    "agg_engagement_daily": (
        "date Date, active_users UInt64, feed_users UInt64, senders UInt64, views UInt64, likes UInt64, "
        "posts UInt64, messages_sent UInt64, ctr Nullable(Float64), views_per_user Nullable(Float64), "
        "likes_per_user Nullable(Float64), posts_per_user Nullable(Float64), "
        "messages_per_sender Nullable(Float64), avg_view_to_like_seconds Nullable(Float64), connections UInt64",
        [(D2, 22, 19, 7, 200, 43, 62, 16, 0.215, 200 / 19, 43 / 19, 62 / 19, 16 / 7, 17.25, 11)],
    ),
    "agg_top_posts_daily": (
        "date Date, post_rank UInt8, post_id UInt32, views UInt64, likes UInt64, unique_viewers UInt64, "
        "unique_likers UInt64, ctr Nullable(Float64)",
        [(D2, 1, 501, 90, 9, 40, 8, 0.1), (D2, 2, 502, 60, 12, 30, 10, 0.2), (D1, 1, 777, 5, 1, 5, 1, 0.2)],
    ),
    "agg_retention": (
        "service String, cohort_period String, cohort_start Date, breakdown String, breakdown_value String, "
        "day_number UInt16, cohort_size UInt64, retained_users UInt64, rolling_retained_users UInt64, "
        "retention Float64, rolling_retention Float64",
        [
            ("app", "day", D1, "total", "all", 0, 8, 8, 8, 1.0, 1.0),
            ("app", "day", D1, "total", "all", 1, 8, 2, 4, 0.25, 0.5),
            ("app", "day", D1, "source", "ads", 0, 8, 8, 8, 1.0, 1.0),
            ("app", "day", D1, "source", "ads", 1, 8, 3, 5, 0.375, 0.625),
            ("feed", "day", D1, "total", "all", 1, 6, 1, 2, 1 / 6, 2 / 6),
        ],
    ),
    "agg_lifecycle": (
        "service String, period String, period_start Date, active_users UInt64, new_users UInt64, "
        "returning_users UInt64, resurrecting_users UInt64, dormant_users UInt64",
        [("app", "day", D1, 50, 20, 25, 5, 3), ("app", "day", D2, 60, 10, 40, 10, 10),
         ("app", "week", dt.date(2025, 2, 24), 90, 30, 50, 10, 4)],
    ),
    "agg_experiment_daily": (
        "date Date, exp_group Nullable(UInt8), users UInt64, views UInt64, likes UInt64, "
        "ctr Nullable(Float64), user_ctr_mean Nullable(Float64)",
        [(D2, 1, 2, 20, 4, 0.2, 0.2), (D2, 2, 2, 20, 6, 0.3, 0.3)],
    ),
    # the buckets of the ages above (dbt builds every age from the marts_age_bucket macro)
    "dim_age_buckets": (
        "age Nullable(UInt8), age_bucket String",
        [(20, "18-24"), (30, "25-34"), (40, "35-44"), (None, "unknown")],
    ),
    # the labels dbt builds from the marts' macros (marts_slice_value, marts_gender_label) for
    # the raw values above whose label is not their text; every other value is its own label
    "dim_slice_labels": (
        "attribute String, value Nullable(String), label String",
        [(attribute, value, "unknown") for attribute in ("source", "os", "country", "city") for value in ("", None)]
        + [("exp_group", None, "unknown"), ("gender", "0", "female"), ("gender", "1", "male"),
           ("gender", None, "unknown")],
    ),
    # agg_experiment_users_30d's window (the var experiment_window_days)
    "dim_trailing_windows": ("mart String, window_days UInt16", [("agg_experiment_users_30d", 30)]),
    "agg_experiment_users_daily": (
        "date Date, user_id UInt32, exp_group UInt8, views UInt32, likes UInt32, bucket UInt8",
        [
            # group 1: users 1, 2 with CTRs 0.1 and 0.3 (user 1 over two days: 1/10 + 1/10)
            (D1, 1, 1, 10, 1, 1), (D2, 1, 1, 10, 1, 1), (D2, 2, 1, 10, 3, 2),
            # group 2: users 3, 4, 5 with CTRs 0.4, 0.5, 0.6
            (D2, 3, 2, 10, 4, 3), (D2, 4, 2, 10, 5, 4), (D2, 5, 2, 10, 6, 5),
        ],
    ),
}


def create_marts(client, database: str = "analytics") -> None:
    client.command(f"create database if not exists {database}")
    for table, (columns, rows) in TABLES.items():
        client.command(f"drop table if exists {database}.{table}")
        client.command(f"create table {database}.{table} ({columns}) engine = MergeTree order by tuple()")
        client.insert(f"{database}.{table}", rows, column_names=_column_names(columns))


def _column_names(columns: str) -> list[str]:
    # "a Date, b Nullable(UInt8)" -> ["a", "b"]; no type here contains ", ".
    return [part.strip().split(" ")[0] for part in columns.split(", ")]
