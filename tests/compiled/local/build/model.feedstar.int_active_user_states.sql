create table `analytics`.`int_active_user_states`
  engine = MergeTree()
        order by ((date, service, breakdown, breakdown_value))
        partition by (date)
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
          empty
          as (
-- Each day's active users as exact sets (roaring bitmaps of user_id), per service and per
-- slice of every breakdown: the partial results agg_active_users, agg_retention and
-- agg_lifecycle merge over their 7/30-day windows, cohort spans and periods (docs/marts.md,
-- "Daily user sets"). A day's sets depend on that day's user-days only, so a load rebuilds
-- exactly its window's days (one partition a day), and reading a month of sets replaces
-- reading a month of user-days. A window day left without user-days loses its partition
-- (post-hook) instead of keeping stale sets.
with activity as (
    select * from `analytics`.`int_user_daily_activity`
    where
        (is_feed_active or is_messenger_active)
        and (date between toDate('1970-03-02' /*feedstar:window_start*/) and toDate('2149-01-01' /*feedstar:window_end*/))
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
    array join [
        ('total', 'all'),
        ('source', cast(coalesce(nullIf(toString(source), ''), 'unknown') as String)),
        ('os', cast(coalesce(nullIf(toString(os), ''), 'unknown') as String)),
        ('country', cast(coalesce(nullIf(toString(country), ''), 'unknown') as String)),
        ('age_bucket', cast(coalesce(nullIf(toString(age_bucket), ''), 'unknown') as String)),
        ('exp_group', cast(coalesce(nullIf(toString(exp_group), ''), 'unknown') as String))
    ] as breakdown_pair
    group by date, service, breakdown, breakdown_value
)
select * from final
          )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`int_active_user_states`
-- Each day's active users as exact sets (roaring bitmaps of user_id), per service and per
-- slice of every breakdown: the partial results agg_active_users, agg_retention and
-- agg_lifecycle merge over their 7/30-day windows, cohort spans and periods (docs/marts.md,
-- "Daily user sets"). A day's sets depend on that day's user-days only, so a load rebuilds
-- exactly its window's days (one partition a day), and reading a month of sets replaces
-- reading a month of user-days. A window day left without user-days loses its partition
-- (post-hook) instead of keeping stale sets.
with activity as (
    select * from `analytics`.`int_user_daily_activity`
    where
        (is_feed_active or is_messenger_active)
        and (date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
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
    array join [
        ('total', 'all'),
        ('source', cast(coalesce(nullIf(toString(source), ''), 'unknown') as String)),
        ('os', cast(coalesce(nullIf(toString(os), ''), 'unknown') as String)),
        ('country', cast(coalesce(nullIf(toString(country), ''), 'unknown') as String)),
        ('age_bucket', cast(coalesce(nullIf(toString(age_bucket), ''), 'unknown') as String)),
        ('exp_group', cast(coalesce(nullIf(toString(exp_group), ''), 'unknown') as String))
    ] as breakdown_pair
    group by date, service, breakdown, breakdown_value
)
select * from final
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
