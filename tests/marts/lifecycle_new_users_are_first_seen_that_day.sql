-- A day's new users in the lifecycle are exactly the users whose first day in the service
-- (dim_users) is that day; and new + returning + resurrecting = the period's active users.
-- With a load window: the periods the load rebuilt.
with lifecycle as (
    select * from {{ ref('agg_lifecycle') }}
    where {{ marts_test_window('agg_lifecycle') }}
),

users as (
    select * from {{ ref('dim_users') }} final
),

first_days as (
    select
        tupleElement(service_first, 1) as service,
        tupleElement(service_first, 2) as first_date,
        count() as users_first_seen
    from users
    array join
        [
            ('app', first_active_date),
            ('feed', first_feed_date),
            ('messenger', first_messenger_date)
        ] as service_first
    where
        tupleElement(service_first, 2) is not null
        and {{ marts_test_window('agg_lifecycle', 'tupleElement(service_first, 2)') }}
    group by service, first_date
),

daily as (
    select * from lifecycle
    where period = 'day'
),

final as (
    select
        daily.service,
        daily.period_start,
        daily.new_users,
        first_days.users_first_seen,
        daily.active_users
    from daily
    left join first_days
        on daily.service = first_days.service and daily.period_start = first_days.first_date
    where
        daily.new_users != first_days.users_first_seen
        or daily.new_users + daily.returning_users + daily.resurrecting_users != daily.active_users
)

select * from final
