{#- A table, loaded by day like the facts (in windows on a full build): the exact-duplicate
    count needs a distinct count of every valid event of a day, which over a whole history
    does not fit in memory as one query. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='event_date',
    order_by='(event_date, source_table)',
    engine='MergeTree()',
    query_settings={'max_partitions_per_insert_block': 0},
    post_hook="{{ drop_vanished_partitions('event_date', [(ref('stg_feed_actions'), 'event_date'),
                                                           (ref('stg_message_actions'), 'event_date')]) }}",
) }}

-- One row per (source table, day with valid rows): the valid rows, and the extra copies of
-- exact duplicates among them (rows minus distinct rows; kept, see the staging models).
with feed as (
    select * from {{ ref('stg_feed_actions') }}
    where {{ load_window_filter('event_date') }}
),

messages as (
    select * from {{ ref('stg_message_actions') }}
    where {{ load_window_filter('event_date') }}
),

final as (
    select
        'feed_actions' as source_table,
        event_date,
        count() as staged_rows,
        -- one tuple argument: uniqExact takes at most 8 arguments when one is Nullable (city)
        count() - uniqExact(
            (user_id, post_id, action, event_time, gender, age, os, source, country, city, exp_group)
        ) as duplicate_rows
    from feed
    group by event_date
    union all
    select
        'message_actions' as source_table,
        event_date,
        count() as staged_rows,
        count() - uniqExact(
            (sender_id, receiver_id, event_time, gender, age, os, source, country, city, exp_group)
        ) as duplicate_rows
    from messages
    group by event_date
)

select * from final
