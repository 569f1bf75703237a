drop table if exists `analytics`.`agg_lifecycle__dbt_new_data_<invocation>`
;
create table `analytics`.`agg_lifecycle__dbt_new_data_<invocation>`
  engine = MergeTree()
        order by ((service, period, period_start))
        partition by (toMonday(period_start))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
          empty
          as (
-- PostHog's lifecycle, per service, per day and per Monday-based week. For a user active
-- in period P: new (P holds their first day in the service), returning (also active in
-- P - 1), resurrecting (not active in P - 1, active before). Dormant: active in P - 1,
-- not in P -- counted in P, the period after the last activity.
-- A load of [start, end] changes periods up to the one after end: it rebuilds the weeks
-- of [start, end + 7] (day and week rows, so each weekly partition is whole) and reads
-- from the week before.
with activity as (
    select * from `analytics`.`int_user_daily_activity`
    where
        (is_feed_active or is_messenger_active)
        and (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 13)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 7) + 6)
),
service_days as (
    select
        activity.date as active_date,
        activity.user_id,
        activity.first_active_date,
        activity.first_feed_date,
        activity.first_messenger_date,
        arrayJoin(arrayConcat(
        if(is_feed_active or is_messenger_active, ['app'], []),
        if(is_feed_active, ['feed'], []),
        if(is_messenger_active, ['messenger'], [])
    )) as service,
        -- never NULL here: an active user has a first day in each service they are active in
        assumeNotNull(multiIf(
        service = 'app', first_active_date,
        service = 'feed', first_feed_date,
        first_messenger_date
    )) as first_service_date
    from activity
),
-- Each user's active periods of a kind, in order (a user has one first period per
-- service).  Their neighbours are read off the sorted array: a window function over the
-- (service, period, user) rows cost ~2-3x more.
user_periods as (
    select
        service,
        tupleElement(period_pair, 1) as period,
        tupleElement(period_pair, 3) as first_period_start,
        if(period = 'day', 1, 7) as period_days,
        user_id,
        arraySort(groupUniqArray(tupleElement(period_pair, 2))) as period_starts
    from service_days
    array join
        [
            ('day', active_date, first_service_date),
            ('week', toMonday(active_date), toMonday(first_service_date))
        ] as period_pair
    group by service, period, first_period_start, period_days, user_id
),
with_neighbours as (
    select
        service,
        period,
        period_start,
        first_period_start,
        period_days,
        user_id,
        previous_active_start,
        next_active_start
    from user_periods
    array join
        period_starts as period_start,
        arrayPushFront(arrayPopBack(arrayMap(x -> toNullable(x), period_starts)), null) as previous_active_start,
        arrayPushBack(arrayPopFront(arrayMap(x -> toNullable(x), period_starts)), null) as next_active_start
),
-- Each active period gives a status there and, when the next period is missed, a
-- dormant user in the next period.
statuses as (
    select
        service,
        period,
        tupleElement(status_pair, 1) as status,
        tupleElement(status_pair, 2) as status_period_start
    from with_neighbours
    array join arrayConcat(
        [(
            multiIf(
                period_start = first_period_start, 'new',
                previous_active_start = period_start - period_days, 'returning',
                'resurrecting'
            ),
            period_start
        )],
        if(
            next_active_start is null or next_active_start != period_start + period_days,
            [('dormant', period_start + period_days)],
            []
        )
    ) as status_pair
),
final as (
    select
        service,
        period,
        status_period_start as period_start,
        countIf(status != 'dormant') as active_users,
        countIf(status = 'new') as new_users,
        countIf(status = 'returning') as returning_users,
        countIf(status = 'resurrecting') as resurrecting_users,
        countIf(status = 'dormant') as dormant_users
    from statuses
    where
        (status_period_start between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 7) + 6)
        and status_period_start <= (select max(date) from `analytics`.`int_user_daily_activity`)
    group by service, period, status_period_start
)
select * from final
          )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_lifecycle__dbt_new_data_<invocation>`
        ("service", "period", "period_start", "active_users", "new_users", "returning_users", "resurrecting_users", "dormant_users")
-- PostHog's lifecycle, per service, per day and per Monday-based week. For a user active
-- in period P: new (P holds their first day in the service), returning (also active in
-- P - 1), resurrecting (not active in P - 1, active before). Dormant: active in P - 1,
-- not in P -- counted in P, the period after the last activity.
-- A load of [start, end] changes periods up to the one after end: it rebuilds the weeks
-- of [start, end + 7] (day and week rows, so each weekly partition is whole) and reads
-- from the week before.
with activity as (
    select * from `analytics`.`int_user_daily_activity`
    where
        (is_feed_active or is_messenger_active)
        and (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 13)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 7) + 6)
),
service_days as (
    select
        activity.date as active_date,
        activity.user_id,
        activity.first_active_date,
        activity.first_feed_date,
        activity.first_messenger_date,
        arrayJoin(arrayConcat(
        if(is_feed_active or is_messenger_active, ['app'], []),
        if(is_feed_active, ['feed'], []),
        if(is_messenger_active, ['messenger'], [])
    )) as service,
        -- never NULL here: an active user has a first day in each service they are active in
        assumeNotNull(multiIf(
        service = 'app', first_active_date,
        service = 'feed', first_feed_date,
        first_messenger_date
    )) as first_service_date
    from activity
),
-- Each user's active periods of a kind, in order (a user has one first period per
-- service).  Their neighbours are read off the sorted array: a window function over the
-- (service, period, user) rows cost ~2-3x more.
user_periods as (
    select
        service,
        tupleElement(period_pair, 1) as period,
        tupleElement(period_pair, 3) as first_period_start,
        if(period = 'day', 1, 7) as period_days,
        user_id,
        arraySort(groupUniqArray(tupleElement(period_pair, 2))) as period_starts
    from service_days
    array join
        [
            ('day', active_date, first_service_date),
            ('week', toMonday(active_date), toMonday(first_service_date))
        ] as period_pair
    group by service, period, first_period_start, period_days, user_id
),
with_neighbours as (
    select
        service,
        period,
        period_start,
        first_period_start,
        period_days,
        user_id,
        previous_active_start,
        next_active_start
    from user_periods
    array join
        period_starts as period_start,
        arrayPushFront(arrayPopBack(arrayMap(x -> toNullable(x), period_starts)), null) as previous_active_start,
        arrayPushBack(arrayPopFront(arrayMap(x -> toNullable(x), period_starts)), null) as next_active_start
),
-- Each active period gives a status there and, when the next period is missed, a
-- dormant user in the next period.
statuses as (
    select
        service,
        period,
        tupleElement(status_pair, 1) as status,
        tupleElement(status_pair, 2) as status_period_start
    from with_neighbours
    array join arrayConcat(
        [(
            multiIf(
                period_start = first_period_start, 'new',
                previous_active_start = period_start - period_days, 'returning',
                'resurrecting'
            ),
            period_start
        )],
        if(
            next_active_start is null or next_active_start != period_start + period_days,
            [('dormant', period_start + period_days)],
            []
        )
    ) as status_pair
),
final as (
    select
        service,
        period,
        status_period_start as period_start,
        countIf(status != 'dormant') as active_users,
        countIf(status = 'new') as new_users,
        countIf(status = 'returning') as returning_users,
        countIf(status = 'resurrecting') as resurrecting_users,
        countIf(status = 'dormant') as dormant_users
    from statuses
    where
        (status_period_start between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 7) + 6)
        and status_period_start <= (select max(date) from `analytics`.`int_user_daily_activity`)
    group by service, period, status_period_start
)
select * from final
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
alter table `analytics`.`agg_lifecycle`
                replace partition id '20250224'
                from `analytics`.`agg_lifecycle__dbt_new_data_<invocation>`
                settings allow_replace_partition_from_empty_source = 1
;
drop table if exists `analytics`.`agg_lifecycle__dbt_distributed_new_data`
;
drop table if exists `analytics`.`agg_lifecycle__dbt_new_data_<invocation>`
;
