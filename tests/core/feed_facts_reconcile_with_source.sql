-- For each day of the load window: views and likes in fact_daily_feed and in
-- fact_daily_posts equal the valid source events (stg_feed_actions).  Fails with the
-- days where any of the five numbers disagree.
with source_days as (
    select
        event_date as date,
        countIf(action = 'view') as source_views,
        countIf(action = 'like') as source_likes
    from {{ ref('stg_feed_actions') }}
    where event_date between {{ load_window_start() }} and {{ load_window_end() }}
    group by event_date
),

user_fact_days as (
    select
        date,
        sum(views) as user_fact_views,
        sum(likes) as user_fact_likes
    from {{ ref('fact_daily_feed') }}
    where date between {{ load_window_start() }} and {{ load_window_end() }}
    group by date
),

post_fact_days as (
    select
        date,
        sum(views) as post_fact_views,
        sum(likes) as post_fact_likes
    from {{ ref('fact_daily_posts') }}
    where date between {{ load_window_start() }} and {{ load_window_end() }}
    group by date
),

all_days as (
    select date from source_days
    union distinct
    select date from user_fact_days
    union distinct
    select date from post_fact_days
),

final as (
    select
        all_days.date,
        coalesce(source_days.source_views, 0) as source_views,
        coalesce(user_fact_days.user_fact_views, 0) as user_fact_views,
        coalesce(post_fact_days.post_fact_views, 0) as post_fact_views,
        coalesce(source_days.source_likes, 0) as source_likes,
        coalesce(user_fact_days.user_fact_likes, 0) as user_fact_likes,
        coalesce(post_fact_days.post_fact_likes, 0) as post_fact_likes
    from all_days
    left join source_days on all_days.date = source_days.date
    left join user_fact_days on all_days.date = user_fact_days.date
    left join post_fact_days on all_days.date = post_fact_days.date
)

select * from final
where
    source_views != user_fact_views
    or source_views != post_fact_views
    or source_likes != user_fact_likes
    or source_likes != post_fact_likes
