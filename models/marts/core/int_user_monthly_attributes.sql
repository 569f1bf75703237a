{#- incremental by month partition, sharded by user: configured in dbt_project.yml -#}
{{ config(
    order_by='(month, user_id)',
    post_hook="{{ drop_vanished_partitions('month', [(ref('int_user_daily_attributes'), 'date')],
                                           partition_of='toStartOfMonth') }}",
) }}

-- One row per (month, user) seen that month: the user's dim_users row as that month's days
-- give it.  int_user_closed_history merges a user's closed months, dim_users that rollup with
-- the open months, so dim_users' daily cost follows the users, not the months of history.

-- each user-day in the shape of a dim_users row; a load reads whole months, because it
-- replaces the partition of every month its window touches
with user_days as (
    select
        toStartOfMonth(date) as month,
        user_id,
        gender,
        age,
        os,
        source,
        country,
        exp_group,
        last_attribute_time as attributes_updated_at,
        city,
        last_city_time as city_updated_at,
        if(is_feed_active = 1, date, null) as first_feed_date,
        if(is_messenger_active = 1, date, null) as first_messenger_date,
        date as first_seen_date,
        last_event_time as last_seen_time
    from {{ ref('int_user_daily_attributes') }}
    where date between toStartOfMonth({{ load_window_start() }}) and toLastDayOfMonth({{ load_window_end() }})
)

{{ merge_user_rows('user_days', 'month, user_id') }}
