create table `analytics`.`agg_active_users`
    ON CLUSTER "feedstar"
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by ((date, service, breakdown, breakdown_value))
        partition by (toMonday(date))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
          empty
          as (
-- DAU, WAU (7 days) and MAU (30 days) as exact distinct counts of users over each window.
--
-- How, without counting a user twice: for each user and service, take the sorted days
-- the user was active, d1 < d2 < ...  Day di "covers" the report days [di, di + 29] for
-- MAU, but only until the user's next active day takes over: [di, min(d(i+1) - 1,
-- di + 29)]. These spans never overlap, so a user is in MAU(D) exactly when one of their
-- spans covers D, and MAU(D) = the number of spans covering D (likewise WAU with 6).
-- A load of [start, end] changes the windows of [start, end + 29]; it reads the active
-- days those windows can see, [start - 29, end + 29].
with activity as (
    select * from `analytics`.`int_user_daily_activity`
    where
        (is_feed_active or is_messenger_active)
        and (date between toMonday(toDate('1970-03-02' /*feedstar:window_start*/) - 35)
            and toMonday(toDate('2149-01-01' /*feedstar:window_end*/) + 29) + 6)
),
service_days as (
    select
        activity.date as active_date,
        activity.user_id,
        activity.source,
        activity.os,
        activity.country,
        activity.age_bucket,
        activity.exp_group,
        arrayJoin(arrayConcat(
        if(is_feed_active or is_messenger_active, ['app'], []),
        if(is_feed_active, ['feed'], []),
        if(is_messenger_active, ['messenger'], [])
    )) as service
    from activity
),
-- each user's active days in a service, in date order
service_series as (
    select
        service,
        user_id,
        arraySort(groupArray(active_date)) as active_dates
    from service_days
    group by service, user_id
),
-- Each active day with its span's end.  (The next day is looked up in the user's dates: a
-- window function over these rows would sort the slice columns with them, ~4x costlier.)
-- ClickHouse names a joined table's qualified column `table.column`; the aliases give the
-- columns their plain names, so they are not self-aliases here.
-- noqa: disable=AL09
spans as (
    select
        service_days.active_date as active_date,
        service_days.service as service,
        service_days.source as source,
        service_days.os as os,
        service_days.country as country,
        service_days.age_bucket as age_bucket,
        service_days.exp_group as exp_group,
        -- the user's next active day; the Date default (1970-01-01) after the last one
        arrayFirst(later -> later > service_days.active_date, service_series.active_dates) as next_date,  -- noqa: RF02
        if(next_date > active_date, next_date, null) as next_active_date,
        least(active_date + 29, coalesce(next_active_date - 1, active_date + 29)) as month_span_end,
        least(active_date + 6, coalesce(next_active_date - 1, active_date + 6)) as week_span_end
    from service_days
    inner join service_series
        on service_days.service = service_series.service and service_days.user_id = service_series.user_id
),
-- noqa: enable=AL09
-- Users sharing a span's start day, service, lengths and slice are counted once before a
-- span is spread over its report days and breakdowns: the spread then multiplies ~30
-- counts per (day, service, slice) instead of every user-day (a span's lengths depend only
-- on the gap to the user's next active day).
span_slices as (
    select
        active_date,
        service,
        toUInt32(month_span_end - active_date) + 1 as month_days,
        toUInt32(week_span_end - active_date) + 1 as week_days,
        source,
        os,
        country,
        age_bucket,
        exp_group,
        count() as users
    from spans
    group by active_date, service, month_days, week_days, source, os, country, age_bucket, exp_group
),
span_counts as (
    select
        active_date,
        service,
        month_days,
        week_days,
        arrayJoin([
        ('total', 'all'),
        ('source', cast(coalesce(nullIf(toString(source), ''), 'unknown') as String)),
        ('os', cast(coalesce(nullIf(toString(os), ''), 'unknown') as String)),
        ('country', cast(coalesce(nullIf(toString(country), ''), 'unknown') as String)),
        ('age_bucket', cast(coalesce(nullIf(toString(age_bucket), ''), 'unknown') as String)),
        ('exp_group', cast(coalesce(nullIf(toString(exp_group), ''), 'unknown') as String))
    ]) as breakdown_pair,
        sum(users) as users
    from span_slices
    group by active_date, service, month_days, week_days, breakdown_pair
),
covered_days as (
    select
        service,
        breakdown_pair,
        users,
        arrayJoin(range(month_days)) as days_after,
        active_date + days_after as report_date,
        days_after < week_days as in_week
    from span_counts
),
final as (
    select
        report_date as date,
        service,
        tupleElement(breakdown_pair, 1) as breakdown,
        tupleElement(breakdown_pair, 2) as breakdown_value,
        sumIf(users, days_after = 0) as dau,
        sumIf(users, in_week) as wau,
        sum(users) as mau,
        dau / mau as stickiness
    from covered_days
    where
        (report_date between toMonday(toDate('1970-03-02' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2149-01-01' /*feedstar:window_end*/) + 29) + 6)
        and report_date <= (select max(date) from `analytics`.`int_user_daily_activity`)
    group by report_date, service, breakdown, breakdown_value
)
select * from final
          )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_active_users`
        ("date", "service", "breakdown", "breakdown_value", "dau", "wau", "mau", "stickiness")
-- DAU, WAU (7 days) and MAU (30 days) as exact distinct counts of users over each window.
--
-- How, without counting a user twice: for each user and service, take the sorted days
-- the user was active, d1 < d2 < ...  Day di "covers" the report days [di, di + 29] for
-- MAU, but only until the user's next active day takes over: [di, min(d(i+1) - 1,
-- di + 29)]. These spans never overlap, so a user is in MAU(D) exactly when one of their
-- spans covers D, and MAU(D) = the number of spans covering D (likewise WAU with 6).
-- A load of [start, end] changes the windows of [start, end + 29]; it reads the active
-- days those windows can see, [start - 29, end + 29].
with activity as (
    select * from `analytics`.`int_user_daily_activity`
    where
        (is_feed_active or is_messenger_active)
        and (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 35)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 29) + 6)
),
service_days as (
    select
        activity.date as active_date,
        activity.user_id,
        activity.source,
        activity.os,
        activity.country,
        activity.age_bucket,
        activity.exp_group,
        arrayJoin(arrayConcat(
        if(is_feed_active or is_messenger_active, ['app'], []),
        if(is_feed_active, ['feed'], []),
        if(is_messenger_active, ['messenger'], [])
    )) as service
    from activity
),
-- each user's active days in a service, in date order
service_series as (
    select
        service,
        user_id,
        arraySort(groupArray(active_date)) as active_dates
    from service_days
    group by service, user_id
),
-- Each active day with its span's end.  (The next day is looked up in the user's dates: a
-- window function over these rows would sort the slice columns with them, ~4x costlier.)
-- ClickHouse names a joined table's qualified column `table.column`; the aliases give the
-- columns their plain names, so they are not self-aliases here.
-- noqa: disable=AL09
spans as (
    select
        service_days.active_date as active_date,
        service_days.service as service,
        service_days.source as source,
        service_days.os as os,
        service_days.country as country,
        service_days.age_bucket as age_bucket,
        service_days.exp_group as exp_group,
        -- the user's next active day; the Date default (1970-01-01) after the last one
        arrayFirst(later -> later > service_days.active_date, service_series.active_dates) as next_date,  -- noqa: RF02
        if(next_date > active_date, next_date, null) as next_active_date,
        least(active_date + 29, coalesce(next_active_date - 1, active_date + 29)) as month_span_end,
        least(active_date + 6, coalesce(next_active_date - 1, active_date + 6)) as week_span_end
    from service_days
    inner join service_series
        on service_days.service = service_series.service and service_days.user_id = service_series.user_id
),
-- noqa: enable=AL09
-- Users sharing a span's start day, service, lengths and slice are counted once before a
-- span is spread over its report days and breakdowns: the spread then multiplies ~30
-- counts per (day, service, slice) instead of every user-day (a span's lengths depend only
-- on the gap to the user's next active day).
span_slices as (
    select
        active_date,
        service,
        toUInt32(month_span_end - active_date) + 1 as month_days,
        toUInt32(week_span_end - active_date) + 1 as week_days,
        source,
        os,
        country,
        age_bucket,
        exp_group,
        count() as users
    from spans
    group by active_date, service, month_days, week_days, source, os, country, age_bucket, exp_group
),
span_counts as (
    select
        active_date,
        service,
        month_days,
        week_days,
        arrayJoin([
        ('total', 'all'),
        ('source', cast(coalesce(nullIf(toString(source), ''), 'unknown') as String)),
        ('os', cast(coalesce(nullIf(toString(os), ''), 'unknown') as String)),
        ('country', cast(coalesce(nullIf(toString(country), ''), 'unknown') as String)),
        ('age_bucket', cast(coalesce(nullIf(toString(age_bucket), ''), 'unknown') as String)),
        ('exp_group', cast(coalesce(nullIf(toString(exp_group), ''), 'unknown') as String))
    ]) as breakdown_pair,
        sum(users) as users
    from span_slices
    group by active_date, service, month_days, week_days, breakdown_pair
),
covered_days as (
    select
        service,
        breakdown_pair,
        users,
        arrayJoin(range(month_days)) as days_after,
        active_date + days_after as report_date,
        days_after < week_days as in_week
    from span_counts
),
final as (
    select
        report_date as date,
        service,
        tupleElement(breakdown_pair, 1) as breakdown,
        tupleElement(breakdown_pair, 2) as breakdown_value,
        sumIf(users, days_after = 0) as dau,
        sumIf(users, in_week) as wau,
        sum(users) as mau,
        dau / mau as stickiness
    from covered_days
    where
        (report_date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 29) + 6)
        and report_date <= (select max(date) from `analytics`.`int_user_daily_activity`)
    group by report_date, service, breakdown, breakdown_value
)
select * from final
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
