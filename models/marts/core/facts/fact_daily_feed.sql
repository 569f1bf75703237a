{#- incremental by date partition: the folder's config in dbt_project.yml -#}
{{ config(
    order_by='(date, user_id)',
    post_hook="{{ drop_vanished_partitions('date', [(ref('stg_feed_actions'), 'event_date')]) }}",
) }}

with feed as (
    select * from {{ ref('stg_feed_actions') }}
    where {{ load_window_filter('event_date') }}
),

-- one row per (date, user, post): the pair's views, likes and first/last times
user_posts as (
    select
        event_date,
        user_id,
        post_id,
        countIf(action = 'view') as post_views,
        countIf(action = 'like') as post_likes,
        minIf(event_time, action = 'view') as first_view,
        maxIf(event_time, action = 'view') as last_view,
        minIf(event_time, action = 'like') as first_like,
        maxIf(event_time, action = 'like') as last_like
    from feed
    group by event_date, user_id, post_id
),

user_days as (
    select
        event_date,
        user_id,
        toUInt32(count()) as posts,
        toUInt32(sum(post_views)) as views,
        toUInt32(sum(post_likes)) as likes,
        minIf(first_view, post_views > 0) as day_first_view,
        maxIf(last_view, post_views > 0) as day_last_view,
        minIf(first_like, post_likes > 0) as day_first_like,
        maxIf(last_like, post_likes > 0) as day_last_like,
        -- each (user, post) pair with a view and a later-or-equal like counts once
        avgIf(
            toFloat64(toUnixTimestamp(first_like)) - toFloat64(toUnixTimestamp(first_view)),
            post_views > 0 and post_likes > 0 and first_like >= first_view
        ) as pair_view_to_like,
        countIf(post_views > 0 and post_likes > 0 and first_like >= first_view) as liked_after_view_pairs
    from user_posts
    group by event_date, user_id
),

final as (
    select
        event_date as date,
        user_id,
        {{ time_if_any('day_first_view', 'views') }} as first_view_time,
        {{ time_if_any('day_last_view', 'views') }} as last_view_time,
        {{ time_if_any('day_first_like', 'likes') }} as first_like_time,
        {{ time_if_any('day_last_like', 'likes') }} as last_like_time,
        posts,
        views,
        likes,
        {{ gap_average('day_last_view', 'day_first_view', 'views') }} as avg_time_between_views,
        {{ gap_average('day_last_like', 'day_first_like', 'likes') }} as avg_time_between_likes,
        if(liked_after_view_pairs > 0, pair_view_to_like, null) as avg_view_to_like_seconds
    from user_days
)

select * from final
