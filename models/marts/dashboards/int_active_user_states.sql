{{ config(
    partition_by='date',
    order_by='(date, service, breakdown, breakdown_value)',
    post_hook="{{ drop_vanished_partitions('date', [(ref('int_user_daily_activity'), 'date')]) }}",
) }}

-- Each day's active users as exact sets (roaring bitmaps of user_id), per service and per
-- slice of every breakdown: the partial results agg_active_users, agg_retention and
-- agg_lifecycle merge over their 7/30-day windows, cohort spans and periods (docs/marts.md,
-- "Daily user sets"). A day's sets depend on that day's user-days only, so a load rebuilds
-- exactly its window's days (one partition a day), and reading a month of sets replaces
-- reading a month of user-days. A window day left without user-days loses its partition
-- (post-hook) instead of keeping stale sets.
with activity as (
    select * from {{ ref('int_user_daily_activity') }}
    where
        (is_feed_active or is_messenger_active)
        and {{ load_window_filter('date') }}
),

service_days as (
    select
        date,
        user_id,
        source,
        os,
        country,
        age_bucket,
        exp_group,
        arrayJoin({{ marts_user_services() }}) as service,
        -- never NULL here: an active user has a first day in each service they are active in
        assumeNotNull({{ marts_service_first_date('service') }}) as first_service_date
    from activity
),

final as (
    select
        date,
        service,
        tupleElement(breakdown_pair, 1) as breakdown,
        tupleElement(breakdown_pair, 2) as breakdown_value,
        -- the users active that day whose slice that day is breakdown_value
        groupBitmapState(user_id) as active_users,
        -- of them, those whose first day in the service is that day
        groupBitmapStateIf(user_id, first_service_date = date) as new_users
    from service_days
    array join {{ marts_breakdown_pairs() }} as breakdown_pair
    group by date, service, breakdown, breakdown_value
)

select * from final
