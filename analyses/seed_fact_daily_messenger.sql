-- The seed notebook's QUERY_FACT_DAILY_MESSENGER, unchanged in logic (the users_received
-- alias bug and the FULL JOIN defaults included), for the benchmark; the day filter is the
-- load window instead of `<= yesterday()`.
with user_actions as (
    select
        time,
        user_id,
        receiver_id,
        lagInFrame(time) over (partition by toDate(time), user_id order by time) as user_prev_time,
        lagInFrame(time) over (partition by toDate(time), receiver_id order by time) as receiver_prev_time
    from {{ source('product', 'message_actions') }}
    where toDate(time) between {{ load_window_start() }} and {{ load_window_end() }}
),

senders as (
    select
        toDate(time) as date,
        user_id,
        min(time) as first_sent_time,
        max(time) as last_sent_time,
        uniq(receiver_id) as users_sent,
        count() as messages_sent,
        avgIf(time - user_prev_time, user_prev_time != toDateTime(0)) as avg_time_between_messages_sent
    from user_actions
    group by date, user_id
),

receivers as (
    select
        toDate(time) as date,
        receiver_id as user_id,
        min(time) as first_received_time,
        max(time) as last_received_time,
        uniq(user_id) as users_received,
        count() as messages_received,
        avgIf(time - receiver_prev_time, receiver_prev_time != toDateTime(0)) as avg_time_between_messages_received
    from user_actions
    group by date, receiver_id
)

select
    if(s.user_id != 0, s.date, r.date) as date,
    if(s.user_id != 0, s.user_id, r.user_id) as user_id,
    s.first_sent_time,
    s.last_sent_time,
    s.users_sent,
    s.messages_sent,
    s.avg_time_between_messages_sent,
    r.first_received_time,
    r.last_received_time,
    r.users_received,
    r.messages_received,
    r.avg_time_between_messages_received
from senders as s
full join receivers as r on s.date = r.date and s.user_id = r.user_id
order by date, user_id
