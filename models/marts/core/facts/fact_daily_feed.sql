{#- incremental by date partition: the folder's config in dbt_project.yml -#}
{{ config(
    order_by='(date, user_id)',
    post_hook="{{ drop_vanished_partitions('date', [(ref('stg_feed_actions'), 'event_date')]) }}",
) }}

with feed as (
    select * from {{ ref('stg_feed_actions') }}
    where {{ load_window_filter('event_date') }}
),

-- One row per (date, user): the day's counts and first/last times, and the user's events
-- as one sorted array of keys (macros/star_metrics.sql) in which every (user, post) pair's
-- views, then its likes, sit next to each other.  The pair-level numbers (distinct posts,
-- first view -> first like per pair) are then read off neighbouring elements, instead of
-- grouping the day's events a second time by (user, post): nearly every event is its own
-- pair, so that grouping cost more than everything else in the model.
user_days as (
    select
        event_date,
        user_id,
        toUInt32(countIf(action = 'view')) as views,
        toUInt32(countIf(action = 'like')) as likes,
        minIf(event_time, action = 'view') as day_first_view,
        maxIf(event_time, action = 'view') as day_last_view,
        minIf(event_time, action = 'like') as day_first_like,
        maxIf(event_time, action = 'like') as day_last_like,
        arraySort(groupArray({{ feed_event_key('post_id', 'action', 'event_time') }})) as event_keys
    from feed
    group by event_date, user_id
),

-- each event beside its predecessor: a key of 0 (post 0, which staging drops) before the first
user_events as (
    select
        *,
        arrayPushFront(arrayPopBack(event_keys), 0) as previous_keys,
        -- an event of another post than its predecessor opens a (user, post) pair: the pair's
        -- first view, or its first like when the pair has no view
        arrayMap(
            (k, previous) -> {{ feed_event_key_post('k') }} != {{ feed_event_key_post('previous') }},
            event_keys, previous_keys
        ) as opens_pair,
        -- each event beside the key of the event that opened its pair
        arrayFill((k, opens) -> opens, event_keys, opens_pair) as pair_opening_keys,
        -- a like right after a view of the same post is the first like of a pair that has a
        -- view (views sort first), and that pair was opened by its first view
        arrayMap(
            (k, previous) -> {{ feed_event_key_post('k') }} = {{ feed_event_key_post('previous') }}
            and {{ feed_event_key_is_like('k') }} = 1
            and {{ feed_event_key_is_like('previous') }} = 0,
            event_keys, previous_keys
        ) as is_first_like_after_view
    from user_days
),

-- (first like - first view) of every pair whose first like is not before its first view
user_pairs as (
    select
        *,
        arrayFilter(
            (gap, counted) -> counted and gap >= 0,
            arrayMap(
                (k, opening) -> {{ feed_event_key_second('k') }} - {{ feed_event_key_second('opening') }},
                event_keys, pair_opening_keys
            ),
            is_first_like_after_view
        ) as view_to_like_gaps
    from user_events
),

final as (
    select
        event_date as date,
        user_id,
        {{ time_if_any('day_first_view', 'views') }} as first_view_time,
        {{ time_if_any('day_last_view', 'views') }} as last_view_time,
        {{ time_if_any('day_first_like', 'likes') }} as first_like_time,
        {{ time_if_any('day_last_like', 'likes') }} as last_like_time,
        toUInt32(arrayCount(opens_pair)) as posts,
        views,
        likes,
        {{ gap_average('day_last_view', 'day_first_view', 'views') }} as avg_time_between_views,
        {{ gap_average('day_last_like', 'day_first_like', 'likes') }} as avg_time_between_likes,
        -- each pair counts once (a mean over pairs, not over event rows)
        if(
            notEmpty(view_to_like_gaps),
            arraySum(view_to_like_gaps) / length(view_to_like_gaps),
            null
        ) as avg_view_to_like_seconds
    from user_pairs
)

select * from final
