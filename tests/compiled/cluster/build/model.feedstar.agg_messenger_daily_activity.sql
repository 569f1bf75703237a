create table `analytics`.`agg_messenger_daily_activity`
    ON CLUSTER "feedstar"
  (
    `date` Date,
    `gender` Nullable(UInt8),
    `age` Nullable(UInt8),
    `source` Nullable(String),
    `os` Nullable(String),
    `city` Nullable(String),
    `country` Nullable(String),
    `total_senders` UInt64,
    `total_receivers` UInt64,
    `receive_only_users` UInt64,
    `new_users_lifetime_0` UInt64,
    `users_lifetime_7d` UInt64,
    `new_messenger_users_7_days_ago` UInt64,
    `messages_sent` UInt64,
    `messages_received` UInt64,
    `avg_time_between_messages_sent` Nullable(Float64)
    )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by (date)
        partition by (toMonday(date))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_messenger_daily_activity` ("date", "gender", "age", "source", "os", "city", "country", "total_senders", "total_receivers", "receive_only_users", "new_users_lifetime_0", "users_lifetime_7d", "new_messenger_users_7_days_ago", "messages_sent", "messages_received", "avg_time_between_messages_sent")
          SELECT "date", "gender", "age", "source", "os", "city", "country", "total_senders", "total_receivers", "receive_only_users", "new_users_lifetime_0", "users_lifetime_7d", "new_messenger_users_7_days_ago", "messages_sent", "messages_received", "avg_time_between_messages_sent"
          FROM (
-- A row of day D counts D's senders and receivers, plus the senders who were new on D - 7
-- (new_messenger_users_7_days_ago): a load of [start, end] rebuilds [start, end + 7].
-- Receiving alone is not activity: receivers are counted, never as active users.
with activity as (
    select * from `analytics`.`int_user_daily_activity`
    where
        (is_messenger_active or is_receiver)
        and (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 13)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 7) + 6)
),
shifted as (
    select
        activity.date as activity_date,
        activity.user_id,
        activity.is_messenger_active as is_sender,
        activity.is_receiver,
        activity.is_feed_active or activity.is_messenger_active as is_active,
        activity.first_active_date,
        activity.messages_sent,
        activity.messages_received,
        activity.avg_time_between_messages_sent,
        activity.gender, activity.age, activity.source, activity.os, activity.city, activity.country,
        arrayJoin(if(activity.is_messenger_active and activity.date = activity.first_active_date, [0, 7], [0]))
            as shift_days,
        activity.date + shift_days as report_date
    from activity
),
final as (
    select
        report_date as date,
        gender, age, source, os, city, country,
        countIf(shift_days = 0 and is_sender) as total_senders,
        countIf(shift_days = 0 and is_receiver) as total_receivers,
        countIf(shift_days = 0 and is_receiver and not is_active) as receive_only_users,
        countIf(shift_days = 0 and is_sender and activity_date = first_active_date) as new_users_lifetime_0,
        countIf(shift_days = 0 and is_sender and activity_date - first_active_date = 7) as users_lifetime_7d,
        countIf(shift_days = 7) as new_messenger_users_7_days_ago,
        sumIf(messages_sent, shift_days = 0) as messages_sent,
        sumIf(messages_received, shift_days = 0) as messages_received,
        avgOrNullIf(avg_time_between_messages_sent, shift_days = 0) as avg_time_between_messages_sent
    from shifted
    where
        (report_date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 7) + 6)
        and report_date <= (select max(date) from `analytics`.`int_user_daily_activity`)
    group by report_date, gender, age, source, os, city, country
    having total_senders + total_receivers + new_messenger_users_7_days_ago > 0
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
