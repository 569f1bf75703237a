-- For each day of the load window: messages sent = messages received = the messages in
-- fact_user_connections = the valid source messages (stg_message_actions).
with source_days as (
    select
        event_date as date,
        count() as source_messages
    from {{ ref('stg_message_actions') }}
    where event_date between {{ load_window_start() }} and {{ load_window_end() }}
    group by event_date
),

messenger_days as (
    select
        date,
        sum(messages_sent) as messages_sent,
        sum(messages_received) as messages_received
    from {{ ref('fact_daily_messenger') }}
    where date between {{ load_window_start() }} and {{ load_window_end() }}
    group by date
),

connection_days as (
    select
        date,
        sum(messages_count) as connection_messages
    from {{ ref('fact_user_connections') }}
    where date between {{ load_window_start() }} and {{ load_window_end() }}
    group by date
),

all_days as (
    select date from source_days
    union distinct
    select date from messenger_days
    union distinct
    select date from connection_days
),

final as (
    select
        all_days.date,
        coalesce(source_days.source_messages, 0) as source_messages,
        coalesce(messenger_days.messages_sent, 0) as messages_sent,
        coalesce(messenger_days.messages_received, 0) as messages_received,
        coalesce(connection_days.connection_messages, 0) as connection_messages
    from all_days
    left join source_days on all_days.date = source_days.date
    left join messenger_days on all_days.date = messenger_days.date
    left join connection_days on all_days.date = connection_days.date
)

select * from final
where
    source_messages != messages_sent
    or source_messages != messages_received
    or source_messages != connection_messages
