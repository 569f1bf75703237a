create table `analytics`.`fact_user_connections`
  (
    `date` Date,
    `sender_id` UInt32,
    `receiver_id` UInt32,
    `messages_count` UInt32
    )
  engine = MergeTree()
        order by ((date, sender_id, receiver_id))
        partition by (date)
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`fact_user_connections` ("date", "sender_id", "receiver_id", "messages_count")
          SELECT "date", "sender_id", "receiver_id", "messages_count"
          FROM (
with messages as (
    select * from `analytics`.`stg_message_actions`
    where (event_date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
final as (
    select
        event_date as date,
        sender_id,
        receiver_id,
        toUInt32(count()) as messages_count
    from messages
    group by event_date, sender_id, receiver_id
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
