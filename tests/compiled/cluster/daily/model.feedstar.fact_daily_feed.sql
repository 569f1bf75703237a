create database if not exists `analytics`
    ON CLUSTER "feedstar"
        ENGINE Atomic
;
drop table if exists `analytics`.`fact_daily_feed__dbt_view_tmp`
    ON CLUSTER "feedstar"
    SYNC
;
drop table if exists `analytics`.`fact_daily_feed__dbt_tmp`
    ON CLUSTER "feedstar"
    SYNC
;
create or replace view `analytics`.`fact_daily_feed__dbt_view_tmp`
    ON CLUSTER "feedstar"
  as (
with feed as (
    select * from `analytics`.`stg_feed_actions`
    where (event_date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
-- One row per (date, user): the day's counts and first/last times, and the user's events
-- as one sorted array of keys (macros/star_metrics.sql) in which every (user, post) pair's
-- views, then its likes, sit next to each other.  The pair-level numbers (distinct posts,
-- first view -> first like per pair) are then read off neighbouring elements, instead of
-- grouping the day's events a second time by (user, post): nearly every event is its own
-- pair, so that grouping cost more than everything else in the model.
user_days as (
    select
        event_date,
        user_id,
        toUInt32(countIf(action = 'view')) as views,
        toUInt32(countIf(action = 'like')) as likes,
        minIf(event_time, action = 'view') as day_first_view,
        maxIf(event_time, action = 'view') as day_last_view,
        minIf(event_time, action = 'like') as day_first_like,
        maxIf(event_time, action = 'like') as day_last_like,
        arraySort(groupArray(bitShiftLeft(toUInt64(post_id), 32)
    + bitShiftLeft(toUInt64(action = 'like'), 31)
    + toUInt64(toUnixTimestamp(event_time) - toUnixTimestamp(toStartOfDay(event_time))))) as event_keys
    from feed
    group by event_date, user_id
),
-- each event beside its predecessor: a key of 0 (post 0, which staging drops) before the first
user_events as (
    select
        *,
        arrayPushFront(arrayPopBack(event_keys), 0) as previous_keys,
        -- an event of another post than its predecessor opens a (user, post) pair: the pair's
        -- first view, or its first like when the pair has no view
        arrayMap(
            (k, previous) -> bitShiftRight(k, 32) != bitShiftRight(previous, 32),
            event_keys, previous_keys
        ) as opens_pair,
        -- each event beside the key of the event that opened its pair
        arrayFill((k, opens) -> opens, event_keys, opens_pair) as pair_opening_keys,
        -- a like right after a view of the same post is the first like of a pair that has a
        -- view (views sort first), and that pair was opened by its first view
        arrayMap(
            (k, previous) -> bitShiftRight(k, 32) = bitShiftRight(previous, 32)
            and toUInt8(bitAnd(bitShiftRight(k, 31), 1)) = 1
            and toUInt8(bitAnd(bitShiftRight(previous, 31), 1)) = 0,
            event_keys, previous_keys
        ) as is_first_like_after_view
    from user_days
),
-- (first like - first view) of every pair whose first like is not before its first view
user_pairs as (
    select
        *,
        arrayFilter(
            (gap, counted) -> counted and gap >= 0,
            arrayMap(
                (k, opening) -> toInt64(bitAnd(k, 2147483647)) - toInt64(bitAnd(opening, 2147483647)),
                event_keys, pair_opening_keys
            ),
            is_first_like_after_view
        ) as view_to_like_gaps
    from user_events
),
final as (
    select
        event_date as date,
        user_id,
        if(views > 0, day_first_view, null) as first_view_time,
        if(views > 0, day_last_view, null) as last_view_time,
        if(likes > 0, day_first_like, null) as first_like_time,
        if(likes > 0, day_last_like, null) as last_like_time,
        toUInt32(arrayCount(opens_pair)) as posts,
        views,
        likes,
        if(
        views > 1,
        (toFloat64(toUnixTimestamp(day_last_view)) - toFloat64(toUnixTimestamp(day_first_view)))
        / (views - 1),
        null
    ) as avg_time_between_views,
        if(
        likes > 1,
        (toFloat64(toUnixTimestamp(day_last_like)) - toFloat64(toUnixTimestamp(day_first_like)))
        / (likes - 1),
        null
    ) as avg_time_between_likes,
        -- each pair counts once (a mean over pairs, not over event rows)
        if(
            notEmpty(view_to_like_gaps),
            arraySum(view_to_like_gaps) / length(view_to_like_gaps),
            null
        ) as avg_view_to_like_seconds
    from user_pairs
)
select * from final
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
  )
;
drop table if exists `analytics`.`fact_daily_feed__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
    SYNC
;
drop table if exists `analytics`.`fact_daily_feed__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
    SYNC
;
drop table if exists `analytics`.`fact_daily_feed__dbt_distributed_new_data`
    ON CLUSTER "feedstar"
    SYNC
;
create database if not exists `analytics`
    ON CLUSTER "feedstar"
        ENGINE Atomic
;
create table `analytics`.`fact_daily_feed__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"  (
      date Date, user_id UInt32, first_view_time Nullable(DateTime), last_view_time Nullable(DateTime), first_like_time Nullable(DateTime), last_like_time Nullable(DateTime), posts UInt32, views UInt32, likes UInt32, avg_time_between_views Nullable(Float64), avg_time_between_likes Nullable(Float64), avg_view_to_like_seconds Nullable(Float64)
  )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/{shard}', '{replica}')
  order by ((date, user_id))
  partition by (date)
                    -- end_of_sql
;
create or replace table `analytics`.`fact_daily_feed__dbt_distributed_new_data`
    ON CLUSTER "feedstar"  as `analytics`.`fact_daily_feed__dbt_new_data_<invocation>`
    ENGINE = Distributed('feedstar', 'analytics', 'fact_daily_feed__dbt_new_data_<invocation>', cityHash64(user_id))
;
insert into `analytics`.`fact_daily_feed__dbt_distributed_new_data` ("date", "user_id", "first_view_time", "last_view_time", "first_like_time", "last_like_time", "posts", "views", "likes", "avg_time_between_views", "avg_time_between_likes", "avg_view_to_like_seconds")
with feed as (
    select * from `analytics`.`stg_feed_actions`
    where (event_date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
-- One row per (date, user): the day's counts and first/last times, and the user's events
-- as one sorted array of keys (macros/star_metrics.sql) in which every (user, post) pair's
-- views, then its likes, sit next to each other.  The pair-level numbers (distinct posts,
-- first view -> first like per pair) are then read off neighbouring elements, instead of
-- grouping the day's events a second time by (user, post): nearly every event is its own
-- pair, so that grouping cost more than everything else in the model.
user_days as (
    select
        event_date,
        user_id,
        toUInt32(countIf(action = 'view')) as views,
        toUInt32(countIf(action = 'like')) as likes,
        minIf(event_time, action = 'view') as day_first_view,
        maxIf(event_time, action = 'view') as day_last_view,
        minIf(event_time, action = 'like') as day_first_like,
        maxIf(event_time, action = 'like') as day_last_like,
        arraySort(groupArray(bitShiftLeft(toUInt64(post_id), 32)
    + bitShiftLeft(toUInt64(action = 'like'), 31)
    + toUInt64(toUnixTimestamp(event_time) - toUnixTimestamp(toStartOfDay(event_time))))) as event_keys
    from feed
    group by event_date, user_id
),
-- each event beside its predecessor: a key of 0 (post 0, which staging drops) before the first
user_events as (
    select
        *,
        arrayPushFront(arrayPopBack(event_keys), 0) as previous_keys,
        -- an event of another post than its predecessor opens a (user, post) pair: the pair's
        -- first view, or its first like when the pair has no view
        arrayMap(
            (k, previous) -> bitShiftRight(k, 32) != bitShiftRight(previous, 32),
            event_keys, previous_keys
        ) as opens_pair,
        -- each event beside the key of the event that opened its pair
        arrayFill((k, opens) -> opens, event_keys, opens_pair) as pair_opening_keys,
        -- a like right after a view of the same post is the first like of a pair that has a
        -- view (views sort first), and that pair was opened by its first view
        arrayMap(
            (k, previous) -> bitShiftRight(k, 32) = bitShiftRight(previous, 32)
            and toUInt8(bitAnd(bitShiftRight(k, 31), 1)) = 1
            and toUInt8(bitAnd(bitShiftRight(previous, 31), 1)) = 0,
            event_keys, previous_keys
        ) as is_first_like_after_view
    from user_days
),
-- (first like - first view) of every pair whose first like is not before its first view
user_pairs as (
    select
        *,
        arrayFilter(
            (gap, counted) -> counted and gap >= 0,
            arrayMap(
                (k, opening) -> toInt64(bitAnd(k, 2147483647)) - toInt64(bitAnd(opening, 2147483647)),
                event_keys, pair_opening_keys
            ),
            is_first_like_after_view
        ) as view_to_like_gaps
    from user_events
),
final as (
    select
        event_date as date,
        user_id,
        if(views > 0, day_first_view, null) as first_view_time,
        if(views > 0, day_last_view, null) as last_view_time,
        if(likes > 0, day_first_like, null) as first_like_time,
        if(likes > 0, day_last_like, null) as last_like_time,
        toUInt32(arrayCount(opens_pair)) as posts,
        views,
        likes,
        if(
        views > 1,
        (toFloat64(toUnixTimestamp(day_last_view)) - toFloat64(toUnixTimestamp(day_first_view)))
        / (views - 1),
        null
    ) as avg_time_between_views,
        if(
        likes > 1,
        (toFloat64(toUnixTimestamp(day_last_like)) - toFloat64(toUnixTimestamp(day_first_like)))
        / (likes - 1),
        null
    ) as avg_time_between_likes,
        -- each pair counts once (a mean over pairs, not over event rows)
        if(
            notEmpty(view_to_like_gaps),
            arraySum(view_to_like_gaps) / length(view_to_like_gaps),
            null
        ) as avg_view_to_like_seconds
    from user_pairs
)
select * from final
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
alter table `analytics`.`fact_daily_feed_local`
    ON CLUSTER "feedstar"
                replace partition id '20250302'
                from `analytics`.`fact_daily_feed__dbt_new_data_<invocation>`
                settings allow_replace_partition_from_empty_source = 1
;
drop table if exists `analytics`.`fact_daily_feed__dbt_distributed_new_data`
    ON CLUSTER "feedstar"
    SYNC
;
drop table if exists `analytics`.`fact_daily_feed__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
    SYNC
;
alter table `analytics`.`fact_daily_feed_local` on cluster "feedstar" drop partition id '20250301'
;
