{#- incremental by date partition: the folder's config in dbt_project.yml -#}
{{ config(
    order_by='(date, user_id)',
    post_hook="{{ drop_vanished_partitions('date', [(ref('stg_message_actions'), 'event_date')]) }}",
) }}

with messages as (
    select * from {{ ref('stg_message_actions') }}
    where {{ load_window_filter('event_date') }}
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
        {{ time_if_any('first_sent', 'messages_sent') }} as first_sent_time,
        {{ time_if_any('last_sent', 'messages_sent') }} as last_sent_time,
        users_sent,
        messages_sent,
        {{ gap_average('last_sent', 'first_sent', 'messages_sent') }} as avg_time_between_messages_sent,
        {{ time_if_any('first_received', 'messages_received') }} as first_received_time,
        {{ time_if_any('last_received', 'messages_received') }} as last_received_time,
        users_received,
        messages_received,
        {{ gap_average('last_received', 'first_received', 'messages_received') }} as avg_time_between_messages_received
    from user_days
)

select * from final
