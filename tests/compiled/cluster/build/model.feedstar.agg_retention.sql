create table `analytics`.`agg_retention`
    ON CLUSTER "feedstar"
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by ((service, cohort_period, cohort_start, breakdown, breakdown_value, day_number))
        partition by (toMonday(cohort_start))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
          empty
          as (
-- Retention of each cohort (users whose first day in the service is the cohort's day, or
-- falls in its Monday-based week) on each day N = 0..30 of the users' own lifetimes.
-- Classic: active on day N. Rolling: active on day N or any later day up to day 30.
-- A load of day D changes only cohorts that have D within their 30 days: daily cohorts
-- [D - 30, D] and weekly cohorts starting from toMonday(D - 36). The rebuild starts at
-- that Monday; each partition (the week of cohort_start) is rebuilt whole.
with activity as (
    select * from `analytics`.`int_user_daily_activity`
    where
        (is_feed_active or is_messenger_active)
        and (date between toMonday(toDate('1970-03-02' /*feedstar:window_start*/) - 36)
            and toMonday(toDate('2149-01-01' /*feedstar:window_end*/) + 36) + 6)
),
service_days as (
    select
        activity.date as active_date,
        activity.user_id,
        activity.first_active_date,
        activity.first_feed_date,
        activity.first_messenger_date,
        activity.source,
        activity.os,
        activity.country,
        activity.age_bucket,
        activity.exp_group,
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
-- One row per cohort member: the lifetime days (0..30) on which they were active, as the
-- bits of one integer (bit N = active on day N), and the last of them.
members as (
    select
        service,
        user_id,
        first_service_date,
        argMin(source, active_date) as source,
        argMin(os, active_date) as os,
        argMin(country, active_date) as country,
        argMin(age_bucket, active_date) as age_bucket,
        argMin(exp_group, active_date) as exp_group,
        groupBitOr(bitShiftLeft(toUInt32(1), toUInt8(active_date - first_service_date))) as active_day_bits,
        max(toUInt16(active_date - first_service_date)) as last_active_day_number
    from service_days
    where
        (first_service_date between toMonday(toDate('1970-03-02' /*feedstar:window_start*/) - 36)
            and toMonday(toDate('2149-01-01' /*feedstar:window_end*/) + 0) + 6)
        and active_date - first_service_date between 0 and 30
    group by service, user_id, first_service_date
),
-- Members with the same first day, slice and active days are counted once (most share a
-- few patterns, e.g. day 0 only), before each pattern is put under its two cohorts and
-- every breakdown.
member_patterns as (
    select
        service,
        first_service_date,
        source,
        os,
        country,
        age_bucket,
        exp_group,
        active_day_bits,
        last_active_day_number,
        count() as members
    from members
    group by
        service, first_service_date, source, os, country, age_bucket, exp_group,
        active_day_bits, last_active_day_number
),
pattern_cohorts as (
    select
        service,
        arrayJoin([
            ('day', first_service_date, first_service_date),
            ('week', toMonday(first_service_date), toMonday(first_service_date) + 6)
        ]) as cohort,
        arrayJoin([
        ('total', 'all'),
        ('source', cast(coalesce(nullIf(toString(source), ''), 'unknown') as String)),
        ('os', cast(coalesce(nullIf(toString(os), ''), 'unknown') as String)),
        ('country', cast(coalesce(nullIf(toString(country), ''), 'unknown') as String)),
        ('age_bucket', cast(coalesce(nullIf(toString(age_bucket), ''), 'unknown') as String)),
        ('exp_group', cast(coalesce(nullIf(toString(exp_group), ''), 'unknown') as String))
    ]) as breakdown_pair,
        active_day_bits,
        last_active_day_number,
        members
    from member_patterns
),
-- per cohort slice, element N of each array counts the members active on day N (classic)
-- and on day N or later (rolling): no row per member and day number
cohort_counts as (
    select
        service,
        cohort,
        breakdown_pair,
        sum(members) as cohort_size,
        sumForEach(arrayMap(n -> if(bitTest(active_day_bits, n), members, 0), range(31))) as retained_by_day,
        sumForEach(arrayMap(n -> if(last_active_day_number >= n, members, 0), range(31))) as rolling_by_day
    from pattern_cohorts
    group by service, cohort, breakdown_pair
),
final as (
    select
        service,
        tupleElement(cohort, 1) as cohort_period,
        tupleElement(cohort, 2) as cohort_start,
        tupleElement(breakdown_pair, 1) as breakdown,
        tupleElement(breakdown_pair, 2) as breakdown_value,
        toUInt16(lifetime_day) as day_number,
        cohort_size,
        retained_by_day[lifetime_day + 1] as retained_users,
        rolling_by_day[lifetime_day + 1] as rolling_retained_users,
        retained_users / cohort_size as retention,
        rolling_retained_users / cohort_size as rolling_retention
    from cohort_counts
    array join range(31) as lifetime_day
    -- day N is reported once every member of the cohort has reached it
    where tupleElement(cohort, 3) + lifetime_day <= (select max(date) from `analytics`.`int_user_daily_activity`)
)
select * from final
          )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_retention`
        ("service", "cohort_period", "cohort_start", "breakdown", "breakdown_value", "day_number", "cohort_size", "retained_users", "rolling_retained_users", "retention", "rolling_retention")
-- Retention of each cohort (users whose first day in the service is the cohort's day, or
-- falls in its Monday-based week) on each day N = 0..30 of the users' own lifetimes.
-- Classic: active on day N. Rolling: active on day N or any later day up to day 30.
-- A load of day D changes only cohorts that have D within their 30 days: daily cohorts
-- [D - 30, D] and weekly cohorts starting from toMonday(D - 36). The rebuild starts at
-- that Monday; each partition (the week of cohort_start) is rebuilt whole.
with activity as (
    select * from `analytics`.`int_user_daily_activity`
    where
        (is_feed_active or is_messenger_active)
        and (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 36)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 36) + 6)
),
service_days as (
    select
        activity.date as active_date,
        activity.user_id,
        activity.first_active_date,
        activity.first_feed_date,
        activity.first_messenger_date,
        activity.source,
        activity.os,
        activity.country,
        activity.age_bucket,
        activity.exp_group,
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
-- One row per cohort member: the lifetime days (0..30) on which they were active, as the
-- bits of one integer (bit N = active on day N), and the last of them.
members as (
    select
        service,
        user_id,
        first_service_date,
        argMin(source, active_date) as source,
        argMin(os, active_date) as os,
        argMin(country, active_date) as country,
        argMin(age_bucket, active_date) as age_bucket,
        argMin(exp_group, active_date) as exp_group,
        groupBitOr(bitShiftLeft(toUInt32(1), toUInt8(active_date - first_service_date))) as active_day_bits,
        max(toUInt16(active_date - first_service_date)) as last_active_day_number
    from service_days
    where
        (first_service_date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 36)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 0) + 6)
        and active_date - first_service_date between 0 and 30
    group by service, user_id, first_service_date
),
-- Members with the same first day, slice and active days are counted once (most share a
-- few patterns, e.g. day 0 only), before each pattern is put under its two cohorts and
-- every breakdown.
member_patterns as (
    select
        service,
        first_service_date,
        source,
        os,
        country,
        age_bucket,
        exp_group,
        active_day_bits,
        last_active_day_number,
        count() as members
    from members
    group by
        service, first_service_date, source, os, country, age_bucket, exp_group,
        active_day_bits, last_active_day_number
),
pattern_cohorts as (
    select
        service,
        arrayJoin([
            ('day', first_service_date, first_service_date),
            ('week', toMonday(first_service_date), toMonday(first_service_date) + 6)
        ]) as cohort,
        arrayJoin([
        ('total', 'all'),
        ('source', cast(coalesce(nullIf(toString(source), ''), 'unknown') as String)),
        ('os', cast(coalesce(nullIf(toString(os), ''), 'unknown') as String)),
        ('country', cast(coalesce(nullIf(toString(country), ''), 'unknown') as String)),
        ('age_bucket', cast(coalesce(nullIf(toString(age_bucket), ''), 'unknown') as String)),
        ('exp_group', cast(coalesce(nullIf(toString(exp_group), ''), 'unknown') as String))
    ]) as breakdown_pair,
        active_day_bits,
        last_active_day_number,
        members
    from member_patterns
),
-- per cohort slice, element N of each array counts the members active on day N (classic)
-- and on day N or later (rolling): no row per member and day number
cohort_counts as (
    select
        service,
        cohort,
        breakdown_pair,
        sum(members) as cohort_size,
        sumForEach(arrayMap(n -> if(bitTest(active_day_bits, n), members, 0), range(31))) as retained_by_day,
        sumForEach(arrayMap(n -> if(last_active_day_number >= n, members, 0), range(31))) as rolling_by_day
    from pattern_cohorts
    group by service, cohort, breakdown_pair
),
final as (
    select
        service,
        tupleElement(cohort, 1) as cohort_period,
        tupleElement(cohort, 2) as cohort_start,
        tupleElement(breakdown_pair, 1) as breakdown,
        tupleElement(breakdown_pair, 2) as breakdown_value,
        toUInt16(lifetime_day) as day_number,
        cohort_size,
        retained_by_day[lifetime_day + 1] as retained_users,
        rolling_by_day[lifetime_day + 1] as rolling_retained_users,
        retained_users / cohort_size as retention,
        rolling_retained_users / cohort_size as rolling_retention
    from cohort_counts
    array join range(31) as lifetime_day
    -- day N is reported once every member of the cohort has reached it
    where tupleElement(cohort, 3) + lifetime_day <= (select max(date) from `analytics`.`int_user_daily_activity`)
)
select * from final
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
