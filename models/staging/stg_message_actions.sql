-- One row per valid message up to the end of the load window (docs/contracts.md).
-- Attributes are the sender's.  Rows that break a rule in macros/source_rules.sql are left
-- out here and counted in stg_source_quality; exact duplicates are kept and counted.
with source as (
    select * from {{ source('product', 'message_actions') }}
),

valid as (
    select * from source
    where
        {{ breaks_no_rule(message_action_rules()) }}
        and toDate(time) <= {{ load_window_end() }}
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
