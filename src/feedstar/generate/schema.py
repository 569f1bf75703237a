"""The `product` database: the two source tables (exact seed schemas) and the generator's helpers.

Helper tables start with an underscore and are documented in models/sources.yml:
- `_users`: one row per user with fixed attributes, sign-up day, role and behaviour knobs;
- `_generate_meta`: the parameters of the data set now in `product` (read by --append-day);
- `_feed_actions_stage`, `_message_actions_stage`: where a day is built before it replaces
  the day's partition of the source table, so a killed run never leaves a partial day.
"""

from __future__ import annotations

DATABASE = "product"

EVENT_ATTRIBUTES = """
    gender UInt8,
    age UInt8,
    os LowCardinality(String),
    source LowCardinality(String),
    country LowCardinality(String),
    city String,
    exp_group UInt8
"""

# Partitioned by day so a day is replaced atomically; ordered by day first because every
# consumer (the daily dbt load) reads one day at a time, then by user for per-user facts.
FEED_ACTIONS = f"""
create table if not exists product.{{table}} (
    user_id UInt32,
    post_id UInt32,
    action LowCardinality(String),
    time DateTime,
    {EVENT_ATTRIBUTES}
)
engine = MergeTree
partition by toDate(time)
order by (toDate(time), user_id, time)
"""

MESSAGE_ACTIONS = f"""
create table if not exists product.{{table}} (
    user_id UInt32,
    receiver_id UInt32,
    time DateTime,
    {EVENT_ATTRIBUTES}
)
engine = MergeTree
partition by toDate(time)
order by (toDate(time), user_id, receiver_id, time)
"""

USERS = """
create table if not exists product.{table} (
    user_id UInt32,
    signup_day Date,
    is_campaign UInt8,
    messenger_role UInt8 comment '0 feed only, 1 feed and messenger, 2 messenger only',
    gender UInt8,
    age UInt8,
    os LowCardinality(String),
    source LowCardinality(String),
    country LowCardinality(String),
    city String,
    exp_group UInt8,
    changes_on Nullable(Date) comment 'from this day on the user has new_os / new_city',
    new_os LowCardinality(String),
    new_city String,
    activity Float32 comment 'multiplies the retention probability; mean 1',
    views_mean Float32 comment 'mean feed views on an active day',
    like_rate Float32 comment 'probability that a view is followed by a like'
)
engine = MergeTree
order by user_id
"""

META = """
create table if not exists product._generate_meta (
    start Date,
    last_day Date,
    seed UInt64,
    scale Float64,
    late_share Float64
)
engine = MergeTree
order by tuple()
"""

SOURCE_TABLES = ("feed_actions", "message_actions")
STAGE = {"feed_actions": "_feed_actions_stage", "message_actions": "_message_actions_stage"}


def ensure_schema(client) -> None:
    """Create whatever is missing; never drops or alters existing data."""
    client.command(f"create database if not exists {DATABASE}")
    for table in ("feed_actions", "_feed_actions_stage"):
        client.command(FEED_ACTIONS.format(table=table))
    for table in ("message_actions", "_message_actions_stage"):
        client.command(MESSAGE_ACTIONS.format(table=table))
    for table in ("_users", "_users_stage"):
        client.command(USERS.format(table=table))
    client.command(META)
