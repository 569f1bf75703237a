{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='date',
    engine='MergeTree()',
    order_by='(date, slice_kind, slice_value, slot_start)',
    tags=['intraday'],
) }}
-- noqa: disable=AL09,LT02,LT09,LT14,ST05,ST09,RF02,PRS
-- 15-minute metrics per service, overall ('all') and per os and source: one row per day,
-- slot and slice, for every slot from 00:00 to the newest slot with data (a slot without
-- events in a slice seen that day has zeros, not a gap).  Reads the product's raw events
-- directly (the daily staging stops at yesterday); the same row rules as staging for ids
-- and actions.
{%- set last_day = intraday_last_day() %}
{%- set first_day = intraday_first_day(last_day, [(source('product', 'feed_actions'), 'toDate(time)'),
                                                  (source('product', 'message_actions'), 'toDate(time)')]) %}

with events as (
    select
        toDate(time) as date,
        toStartOfFifteenMinutes(time) as slot_start,
        user_id,
        1 as is_feed,
        action = 'view' as is_view,
        action = 'like' as is_like,
        os,
        source
    from {{ source('product', 'feed_actions') }}
    where toDate(time) between {{ first_day }} and {{ last_day }}
        and user_id != 0 and post_id != 0 and action in ('view', 'like')
    union all
    select
        toDate(time) as date,
        toStartOfFifteenMinutes(time) as slot_start,
        user_id,
        0 as is_feed,
        0 as is_view,
        0 as is_like,
        os,
        source
    from {{ source('product', 'message_actions') }}
    where toDate(time) between {{ first_day }} and {{ last_day }}
        and user_id != 0 and receiver_id != 0
),

sliced as (
    select *, slice.1 as slice_kind, slice.2 as slice_value
    from events
    array join [('all', 'all'), ('os', toString(os)), ('source', toString(source))] as slice
),

measured as (
    select
        date,
        slot_start,
        slice_kind,
        slice_value,
        uniqExact(user_id) as active_users,
        uniqExactIf(user_id, is_feed = 1) as feed_users,
        countIf(is_view) as feed_views,
        countIf(is_like) as likes,
        countIf(is_feed = 0) as messages,
        uniqExactIf(user_id, is_feed = 0) as senders
    from sliced
    group by date, slot_start, slice_kind, slice_value
),

-- every slot of the day up to the newest one with data, for every slice seen that day
grid as (
    select
        s.date as date,
        toDateTime(s.date) + toIntervalMinute(15 * slot) as slot_start,
        s.slice_kind as slice_kind,
        s.slice_value as slice_value
    from (select distinct date, slice_kind, slice_value from measured) as s
    inner join (select date, max(slot_start) as newest from measured group by date) as h on h.date = s.date
    array join range(96) as slot
    where toDateTime(s.date) + toIntervalMinute(15 * slot) <= h.newest
)

select
    g.date as date,
    g.slot_start as slot_start,
    toUInt8(intDiv(toHour(g.slot_start) * 60 + toMinute(g.slot_start), 15)) as slot,
    g.slice_kind as slice_kind,
    g.slice_value as slice_value,
    toUInt64(m.active_users) as active_users,
    toUInt64(m.feed_users) as feed_users,
    toUInt64(m.feed_views) as feed_views,
    toUInt64(m.likes) as likes,
    if(m.feed_views = 0, null, m.likes / m.feed_views) as ctr,
    toUInt64(m.messages) as messages,
    toUInt64(m.senders) as senders
from grid as g
left join measured as m
    on m.date = g.date and m.slot_start = g.slot_start
    and m.slice_kind = g.slice_kind and m.slice_value = g.slice_value
settings join_use_nulls = 0
