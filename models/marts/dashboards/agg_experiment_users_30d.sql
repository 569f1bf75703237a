{{ config(
    partition_by='toMonday(end_date)',
    order_by='(end_date, exp_group, user_id)',
) }}

-- Per-user totals over the W days ending on each loaded day, W = the var
-- experiment_window_days (dbt_project.yml): the A/B tiles' default range (the last W days) becomes one
-- read of about one row per user, instead of grouping W days of agg_experiment_users_daily
-- rows by user at every page view (3-4x faster for a month).
-- Rows: (end_date, exp_group, user_id) for users feed-active on at least one day of
-- [end_date - (W - 1), end_date]; views and likes are their sums over those days.
-- A load of [start, end] changes the totals ending on [start, end + W - 1], widened to whole
-- weeks by marts_between: the rebuilt end dates start on toMonday(start), up to 6 days before
-- start, so it reads the days their totals sum, from start - (W - 1) - 6.
{%- set later_days = marts_experiment_window_days() - 1 %}

with user_days as (
    select * from {{ ref('agg_experiment_users_daily') }}
    where {{ marts_between('date', days_before=later_days + 6, days_after=later_days) }}
),

-- each user-day counts towards the totals ending on it and on the W - 1 days after it
contributions as (
    select
        date + days_later as end_date,
        exp_group,
        user_id,
        views,
        likes
    from user_days
    array join range({{ later_days + 1 }}) as days_later
),

final as (
    select
        end_date,
        exp_group,
        user_id,
        toUInt32(sum(views)) as views,
        toUInt32(sum(likes)) as likes
    from contributions
    where
        end_date <= {{ marts_last_loaded_date(ref('agg_experiment_users_daily')) }}
        and {{ marts_between('end_date', days_after=later_days) }}
    group by end_date, exp_group, user_id
)

select * from final
