{{ config(
    order_by='date',
) }}

-- A/B readout per exp_group per day (feed users). Day D depends on day D only.
-- Over a date range, read agg_experiment_users_daily: users over a range are distinct
-- users, not a sum of these daily counts.
with feed_users as (
    select * from {{ ref('int_user_daily_activity') }}
    where is_feed_active and {{ marts_between('date') }}
),

feed_user_ctr as (
    select
        date,
        exp_group,
        views,
        likes,
        if(views = 0, null, likes / views) as user_ctr
    from feed_users
),

final as (
    select
        date,
        exp_group,
        count() as users,
        sum(views) as views,
        sum(likes) as likes,
        if(views = 0, null, likes / views) as ctr,
        avgOrNull(user_ctr) as user_ctr_mean
    from feed_user_ctr
    group by date, exp_group
)

select * from final
