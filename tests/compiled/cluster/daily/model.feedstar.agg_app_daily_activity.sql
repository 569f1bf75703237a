create table `analytics`.`agg_app_daily_activity__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
  (
    `date` Date,
    `gender` Nullable(UInt8),
    `age` Nullable(UInt8),
    `source` Nullable(String),
    `os` Nullable(String),
    `city` Nullable(String),
    `country` Nullable(String),
    `total_users` UInt64,
    `feed_only_users` UInt64,
    `messenger_only_users` UInt64,
    `both_services_users` UInt64,
    `feed_users` UInt64,
    `messenger_users` UInt64,
    `receive_only_users` UInt64,
    `new_users_lifetime_0` UInt64,
    `users_lifetime_7d` UInt64,
    `new_users_7_days_ago` UInt64,
    `views` UInt64,
    `likes` UInt64,
    `posts` UInt64,
    `messages_sent` UInt64
    )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by (date)
        partition by (toMonday(date))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_app_daily_activity__dbt_new_data_<invocation>` ("date", "gender", "age", "source", "os", "city", "country", "total_users", "feed_only_users", "messenger_only_users", "both_services_users", "feed_users", "messenger_users", "receive_only_users", "new_users_lifetime_0", "users_lifetime_7d", "new_users_7_days_ago", "views", "likes", "posts", "messages_sent")
          SELECT "date", "gender", "age", "source", "os", "city", "country", "total_users", "feed_only_users", "messenger_only_users", "both_services_users", "feed_users", "messenger_users", "receive_only_users", "new_users_lifetime_0", "users_lifetime_7d", "new_users_7_days_ago", "views", "likes", "posts", "messages_sent"
          FROM (
-- A row of day D counts D's users, plus the users who were new on D - 7 (the
-- new_users_7_days_ago column): a load of [start, end] rebuilds [start, end + 7].
with activity as (
    select * from `analytics`.`int_user_daily_activity`
    where (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 13)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 7) + 6)
),
-- Each user-day row is reported on its own date (shift 0); a new user's first day also
-- seven days later (shift 7), for new_users_7_days_ago.
shifted as (
    select
        activity.date as activity_date,
        activity.user_id,
        activity.is_feed_active,
        activity.is_messenger_active,
        activity.is_receiver,
        activity.is_feed_active or activity.is_messenger_active as is_active,
        activity.first_active_date,
        activity.views,
        activity.likes,
        activity.posts,
        activity.messages_sent,
        activity.gender, activity.age, activity.source, activity.os, activity.city, activity.country,
        arrayJoin(if((activity.is_feed_active or activity.is_messenger_active) and activity.date = activity.first_active_date, [0, 7], [0])) as shift_days,
        activity.date + shift_days as report_date
    from activity
),
final as (
    select
        report_date as date,
        gender, age, source, os, city, country,
        countIf(shift_days = 0 and is_active) as total_users,
        countIf(shift_days = 0 and is_feed_active and not is_messenger_active) as feed_only_users,
        countIf(shift_days = 0 and is_messenger_active and not is_feed_active) as messenger_only_users,
        countIf(shift_days = 0 and is_feed_active and is_messenger_active) as both_services_users,
        countIf(shift_days = 0 and is_feed_active) as feed_users,
        countIf(shift_days = 0 and is_messenger_active) as messenger_users,
        countIf(shift_days = 0 and is_receiver and not is_active) as receive_only_users,
        countIf(shift_days = 0 and is_active and activity_date = first_active_date) as new_users_lifetime_0,
        countIf(shift_days = 0 and is_active and activity_date - first_active_date = 7) as users_lifetime_7d,
        countIf(shift_days = 7) as new_users_7_days_ago,
        sumIf(views, shift_days = 0) as views,
        sumIf(likes, shift_days = 0) as likes,
        sumIf(posts, shift_days = 0) as posts,
        sumIf(messages_sent, shift_days = 0) as messages_sent
    from shifted
    where
        (report_date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 7) + 6)
        and report_date <= (select max(date) from `analytics`.`int_user_daily_activity`)
    group by report_date, gender, age, source, os, city, country
    -- a slice whose only users were receive-only 7 days ago has nothing to report
    having total_users + receive_only_users + new_users_7_days_ago > 0
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
alter table `analytics`.`agg_app_daily_activity`
            replace partition id '20250224' from `analytics`.`agg_app_daily_activity__dbt_new_data_<invocation>`
;
drop table if exists `analytics`.`agg_app_daily_activity__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
    SYNC
;
