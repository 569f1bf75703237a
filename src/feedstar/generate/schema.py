"""The source database: the two source tables (exact seed schemas) and the generator's helpers.

The database is FEEDSTAR_SOURCE_DATABASE (default `product`); on a cluster each table is
created as generate/layout.py says.  Helper tables start with an underscore and are
documented in models/sources.yml:
- `_users`: one row per user with fixed attributes, sign-up day, role and behaviour knobs;
- `_generate_meta`: the parameters of the data set now in the database (read by --append-day);
- `_feed_actions_stage`, `_message_actions_stage`: where a day is built before it replaces
  the day's partition of the source table, so a killed run never leaves a partial day.
"""

from __future__ import annotations

from .layout import Layout

EVENT_ATTRIBUTES = """
    gender UInt8,
    age UInt8,
    os LowCardinality(String),
    source LowCardinality(String),
    country LowCardinality(String),
    city String,
    exp_group UInt8
"""

FEED_COLUMNS = f"""
    user_id UInt32,
    post_id UInt32,
    action LowCardinality(String),
    time DateTime,
    {EVENT_ATTRIBUTES}
"""
MESSAGE_COLUMNS = f"""
    user_id UInt32,
    receiver_id UInt32,
    time DateTime,
    {EVENT_ATTRIBUTES}
"""
# Partitioned by day so a day is replaced atomically; ordered by day first because every
# consumer (the daily dbt load) reads one day at a time, then by user for per-user facts.
FEED_KEYS = "partition by toDate(time)\norder by (toDate(time), user_id, time)"
MESSAGE_KEYS = "partition by toDate(time)\norder by (toDate(time), user_id, receiver_id, time)"

USERS_COLUMNS = """
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
"""
USERS_KEYS = "order by user_id"

META_COLUMNS = """
    start Date,
    last_day Date,
    seed UInt64,
    scale Float64,
    late_share Float64
"""
META_KEYS = "order by tuple()"

SOURCE_TABLES = ("feed_actions", "message_actions")
STAGE = {"feed_actions": "_feed_actions_stage", "message_actions": "_message_actions_stage"}
# table -> (columns, keys) of the event tables and their work tables (generate/intraday.py adds the cuts)
EVENT_TABLES = {"feed_actions": (FEED_COLUMNS, FEED_KEYS), "message_actions": (MESSAGE_COLUMNS, MESSAGE_KEYS)}


def create_event_table(client, layout: Layout, name: str, like: str) -> None:
    """Create `name` with the columns and keys of source table `like`, unless it exists."""
    columns, keys = EVENT_TABLES[like]
    for statement in layout.create_table(name, columns, keys):
        client.command(statement)


def ensure_schema(client, layout: Layout | None = None) -> None:
    """Create whatever is missing; never drops or alters existing data."""
    layout = layout or Layout.from_settings()
    client.command(layout.create_database())
    for table in SOURCE_TABLES:
        create_event_table(client, layout, table, table)
        create_event_table(client, layout, STAGE[table], table)
    for table in ("_users", "_users_stage"):
        for statement in layout.create_table(table, USERS_COLUMNS, USERS_KEYS):
            client.command(statement)
    for statement in layout.create_table("_generate_meta", META_COLUMNS, META_KEYS):
        client.command(statement)
