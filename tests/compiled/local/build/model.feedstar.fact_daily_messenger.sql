create table `analytics`.`fact_daily_messenger`
  (
    `date` Date,
    `user_id` UInt32,
    `first_sent_time` Nullable(DateTime),
    `last_sent_time` Nullable(DateTime),
    `users_sent` UInt32,
    `messages_sent` UInt32,
    `avg_time_between_messages_sent` Nullable(Float64),
    `first_received_time` Nullable(DateTime),
    `last_received_time` Nullable(DateTime),
    `users_received` UInt32,
    `messages_received` UInt32,
    `avg_time_between_messages_received` Nullable(Float64)
    )
  engine = MergeTree()
        order by ((date, user_id))
        partition by (date)
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`fact_daily_messenger` ("date", "user_id", "first_sent_time", "last_sent_time", "users_sent", "messages_sent", "avg_time_between_messages_sent", "first_received_time", "last_received_time", "users_received", "messages_received", "avg_time_between_messages_received")
          SELECT "date", "user_id", "first_sent_time", "last_sent_time", "users_sent", "messages_sent", "avg_time_between_messages_sent", "first_received_time", "last_received_time", "users_received", "messages_received", "avg_time_between_messages_received"
          FROM (
with messages as (
    select * from `analytics`.`stg_message_actions`
    where (event_date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
-- each message twice: once for its sender (is_sent = 1), once for its receiver; grouping
-- by user then puts a user's two sides in one row (no FULL JOIN, so no default-value
-- zeros standing in for "absent").  A message to oneself counts on both sides.
message_sides as (
    select
        event_date,
        event_time,
        side.1 as user_id,
        side.2 as counterpart_id,
        side.3 as is_sent
    from messages
    array join [(sender_id, receiver_id, 1), (receiver_id, sender_id, 0)] as side
),
-- distinct counterparts are exact: an array's distinct count, as in fact_daily_posts
user_days as (
    select
        event_date,
        user_id,
        toUInt32(countIf(is_sent = 1)) as messages_sent,
        toUInt32(arrayUniq(groupArrayIf(counterpart_id, is_sent = 1))) as users_sent,
        minIf(event_time, is_sent = 1) as first_sent,
        maxIf(event_time, is_sent = 1) as last_sent,
        toUInt32(countIf(is_sent = 0)) as messages_received,
        -- distinct senders (the seed's alias shadowing made this 1 for every row)
        toUInt32(arrayUniq(groupArrayIf(counterpart_id, is_sent = 0))) as users_received,
        minIf(event_time, is_sent = 0) as first_received,
        maxIf(event_time, is_sent = 0) as last_received
    from message_sides
    group by event_date, user_id
),
final as (
    select
        event_date as date,
        user_id,
        if(messages_sent > 0, first_sent, null) as first_sent_time,
        if(messages_sent > 0, last_sent, null) as last_sent_time,
        users_sent,
        messages_sent,
        if(
        messages_sent > 1,
        (toFloat64(toUnixTimestamp(last_sent)) - toFloat64(toUnixTimestamp(first_sent)))
        / (messages_sent - 1),
        null
    ) as avg_time_between_messages_sent,
        if(messages_received > 0, first_received, null) as first_received_time,
        if(messages_received > 0, last_received, null) as last_received_time,
        users_received,
        messages_received,
        if(
        messages_received > 1,
        (toFloat64(toUnixTimestamp(last_received)) - toFloat64(toUnixTimestamp(first_received)))
        / (messages_received - 1),
        null
    ) as avg_time_between_messages_received
    from user_days
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
