create database if not exists `analytics`
    ON CLUSTER "feedstar"
        ENGINE Atomic
;
drop table if exists `analytics`.`fact_daily_posts__dbt_view_tmp`
    ON CLUSTER "feedstar"
    SYNC
;
drop table if exists `analytics`.`fact_daily_posts__dbt_tmp`
    ON CLUSTER "feedstar"
    SYNC
;
create or replace view `analytics`.`fact_daily_posts__dbt_view_tmp`
    ON CLUSTER "feedstar"
  as (
with feed as (
    select * from `analytics`.`stg_feed_actions`
    where (event_date between toDate('1970-03-02' /*feedstar:window_start*/) and toDate('2149-01-01' /*feedstar:window_end*/))
),
-- one row per (date, post, action): grouping by the action once is cheaper than a -If
-- variant of every aggregate; the distinct users are exact (the array's distinct count is
-- faster than uniqExact's hash sets, which grow row by row and are merged across threads)
post_actions as (
    select
        event_date,
        post_id,
        action = 'like' as is_like,
        count() as actions,
        min(event_time) as first_time,
        max(event_time) as last_time,
        arrayUniq(groupArray(user_id)) as users
    from feed
    group by event_date, post_id, is_like
),
post_days as (
    select
        event_date,
        post_id,
        min(first_time) as first_action,
        max(last_time) as last_action,
        toUInt32(sumIf(actions, not is_like)) as views,
        toUInt32(sumIf(actions, is_like)) as likes,
        toUInt32(sumIf(users, not is_like)) as unique_viewers,
        toUInt32(sumIf(users, is_like)) as unique_likers,
        minIf(first_time, not is_like) as first_view,
        maxIf(last_time, not is_like) as last_view,
        minIf(first_time, is_like) as first_like,
        maxIf(last_time, is_like) as last_like
    from post_actions
    group by event_date, post_id
),
final as (
    select
        event_date as date,
        post_id,
        first_action as first_action_time,
        last_action as last_action_time,
        views,
        likes,
        unique_viewers,
        unique_likers,
        if(
        views > 1,
        (toFloat64(toUnixTimestamp(last_view)) - toFloat64(toUnixTimestamp(first_view)))
        / (views - 1),
        null
    ) as avg_time_between_views,
        if(
        likes > 1,
        (toFloat64(toUnixTimestamp(last_like)) - toFloat64(toUnixTimestamp(first_like)))
        / (likes - 1),
        null
    ) as avg_time_between_likes,
        -- the seed's definition: the post's first like of the day after its first view
        if(
            views > 0 and likes > 0 and first_like >= first_view,
            toFloat64(toUnixTimestamp(first_like)) - toFloat64(toUnixTimestamp(first_view)),
            null
        ) as avg_view_to_like_seconds
    from post_days
)
select * from final
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
  )
;
drop table if exists `analytics`.`fact_daily_posts_local`
    ON CLUSTER "feedstar"
    SYNC
;
drop table if exists `analytics`.`fact_daily_posts`
    ON CLUSTER "feedstar"
    SYNC
;
create database if not exists `analytics`
    ON CLUSTER "feedstar"
        ENGINE Atomic
;
create table `analytics`.`fact_daily_posts_local`
    ON CLUSTER "feedstar"  (
      date Date, post_id UInt32, first_action_time DateTime, last_action_time DateTime, views UInt32, likes UInt32, unique_viewers UInt32, unique_likers UInt32, avg_time_between_views Nullable(Float64), avg_time_between_likes Nullable(Float64), avg_view_to_like_seconds Nullable(Float64)
  )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/{shard}', '{replica}')
  order by ((date, post_id))
  partition by (date)
                    -- end_of_sql
;
create or replace table `analytics`.`fact_daily_posts`
    ON CLUSTER "feedstar"  as `analytics`.`fact_daily_posts_local`
    ENGINE = Distributed('feedstar', 'analytics', 'fact_daily_posts_local', cityHash64(post_id))
;
insert into `analytics`.`fact_daily_posts` ("date", "post_id", "first_action_time", "last_action_time", "views", "likes", "unique_viewers", "unique_likers", "avg_time_between_views", "avg_time_between_likes", "avg_view_to_like_seconds")
          SELECT "date", "post_id", "first_action_time", "last_action_time", "views", "likes", "unique_viewers", "unique_likers", "avg_time_between_views", "avg_time_between_likes", "avg_view_to_like_seconds"
          FROM (
with feed as (
    select * from `analytics`.`stg_feed_actions`
    where (event_date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
-- one row per (date, post, action): grouping by the action once is cheaper than a -If
-- variant of every aggregate; the distinct users are exact (the array's distinct count is
-- faster than uniqExact's hash sets, which grow row by row and are merged across threads)
post_actions as (
    select
        event_date,
        post_id,
        action = 'like' as is_like,
        count() as actions,
        min(event_time) as first_time,
        max(event_time) as last_time,
        arrayUniq(groupArray(user_id)) as users
    from feed
    group by event_date, post_id, is_like
),
post_days as (
    select
        event_date,
        post_id,
        min(first_time) as first_action,
        max(last_time) as last_action,
        toUInt32(sumIf(actions, not is_like)) as views,
        toUInt32(sumIf(actions, is_like)) as likes,
        toUInt32(sumIf(users, not is_like)) as unique_viewers,
        toUInt32(sumIf(users, is_like)) as unique_likers,
        minIf(first_time, not is_like) as first_view,
        maxIf(last_time, not is_like) as last_view,
        minIf(first_time, is_like) as first_like,
        maxIf(last_time, is_like) as last_like
    from post_actions
    group by event_date, post_id
),
final as (
    select
        event_date as date,
        post_id,
        first_action as first_action_time,
        last_action as last_action_time,
        views,
        likes,
        unique_viewers,
        unique_likers,
        if(
        views > 1,
        (toFloat64(toUnixTimestamp(last_view)) - toFloat64(toUnixTimestamp(first_view)))
        / (views - 1),
        null
    ) as avg_time_between_views,
        if(
        likes > 1,
        (toFloat64(toUnixTimestamp(last_like)) - toFloat64(toUnixTimestamp(first_like)))
        / (likes - 1),
        null
    ) as avg_time_between_likes,
        -- the seed's definition: the post's first like of the day after its first view
        if(
            views > 0 and likes > 0 and first_like >= first_view,
            toFloat64(toUnixTimestamp(first_like)) - toFloat64(toUnixTimestamp(first_view)),
            null
        ) as avg_view_to_like_seconds
    from post_days
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
