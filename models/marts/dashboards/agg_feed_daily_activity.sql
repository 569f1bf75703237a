{{ config(
    order_by='date',
) }}

-- A row of day D counts D's feed users, plus the users who were new on D - 7
-- (feed_new_users_7_days_ago): a load of [start, end] rebuilds [start, end + 7].
-- Lifetime is global (first activity anywhere, dim_users.first_active_date).
with activity as (
    select * from {{ ref('int_user_daily_activity') }}
    where is_feed_active and {{ marts_between('date', days_before=13, days_after=7) }}
),

shifted as (
    select
        activity.date as activity_date,
        activity.user_id,
        activity.first_active_date,
        activity.views,
        activity.likes,
        activity.posts,
        activity.avg_view_to_like_seconds,
        {{ marts_daily_activity_slices('activity.') }},
        {{ marts_shift_days('activity.date = activity.first_active_date') }} as shift_days,
        activity.date + shift_days as report_date
    from activity
),

final as (
    select
        report_date as date,
        {{ marts_daily_activity_slices() }},
        countIf(shift_days = 0) as feed_users,
        countIf(shift_days = 0 and activity_date = first_active_date) as feed_new_users_lifetime_0,
        countIf(shift_days = 0 and activity_date - first_active_date = 7) as feed_users_lifetime_7d,
        countIf(shift_days = 7) as feed_new_users_7_days_ago,
        sumIf(views, shift_days = 0) as views,
        sumIf(likes, shift_days = 0) as likes,
        sumIf(posts, shift_days = 0) as posts,
        -- mean over the slice's users who have one (NULL when none has)
        avgOrNullIf(avg_view_to_like_seconds, shift_days = 0) as avg_view_to_like_seconds
    from shifted
    where
        {{ marts_between('report_date', days_after=7) }}
        and report_date <= {{ marts_last_loaded_date(ref('int_user_daily_activity')) }}
    group by report_date, {{ marts_daily_activity_slices() }}
    having feed_users + feed_new_users_7_days_ago > 0
)

select * from final
