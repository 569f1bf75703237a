create table `analytics`.`intraday_slot_metrics__dbt_new_data_<invocation>`
  engine = MergeTree()
        order by ((date, slice_kind, slice_value, slot_start))
        partition by (date)
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
          empty
          as (
-- noqa: disable=AL09,LT02,LT09,LT14,ST05,ST09,RF02,PRS
-- 15-minute metrics per service, overall ('all') and per os and source: one row per day,
-- slot and slice, for every slot from 00:00 to the newest slot with data (a slot without
-- events in a slice seen that day has zeros, not a gap).  Reads the product's raw events
-- directly (the daily staging stops at yesterday); the same row rules as staging for ids
-- and actions.
with events as (
    select
        toStartOfFifteenMinutes(time) as slot_start,
        user_id,
        toUInt8(1) as is_feed,
        action = 'view' as is_view,
        action = 'like' as is_like,
        os,
        source
    from `product`.`feed_actions`
    where toDate(time) between toDate('2025-03-02') - 1 and toDate('2025-03-02')
        and user_id != 0 and post_id != 0 and action in ('view', 'like')
    union all
    select
        toStartOfFifteenMinutes(time) as slot_start,
        user_id,
        toUInt8(0) as is_feed,
        0 as is_view,
        0 as is_like,
        os,
        source
    from `product`.`message_actions`
    where toDate(time) between toDate('2025-03-02') - 1 and toDate('2025-03-02')
        and user_id != 0 and receiver_id != 0
),
coded as (
    select
        *,
        toUInt8(transform(os, ['iOS', 'Android'], [1, 2], 0)) as os_code,
        toUInt8(transform(source, ['ads', 'organic'], [1, 2], 0))
            as source_code
    from events
),
-- Distinct users are counted once per event, in the finest slice (slot x role x os x
-- source), and the sets are merged up to the slices and to active users (either role).
-- The finest slice is grouped by one UInt64 (slot's epoch seconds, role, os code, source
-- code): half the time of grouping by the columns, whose LowCardinality strings make
-- ClickHouse hash the key row by row (measured on 37 days at scale 5).
known_slices as (
    select
        bitOr(bitShiftLeft(toUInt64(toUInt32(slot_start)), 17),
              bitOr(bitShiftLeft(toUInt64(is_feed), 16), bitOr(bitShiftLeft(toUInt64(os_code), 8), source_code)))
            as slice_key,
        uniqExactState(user_id) as users_state,
        countIf(is_view) as view_events,
        countIf(is_like) as like_events,
        countIf(is_feed = 0) as message_events
    from coded
    where os_code != 0 and source_code != 0
    group by slice_key
),
-- rows with an os or source outside the known lists (normally none).  `coded` is read a
-- second time here (ClickHouse inlines a CTE at each use), but this filter is cheap: under
-- 0.5 s on 37 days at scale 5.
other_slices as (
    select
        slot_start,
        is_feed,
        toString(os) as os,
        toString(source) as source,
        uniqExactState(user_id) as users_state,
        countIf(is_view) as view_events,
        countIf(is_like) as like_events,
        countIf(is_feed = 0) as message_events
    from coded
    where os_code = 0 or source_code = 0
    group by slot_start, is_feed, os, source
),
fine as (
    select
        toDateTime(bitShiftRight(slice_key, 17)) as slot_start,
        toUInt8(bitAnd(bitShiftRight(slice_key, 16), 1)) as is_feed,
        arrayElement(['iOS', 'Android'], toUInt8(bitAnd(bitShiftRight(slice_key, 8), 255))) as os,
        arrayElement(['ads', 'organic'], toUInt8(bitAnd(slice_key, 255))) as source,
        users_state,
        view_events,
        like_events,
        message_events
    from known_slices
    union all
    select * from other_slices
),
-- one aggregation over three grouping sets (the whole app, per os, per source); grouping()
-- has a bit set for each of its arguments the set leaves out (standard SQL, pinned below).
measured as (
    select
        toDate(slot_start) as date,
        slot_start,
        multiIf(grouping(os, source) = 3, 'all', grouping(os, source) = 1, 'os', 'source') as slice_kind,
        multiIf(grouping(os, source) = 3, 'all', grouping(os, source) = 1, os, source) as slice_value,
        uniqExactMerge(users_state) as active_users,
        uniqExactMergeIf(users_state, is_feed = 1) as feed_users,
        sum(view_events) as feed_views,
        sum(like_events) as likes,
        sum(message_events) as messages,
        uniqExactMergeIf(users_state, is_feed = 0) as senders
    from fine
    group by grouping sets ((slot_start), (slot_start, os), (slot_start, source))
),
-- every slot of the day up to the newest one with data, for every slice seen that day: the
-- slice's measured slots become arrays, expanded to all the day's slots in one pass (a CTE
-- named twice is computed twice, and `measured` is the expensive part)
per_slice as (
    select
        date,
        slice_kind,
        slice_value,
        groupArray(slot_start) as slot_starts,
        groupArray((active_users, feed_users, feed_views, likes, messages, senders)) as slot_values,
        max(max(slot_start)) over (partition by date) as newest
    from measured
    group by date, slice_kind, slice_value
),
grid as (
    select
        date,
        slice_kind,
        slice_value,
        toDateTime(date) + toIntervalMinute(15 * slot) as slot_start,
        -- 0 for a slot without events: its metrics are the empty tuple's zeros
        slot_values[indexOf(slot_starts, slot_start)] as slot_value
    from per_slice
    array join range(96) as slot
    where slot_start <= newest
)
select
    date,
    slot_start,
    toUInt8(intDiv(toHour(slot_start) * 60 + toMinute(slot_start), 15)) as slot,
    slice_kind,
    slice_value,
    toUInt64(slot_value.1) as active_users,
    toUInt64(slot_value.2) as feed_users,
    toUInt64(slot_value.3) as feed_views,
    toUInt64(slot_value.4) as likes,
    if(slot_value.3 = 0, null, slot_value.4 / slot_value.3) as ctr,
    toUInt64(slot_value.5) as messages,
    toUInt64(slot_value.6) as senders
from grid
settings force_grouping_standard_compatibility = 1
          )
;
insert into `analytics`.`intraday_slot_metrics__dbt_new_data_<invocation>`
-- noqa: disable=AL09,LT02,LT09,LT14,ST05,ST09,RF02,PRS
-- 15-minute metrics per service, overall ('all') and per os and source: one row per day,
-- slot and slice, for every slot from 00:00 to the newest slot with data (a slot without
-- events in a slice seen that day has zeros, not a gap).  Reads the product's raw events
-- directly (the daily staging stops at yesterday); the same row rules as staging for ids
-- and actions.
with events as (
    select
        toStartOfFifteenMinutes(time) as slot_start,
        user_id,
        toUInt8(1) as is_feed,
        action = 'view' as is_view,
        action = 'like' as is_like,
        os,
        source
    from `product`.`feed_actions`
    where toDate(time) between toDate('2025-03-02') - 1 and toDate('2025-03-02')
        and user_id != 0 and post_id != 0 and action in ('view', 'like')
    union all
    select
        toStartOfFifteenMinutes(time) as slot_start,
        user_id,
        toUInt8(0) as is_feed,
        0 as is_view,
        0 as is_like,
        os,
        source
    from `product`.`message_actions`
    where toDate(time) between toDate('2025-03-02') - 1 and toDate('2025-03-02')
        and user_id != 0 and receiver_id != 0
),
coded as (
    select
        *,
        toUInt8(transform(os, ['iOS', 'Android'], [1, 2], 0)) as os_code,
        toUInt8(transform(source, ['ads', 'organic'], [1, 2], 0))
            as source_code
    from events
),
-- Distinct users are counted once per event, in the finest slice (slot x role x os x
-- source), and the sets are merged up to the slices and to active users (either role).
-- The finest slice is grouped by one UInt64 (slot's epoch seconds, role, os code, source
-- code): half the time of grouping by the columns, whose LowCardinality strings make
-- ClickHouse hash the key row by row (measured on 37 days at scale 5).
known_slices as (
    select
        bitOr(bitShiftLeft(toUInt64(toUInt32(slot_start)), 17),
              bitOr(bitShiftLeft(toUInt64(is_feed), 16), bitOr(bitShiftLeft(toUInt64(os_code), 8), source_code)))
            as slice_key,
        uniqExactState(user_id) as users_state,
        countIf(is_view) as view_events,
        countIf(is_like) as like_events,
        countIf(is_feed = 0) as message_events
    from coded
    where os_code != 0 and source_code != 0
    group by slice_key
),
-- rows with an os or source outside the known lists (normally none).  `coded` is read a
-- second time here (ClickHouse inlines a CTE at each use), but this filter is cheap: under
-- 0.5 s on 37 days at scale 5.
other_slices as (
    select
        slot_start,
        is_feed,
        toString(os) as os,
        toString(source) as source,
        uniqExactState(user_id) as users_state,
        countIf(is_view) as view_events,
        countIf(is_like) as like_events,
        countIf(is_feed = 0) as message_events
    from coded
    where os_code = 0 or source_code = 0
    group by slot_start, is_feed, os, source
),
fine as (
    select
        toDateTime(bitShiftRight(slice_key, 17)) as slot_start,
        toUInt8(bitAnd(bitShiftRight(slice_key, 16), 1)) as is_feed,
        arrayElement(['iOS', 'Android'], toUInt8(bitAnd(bitShiftRight(slice_key, 8), 255))) as os,
        arrayElement(['ads', 'organic'], toUInt8(bitAnd(slice_key, 255))) as source,
        users_state,
        view_events,
        like_events,
        message_events
    from known_slices
    union all
    select * from other_slices
),
-- one aggregation over three grouping sets (the whole app, per os, per source); grouping()
-- has a bit set for each of its arguments the set leaves out (standard SQL, pinned below).
measured as (
    select
        toDate(slot_start) as date,
        slot_start,
        multiIf(grouping(os, source) = 3, 'all', grouping(os, source) = 1, 'os', 'source') as slice_kind,
        multiIf(grouping(os, source) = 3, 'all', grouping(os, source) = 1, os, source) as slice_value,
        uniqExactMerge(users_state) as active_users,
        uniqExactMergeIf(users_state, is_feed = 1) as feed_users,
        sum(view_events) as feed_views,
        sum(like_events) as likes,
        sum(message_events) as messages,
        uniqExactMergeIf(users_state, is_feed = 0) as senders
    from fine
    group by grouping sets ((slot_start), (slot_start, os), (slot_start, source))
),
-- every slot of the day up to the newest one with data, for every slice seen that day: the
-- slice's measured slots become arrays, expanded to all the day's slots in one pass (a CTE
-- named twice is computed twice, and `measured` is the expensive part)
per_slice as (
    select
        date,
        slice_kind,
        slice_value,
        groupArray(slot_start) as slot_starts,
        groupArray((active_users, feed_users, feed_views, likes, messages, senders)) as slot_values,
        max(max(slot_start)) over (partition by date) as newest
    from measured
    group by date, slice_kind, slice_value
),
grid as (
    select
        date,
        slice_kind,
        slice_value,
        toDateTime(date) + toIntervalMinute(15 * slot) as slot_start,
        -- 0 for a slot without events: its metrics are the empty tuple's zeros
        slot_values[indexOf(slot_starts, slot_start)] as slot_value
    from per_slice
    array join range(96) as slot
    where slot_start <= newest
)
select
    date,
    slot_start,
    toUInt8(intDiv(toHour(slot_start) * 60 + toMinute(slot_start), 15)) as slot,
    slice_kind,
    slice_value,
    toUInt64(slot_value.1) as active_users,
    toUInt64(slot_value.2) as feed_users,
    toUInt64(slot_value.3) as feed_views,
    toUInt64(slot_value.4) as likes,
    if(slot_value.3 = 0, null, slot_value.4 / slot_value.3) as ctr,
    toUInt64(slot_value.5) as messages,
    toUInt64(slot_value.6) as senders
from grid
settings force_grouping_standard_compatibility = 1
;
alter table `analytics`.`intraday_slot_metrics`
            replace partition id '20250302' from `analytics`.`intraday_slot_metrics__dbt_new_data_<invocation>`
;
drop table if exists `analytics`.`intraday_slot_metrics__dbt_new_data_<invocation>`
;
