create database if not exists `analytics`
    ON CLUSTER "feedstar"
        ENGINE Atomic
;
drop table if exists `analytics`.`fact_user_connections__dbt_view_tmp`
    ON CLUSTER "feedstar"
    SYNC
;
drop table if exists `analytics`.`fact_user_connections__dbt_tmp`
    ON CLUSTER "feedstar"
    SYNC
;
create or replace view `analytics`.`fact_user_connections__dbt_view_tmp`
    ON CLUSTER "feedstar"
  as (
with messages as (
    select * from `analytics`.`stg_message_actions`
    where (event_date between toDate('1970-03-02' /*feedstar:window_start*/) and toDate('2149-01-01' /*feedstar:window_end*/))
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
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
  )
;
drop table if exists `analytics`.`fact_user_connections_local`
    ON CLUSTER "feedstar"
    SYNC
;
drop table if exists `analytics`.`fact_user_connections`
    ON CLUSTER "feedstar"
    SYNC
;
create database if not exists `analytics`
    ON CLUSTER "feedstar"
        ENGINE Atomic
;
create table `analytics`.`fact_user_connections_local`
    ON CLUSTER "feedstar"  (
      date Date, sender_id UInt32, receiver_id UInt32, messages_count UInt32
  )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/{shard}', '{replica}')
  order by ((date, sender_id, receiver_id))
  partition by (date)
                    -- end_of_sql
;
create or replace table `analytics`.`fact_user_connections`
    ON CLUSTER "feedstar"  as `analytics`.`fact_user_connections_local`
    ENGINE = Distributed('feedstar', 'analytics', 'fact_user_connections_local', cityHash64(sender_id))
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
