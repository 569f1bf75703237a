create or replace view `analytics`.`stg_message_actions`
    ON CLUSTER "feedstar"
  as (
    -- One row per valid message up to the end of the load window (docs/contracts.md).
-- Attributes are the sender's.  Rows that break a rule in macros/source_rules.sql are left
-- out here and counted in stg_source_quality; exact duplicates are kept and counted.
with source as (
    select * from `events`.`message_actions`
),
valid as (
    select * from source
    where
        not (
        (user_id is null or user_id = 0) or
        (receiver_id is null or receiver_id = 0) or
        (toDate(time) < toDate('2020-01-01')) or
        (toDate(time) > toDate('2149-06-06'))
    )
        and toDate(time) <= toDate('2149-06-06')
),
final as (
    select
        time as event_time,
        toDate(time) as event_date,
        toUInt32(user_id) as sender_id,
        toUInt32(receiver_id) as receiver_id,
        toUInt8(gender) as gender,
        toUInt8(age) as age,
        os,
        source,
        country,
        nullIf(city, '') as city,
        toUInt8(exp_group) as exp_group
    from valid
)
select * from final
  )
                    -- end_of_sql
;
