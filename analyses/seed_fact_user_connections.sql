-- The seed notebook's QUERY_FACT_USER_CONNECTIONS, for the benchmark; the day filter is the
-- load window instead of `<= yesterday()`.
select
    toDate(time) as date,
    user_id as sender_id,
    receiver_id,
    count() as messages_count
from {{ source('product', 'message_actions') }}
where toDate(time) between {{ load_window_start() }} and {{ load_window_end() }}
group by date, sender_id, receiver_id
order by date, sender_id, receiver_id
