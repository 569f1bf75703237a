{{ config(
    order_by='date',
) }}

-- A row of day D counts D's senders and receivers, plus the senders who were new on D - 7
-- (new_messenger_users_7_days_ago): a load of [start, end] rebuilds [start, end + 7].
-- Receiving alone is not activity: receivers are counted, never as active users.
with activity as (
    select * from {{ ref('int_user_daily_activity') }}
    where
        (is_messenger_active or is_receiver)
        and {{ marts_between('date', days_before=13, days_after=7) }}
),

shifted as (
    select
        activity.date as activity_date,
        activity.user_id,
        activity.is_messenger_active as is_sender,
        activity.is_receiver,
        activity.is_feed_active or activity.is_messenger_active as is_active,
        activity.first_active_date,
        activity.messages_sent,
        activity.messages_received,
        activity.avg_time_between_messages_sent,
        {{ marts_daily_activity_slices('activity.') }},
        {{ marts_shift_days('activity.is_messenger_active and activity.date = activity.first_active_date') }}
            as shift_days,
        activity.date + shift_days as report_date
    from activity
),

final as (
    select
        report_date as date,
        {{ marts_daily_activity_slices() }},
        countIf(shift_days = 0 and is_sender) as total_senders,
        countIf(shift_days = 0 and is_receiver) as total_receivers,
        countIf(shift_days = 0 and is_receiver and not is_active) as receive_only_users,
        countIf(shift_days = 0 and is_sender and activity_date = first_active_date) as new_users_lifetime_0,
        countIf(shift_days = 0 and is_sender and activity_date - first_active_date = 7) as users_lifetime_7d,
        countIf(shift_days = 7) as new_messenger_users_7_days_ago,
        sumIf(messages_sent, shift_days = 0) as messages_sent,
        sumIf(messages_received, shift_days = 0) as messages_received,
        avgOrNullIf(avg_time_between_messages_sent, shift_days = 0) as avg_time_between_messages_sent
    from shifted
    where
        {{ marts_between('report_date', days_after=7) }}
        and report_date <= {{ marts_last_loaded_date(ref('int_user_daily_activity')) }}
    group by report_date, {{ marts_daily_activity_slices() }}
    having total_senders + total_receivers + new_messenger_users_7_days_ago > 0
)

select * from final
