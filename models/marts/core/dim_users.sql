{#- Rebuilt whole on every run from int_user_closed_history (a row per user for the closed
    months) and the months of int_user_monthly_attributes from its cutoff on, so it always
    equals a build from all history and its cost does not grow with the months.
    ReplacingMergeTree(version): one row per user already; the engine lets readers keep
    `final` and the snapshot read it unchanged. -#}
{{ config(
    materialized='table',
    engine='ReplacingMergeTree(version)',
    order_by='user_id',
) }}

-- One row per user ever seen (any role, receiving included).

with user_rows as (
    select * except (cutoff_month) from {{ ref('int_user_closed_history') }}
    union all
    select * except (month) from {{ ref('int_user_monthly_attributes') }}
    -- no rollup rows yet: max() of nothing is 1970-01-01, so every month
    where month >= (select max(closed.cutoff_month) from {{ ref('int_user_closed_history') }} as closed)
),

users as (
    {{ merge_user_rows('user_rows', 'user_id') }}
),

final as (
    select
        user_id,
        gender,
        age,
        os,
        source,
        country,
        city,
        exp_group,
        first_feed_date,
        first_messenger_date,
        -- the start of the user's lifetime: the first day active in either service
        least(
            coalesce(first_feed_date, first_messenger_date),
            coalesce(first_messenger_date, first_feed_date)
        ) as first_active_date,
        first_seen_date,
        -- when the latest attributes were seen (NULL if never): the snapshot's updated_at
        attributes_updated_at,
        city_updated_at,
        last_seen_time,
        -- deterministic, never now(): the user's latest event time in seconds
        toUInt64(toUnixTimestamp(last_seen_time)) as version
    from users
)

select * from final
