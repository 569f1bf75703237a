-- A day's users are among the week's, and the week's among the month's: DAU <= WAU <= MAU.
-- And an app row's DAU is the day's active users in the seed-style app mart (its slices
-- are disjoint sets of users on one day, so they add up; nothing is lost to a NULL slice).
-- With a load window: the days the load rebuilt.
with active_users as (
    select * from {{ ref('agg_active_users') }}
    where {{ marts_test_window('agg_active_users') }}
),

app_activity as (
    select * from {{ ref('agg_app_daily_activity') }}
    where {{ marts_test_window('agg_active_users') }}
),

app_daily as (
    select
        date,
        sum(total_users) as total_users
    from app_activity
    group by date
),

app_totals as (
    select * from active_users
    where service = 'app' and breakdown = 'total'
),

final as (
    select
        active_users.date,
        active_users.service,
        active_users.breakdown_value,
        'windows do not nest' as problem
    from active_users
    where not (active_users.dau <= active_users.wau and active_users.wau <= active_users.mau)
    union all
    select
        app_totals.date,
        'app' as service,
        'all' as breakdown_value,
        'app DAU differs from agg_app_daily_activity' as problem
    from app_totals
    left join app_daily on app_totals.date = app_daily.date
    where app_totals.dau != app_daily.total_users
)

select * from final
