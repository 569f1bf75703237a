-- The seed notebook's QUERY_FACT_DAILY_POSTS, unchanged in logic, for the benchmark; the day
-- filter is the load window instead of `<= yesterday()`.
with post_actions as (
    select
        user_id,
        post_id,
        action,
        time,
        lagInFrame(time) over (partition by post_id, toDate(time), action order by time) as prev_time,
        minIf(time, action = 'view') over (partition by toDate(time), post_id) as first_view_in_day,
        minIf(time, action = 'like') over (partition by toDate(time), post_id) as first_like_in_day
    from {{ source('product', 'feed_actions') }}
    where toDate(time) between {{ load_window_start() }} and {{ load_window_end() }}
)

select
    toDate(time) as date,
    post_id,
    min(time) as first_action_time,
    max(time) as last_action_time,
    countIf(action = 'view') as views,
    countIf(action = 'like') as likes,
    uniqIf(user_id, action = 'view') as unique_viewers,
    uniqIf(user_id, action = 'like') as unique_likers,
    avgIf(time - prev_time, action = 'view' and prev_time != toDateTime(0)) as avg_time_between_views,
    avgIf(time - prev_time, action = 'like' and prev_time != toDateTime(0)) as avg_time_between_likes,
    avgIf(
        first_like_in_day - first_view_in_day,
        first_like_in_day != toDateTime(0)
        and first_view_in_day != toDateTime(0)
        and first_like_in_day >= first_view_in_day
    ) as avg_view_to_like_seconds
from post_actions
group by date, post_id
order by date, post_id
