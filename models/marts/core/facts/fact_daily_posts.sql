{#- incremental by date partition: the folder's config in dbt_project.yml -#}
{{ config(
    order_by='(date, post_id)',
    post_hook="{{ drop_vanished_partitions('date', [(ref('stg_feed_actions'), 'event_date')]) }}",
) }}

with feed as (
    select * from {{ ref('stg_feed_actions') }}
    where {{ load_window_filter('event_date') }}
),

post_days as (
    select
        event_date,
        post_id,
        min(event_time) as first_action,
        max(event_time) as last_action,
        toUInt32(countIf(action = 'view')) as views,
        toUInt32(countIf(action = 'like')) as likes,
        toUInt32(uniqExactIf(user_id, action = 'view')) as unique_viewers,
        toUInt32(uniqExactIf(user_id, action = 'like')) as unique_likers,
        minIf(event_time, action = 'view') as first_view,
        maxIf(event_time, action = 'view') as last_view,
        minIf(event_time, action = 'like') as first_like,
        maxIf(event_time, action = 'like') as last_like
    from feed
    group by event_date, post_id
),

final as (
    select
        event_date as date,
        post_id,
        first_action as first_action_time,
        last_action as last_action_time,
        views,
        likes,
        unique_viewers,
        unique_likers,
        {{ gap_average('last_view', 'first_view', 'views') }} as avg_time_between_views,
        {{ gap_average('last_like', 'first_like', 'likes') }} as avg_time_between_likes,
        -- the seed's definition: the post's first like of the day after its first view
        if(
            views > 0 and likes > 0 and first_like >= first_view,
            toFloat64(toUnixTimestamp(first_like)) - toFloat64(toUnixTimestamp(first_view)),
            null
        ) as avg_view_to_like_seconds
    from post_days
)

select * from final
