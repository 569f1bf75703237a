{{ config(
    order_by='date',
) }}

-- A row of day D counts D's users, plus the users who were new on D - 7 (the
-- new_users_7_days_ago column): a load of [start, end] rebuilds [start, end + 7].
with activity as (
    select * from {{ ref('int_user_daily_activity') }}
    where {{ marts_between('date', days_before=13, days_after=7) }}
),

-- Each user-day row is reported on its own date (shift 0); a new user's first day also
-- seven days later (shift 7), for new_users_7_days_ago.
shifted as (
    select
        activity.date as activity_date,
        activity.user_id,
        activity.is_feed_active,
        activity.is_messenger_active,
        activity.is_receiver,
        activity.is_feed_active or activity.is_messenger_active as is_active,
        activity.first_active_date,
        activity.views,
        activity.likes,
        activity.posts,
        activity.messages_sent,
        {{ marts_daily_activity_slices('activity.') }},
        {{ marts_shift_days(
            '(activity.is_feed_active or activity.is_messenger_active) and activity.date = activity.first_active_date'
        ) }} as shift_days,
        activity.date + shift_days as report_date
    from activity
),

final as (
    select
        report_date as date,
        {{ marts_daily_activity_slices() }},
        countIf(shift_days = 0 and is_active) as total_users,
        countIf(shift_days = 0 and is_feed_active and not is_messenger_active) as feed_only_users,
        countIf(shift_days = 0 and is_messenger_active and not is_feed_active) as messenger_only_users,
        countIf(shift_days = 0 and is_feed_active and is_messenger_active) as both_services_users,
        countIf(shift_days = 0 and is_feed_active) as feed_users,
        countIf(shift_days = 0 and is_messenger_active) as messenger_users,
        countIf(shift_days = 0 and is_receiver and not is_active) as receive_only_users,
        countIf(shift_days = 0 and is_active and activity_date = first_active_date) as new_users_lifetime_0,
        countIf(shift_days = 0 and is_active and activity_date - first_active_date = 7) as users_lifetime_7d,
        countIf(shift_days = 7) as new_users_7_days_ago,
        sumIf(views, shift_days = 0) as views,
        sumIf(likes, shift_days = 0) as likes,
        sumIf(posts, shift_days = 0) as posts,
        sumIf(messages_sent, shift_days = 0) as messages_sent
    from shifted
    where
        {{ marts_between('report_date', days_after=7) }}
        and report_date <= {{ marts_last_loaded_date(ref('int_user_daily_activity')) }}
    group by report_date, {{ marts_daily_activity_slices() }}
    -- a slice whose only users were receive-only 7 days ago has nothing to report
    having total_users + receive_only_users + new_users_7_days_ago > 0
)

select * from final
