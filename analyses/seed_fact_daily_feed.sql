-- The seed notebook's QUERY_FACT_DAILY_FEED, unchanged in logic (defects included), for the
-- benchmark (bench/bench_star.py).  Only the day filter differs: the seed's
-- `toDate(time) <= yesterday()` becomes the load window, so both sides compute the same day.
-- Keywords are lower-cased and aliases made explicit for sqlfluff; nothing else changed.
with user_actions as (
    select
        user_id,
        post_id,
        action,
        time,
        lagInFrame(time) over (partition by user_id, toDate(time), action order by time) as prev_time,
        minIf(time, action = 'view') over (partition by user_id, toDate(time), post_id) as first_view_in_day,
        minIf(time, action = 'like') over (partition by user_id, toDate(time), post_id) as first_like_in_day
    from {{ source('product', 'feed_actions') }}
    where toDate(time) between {{ load_window_start() }} and {{ load_window_end() }}
)

select
    toDate(time) as date,
    user_id,
    minIf(time, action = 'view') as first_view_time,
    minIf(time, action = 'like') as first_like_time,
    maxIf(time, action = 'view') as last_view_time,
    maxIf(time, action = 'like') as last_like_time,
    uniq(post_id) as posts,
    countIf(action = 'view') as views,
    countIf(action = 'like') as likes,
    avgIf(time - prev_time, action = 'view' and prev_time != toDateTime(0)) as avg_time_between_views,
    avgIf(time - prev_time, action = 'like' and prev_time != toDateTime(0)) as avg_time_between_likes,
    avgIf(
        first_like_in_day - first_view_in_day,
        first_like_in_day != toDateTime(0)
        and first_view_in_day != toDateTime(0)
        and first_like_in_day >= first_view_in_day
    ) as avg_view_to_like_seconds
from user_actions
group by date, user_id
order by date, user_id
