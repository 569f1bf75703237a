create table `analytics`.`agg_engagement_daily__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
  (
    `date` Date,
    `active_users` UInt64,
    `feed_users` UInt64,
    `senders` UInt64,
    `views` UInt64,
    `likes` UInt64,
    `posts` UInt64,
    `messages_sent` UInt64,
    `ctr` Nullable(Float64),
    `views_per_user` Nullable(Float64),
    `likes_per_user` Nullable(Float64),
    `posts_per_user` Nullable(Float64),
    `messages_per_sender` Nullable(Float64),
    `avg_view_to_like_seconds` Nullable(Float64),
    `connections` UInt64
    )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by (date)
        partition by (toMonday(date))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_engagement_daily__dbt_new_data_<invocation>` ("date", "active_users", "feed_users", "senders", "views", "likes", "posts", "messages_sent", "ctr", "views_per_user", "likes_per_user", "posts_per_user", "messages_per_sender", "avg_view_to_like_seconds", "connections")
          SELECT "date", "active_users", "feed_users", "senders", "views", "likes", "posts", "messages_sent", "ctr", "views_per_user", "likes_per_user", "posts_per_user", "messages_per_sender", "avg_view_to_like_seconds", "connections"
          FROM (
-- Per-day engagement. Every number of day D comes from day D alone, so a load of
-- [start, end] rebuilds exactly those days.
with activity as (
    select * from `analytics`.`int_user_daily_activity`
    where (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 0) + 6)
),
connections as (
    select * from `analytics`.`fact_user_connections`
    where (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 0) + 6)
),
daily_connections as (
    -- one fact row per (date, sender, receiver): its row count is the day's distinct pairs
    select
        date,
        count() as connections
    from connections
    group by date
),
engagement as (
    select
        date,
        countIf(is_feed_active or is_messenger_active) as active_users,
        countIf(is_feed_active) as feed_users,
        countIf(is_messenger_active) as senders,
        sum(views) as views,
        sum(likes) as likes,
        sum(posts) as posts,
        sum(messages_sent) as messages_sent,
        if(views = 0, null, likes / views) as ctr,
        if(feed_users = 0, null, views / feed_users) as views_per_user,
        if(feed_users = 0, null, likes / feed_users) as likes_per_user,
        if(feed_users = 0, null, posts / feed_users) as posts_per_user,
        if(senders = 0, null, messages_sent / senders) as messages_per_sender,
        -- mean over feed users who have one (each user's own mean over their posts)
        avgOrNull(avg_view_to_like_seconds) as avg_view_to_like_seconds
    from activity
    group by date
),
final as (
    select
        engagement.date,
        engagement.active_users,
        engagement.feed_users,
        engagement.senders,
        engagement.views,
        engagement.likes,
        engagement.posts,
        engagement.messages_sent,
        engagement.ctr,
        engagement.views_per_user,
        engagement.likes_per_user,
        engagement.posts_per_user,
        engagement.messages_per_sender,
        engagement.avg_view_to_like_seconds,
        -- no message that day: no fact row, so 0 (join_use_nulls = 0 fills the default)
        daily_connections.connections
    from engagement
    left join daily_connections on engagement.date = daily_connections.date
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
alter table `analytics`.`agg_engagement_daily`
            replace partition id '20250224' from `analytics`.`agg_engagement_daily__dbt_new_data_<invocation>`
;
drop table if exists `analytics`.`agg_engagement_daily__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
    SYNC
;
