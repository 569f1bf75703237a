create table `analytics`.`int_user_daily_activity`
  (
    `date` Date,
    `user_id` UInt32,
    `is_feed_active` UInt8,
    `is_messenger_active` UInt8,
    `is_receiver` UInt8,
    `views` UInt64,
    `likes` UInt64,
    `posts` UInt64,
    `messages_sent` UInt64,
    `messages_received` UInt64,
    `avg_view_to_like_seconds` Nullable(Float64),
    `avg_time_between_messages_sent` Nullable(Float64),
    `first_active_date` Nullable(Date),
    `first_feed_date` Nullable(Date),
    `first_messenger_date` Nullable(Date),
    `gender` Nullable(UInt8),
    `age` Nullable(UInt8),
    `source` Nullable(String),
    `os` Nullable(String),
    `country` Nullable(String),
    `city` Nullable(String),
    `exp_group` Nullable(UInt8),
    `age_bucket` String
    )
  engine = MergeTree()
        order by ((date, user_id))
        partition by (date)
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`int_user_daily_activity` ("date", "user_id", "is_feed_active", "is_messenger_active", "is_receiver", "views", "likes", "posts", "messages_sent", "messages_received", "avg_view_to_like_seconds", "avg_time_between_messages_sent", "first_active_date", "first_feed_date", "first_messenger_date", "gender", "age", "source", "os", "country", "city", "exp_group", "age_bucket")
          SELECT "date", "user_id", "is_feed_active", "is_messenger_active", "is_receiver", "views", "likes", "posts", "messages_sent", "messages_received", "avg_view_to_like_seconds", "avg_time_between_messages_sent", "first_active_date", "first_feed_date", "first_messenger_date", "gender", "age", "source", "os", "country", "city", "exp_group", "age_bucket"
          FROM (
-- Partitioned by day, not by week like the marts: day D depends on day D only, so a daily
-- load rebuilds its window's days (lookback included) rather than whole weeks of user-days.
-- A window day left without facts (its source rows vanished) loses its partition (post-hook)
-- instead of keeping stale rows.
with feed as (
    select * from `analytics`.`fact_daily_feed`
    where (date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
messenger as (
    select * from `analytics`.`fact_daily_messenger`
    where (date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
-- the attributes each user had that day (their latest event's); NULL for receive-only
day_attributes as (
    select * from `analytics`.`int_user_daily_attributes`
    where (date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
-- only the window's users: a daily load then reads a day's users, not all of history's
users as (
    select * from `analytics`.`dim_users` final
    where user_id in (
        select feed.user_id from feed
        union distinct
        select messenger.user_id from messenger
    )
),
-- One row per (date, user) from each fact; a union (not a full join) keeps NULLs NULL.
feed_and_messenger as (
    select
        date,
        user_id,
        toUInt64(views) as views,
        toUInt64(likes) as likes,
        toUInt64(posts) as posts,
        avg_view_to_like_seconds,
        toUInt64(0) as messages_sent,
        toUInt64(0) as messages_received,
        cast(null as Nullable(Float64)) as avg_time_between_messages_sent
    from feed
    union all
    select
        date,
        user_id,
        toUInt64(0) as views,
        toUInt64(0) as likes,
        toUInt64(0) as posts,
        cast(null as Nullable(Float64)) as avg_view_to_like_seconds,
        toUInt64(messages_sent) as messages_sent,
        toUInt64(messages_received) as messages_received,
        avg_time_between_messages_sent
    from messenger
),
user_days as (
    select
        date,
        user_id,
        sum(views) as views,
        sum(likes) as likes,
        sum(posts) as posts,
        sum(messages_sent) as messages_sent,
        sum(messages_received) as messages_received,
        -- each average comes from exactly one of the two facts; max() skips the other's NULL
        max(avg_view_to_like_seconds) as avg_view_to_like_seconds,
        max(avg_time_between_messages_sent) as avg_time_between_messages_sent
    from feed_and_messenger
    group by date, user_id
),
-- ClickHouse names a joined table's qualified column `table.column`; the aliases
-- give the columns their plain names, so they are not self-aliases here.
-- noqa: disable=AL09
final as (
    select
        user_days.date as date,
        user_days.user_id as user_id,
        toUInt8(user_days.views + user_days.likes > 0) as is_feed_active,
        toUInt8(user_days.messages_sent > 0) as is_messenger_active,
        toUInt8(user_days.messages_received > 0) as is_receiver,
        user_days.views as views,
        user_days.likes as likes,
        user_days.posts as posts,
        user_days.messages_sent as messages_sent,
        user_days.messages_received as messages_received,
        user_days.avg_view_to_like_seconds as avg_view_to_like_seconds,
        user_days.avg_time_between_messages_sent as avg_time_between_messages_sent,
        -- first days as known on the row's date: a receive-only row of a user who becomes
        -- active later gets NULL, so it is the same whether built then or rebuilt later
        if(users.first_active_date <= user_days.date, users.first_active_date, null) as first_active_date,
        if(users.first_feed_date <= user_days.date, users.first_feed_date, null) as first_feed_date,
        if(users.first_messenger_date <= user_days.date, users.first_messenger_date, null) as first_messenger_date,
        -- Slices use the attributes the user had that day (the source's events carry the
        -- acting user's attributes as of the event), so a day's slices never change when a
        -- user later moves city or changes os. Receive-only users have none (NULL).
        day_attributes.gender as gender,
        day_attributes.age as age,
        day_attributes.source as source,
        day_attributes.os as os,
        day_attributes.country as country,
        day_attributes.city as city,
        day_attributes.exp_group as exp_group,
        multiIf(
        day_attributes.age is null, 'unknown',
        day_attributes.age < 18, '0-17',
        day_attributes.age < 25, '18-24',
        day_attributes.age < 35, '25-34',
        day_attributes.age < 45, '35-44',
        day_attributes.age < 55, '45-54',
        '55+'
    ) as age_bucket
    from user_days
    left join users on user_days.user_id = users.user_id
    left join day_attributes
        on user_days.date = day_attributes.date and user_days.user_id = day_attributes.user_id
)
-- noqa: enable=AL09
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
