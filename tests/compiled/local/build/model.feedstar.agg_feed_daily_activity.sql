create table `analytics`.`agg_feed_daily_activity`
  (
    `date` Date,
    `gender` Nullable(UInt8),
    `age` Nullable(UInt8),
    `source` Nullable(String),
    `os` Nullable(String),
    `city` Nullable(String),
    `country` Nullable(String),
    `feed_users` UInt64,
    `feed_new_users_lifetime_0` UInt64,
    `feed_users_lifetime_7d` UInt64,
    `feed_new_users_7_days_ago` UInt64,
    `views` UInt64,
    `likes` UInt64,
    `posts` UInt64,
    `avg_view_to_like_seconds` Nullable(Float64)
    )
  engine = MergeTree()
        order by (date)
        partition by (toMonday(date))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_feed_daily_activity` ("date", "gender", "age", "source", "os", "city", "country", "feed_users", "feed_new_users_lifetime_0", "feed_users_lifetime_7d", "feed_new_users_7_days_ago", "views", "likes", "posts", "avg_view_to_like_seconds")
          SELECT "date", "gender", "age", "source", "os", "city", "country", "feed_users", "feed_new_users_lifetime_0", "feed_users_lifetime_7d", "feed_new_users_7_days_ago", "views", "likes", "posts", "avg_view_to_like_seconds"
          FROM (
-- A row of day D counts D's feed users, plus the users who were new on D - 7
-- (feed_new_users_7_days_ago): a load of [start, end] rebuilds [start, end + 7].
-- Lifetime is global (first activity anywhere, dim_users.first_active_date).
with activity as (
    select * from `analytics`.`int_user_daily_activity`
    where is_feed_active and (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 13)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 7) + 6)
),
shifted as (
    select
        activity.date as activity_date,
        activity.user_id,
        activity.first_active_date,
        activity.views,
        activity.likes,
        activity.posts,
        activity.avg_view_to_like_seconds,
        activity.gender, activity.age, activity.source, activity.os, activity.city, activity.country,
        arrayJoin(if(activity.date = activity.first_active_date, [0, 7], [0])) as shift_days,
        activity.date + shift_days as report_date
    from activity
),
final as (
    select
        report_date as date,
        gender, age, source, os, city, country,
        countIf(shift_days = 0) as feed_users,
        countIf(shift_days = 0 and activity_date = first_active_date) as feed_new_users_lifetime_0,
        countIf(shift_days = 0 and activity_date - first_active_date = 7) as feed_users_lifetime_7d,
        countIf(shift_days = 7) as feed_new_users_7_days_ago,
        sumIf(views, shift_days = 0) as views,
        sumIf(likes, shift_days = 0) as likes,
        sumIf(posts, shift_days = 0) as posts,
        -- mean over the slice's users who have one (NULL when none has)
        avgOrNullIf(avg_view_to_like_seconds, shift_days = 0) as avg_view_to_like_seconds
    from shifted
    where
        (report_date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 7) + 6)
        and report_date <= (select max(date) from `analytics`.`int_user_daily_activity`)
    group by report_date, gender, age, source, os, city, country
    having feed_users + feed_new_users_7_days_ago > 0
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
