create table `analytics`.`agg_retention__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
  (
    `service` String,
    `cohort_period` String,
    `cohort_start` Date,
    `breakdown` String,
    `breakdown_value` String,
    `day_number` UInt16,
    `cohort_size` UInt64,
    `retained_users` UInt64,
    `rolling_retained_users` UInt64,
    `retention` Float64,
    `rolling_retention` Float64
    )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by ((service, cohort_period, cohort_start, breakdown, breakdown_value, day_number))
        partition by (toMonday(cohort_start))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_retention__dbt_new_data_<invocation>` ("service", "cohort_period", "cohort_start", "breakdown", "breakdown_value", "day_number", "cohort_size", "retained_users", "rolling_retained_users", "retention", "rolling_retention")
          SELECT "service", "cohort_period", "cohort_start", "breakdown", "breakdown_value", "day_number", "cohort_size", "retained_users", "rolling_retained_users", "retention", "rolling_retention"
          FROM (
-- Retention of each cohort (users whose first day in the service is the cohort's day, or
-- falls in its Monday-based week) on each day N = 0..30 of the users' own lifetimes.
-- Classic: active on day N. Rolling: active on day N or any later day up to day 30.
-- Merged from the daily user sets of int_active_user_states: the members of day c's cohort
-- in slice s are the users new on c in that slice (their slice on their first day), so
--     retained(c, N, s) = |new(c, s) ∩ active(c + N)|
--     rolling(c, N, s)  = |new(c, s) ∩ (active(c + N) ∪ ... ∪ active(c + 30))|
-- over the loaded days; a week's cohort sums its seven daily cohorts (disjoint sets).
-- A load of day D changes only cohorts that have D within their 30 days: daily cohorts
-- [D - 30, D] and weekly cohorts starting from toMonday(D - 36). The rebuild starts at
-- that Monday; each partition (the week of cohort_start) is rebuilt whole.
with states as (
    select * from `analytics`.`int_active_user_states`
    where (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 36)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 36) + 6)
),
-- the users active each day, whatever their slice
day_totals as (
    select
        date,
        service,
        active_users
    from states
    where breakdown = 'total'
),
-- one row per daily cohort and slice with members
cohorts as (
    select
        service,
        date as first_service_date,
        breakdown,
        breakdown_value,
        new_users as member_users,
        bitmapCardinality(new_users) as cohort_size
    from states
    where
        (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 36)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 0) + 6)
        and bitmapCardinality(new_users) > 0
),
-- each daily cohort's loaded lifetime days 0..30
cohort_days as (
    select
        service,
        first_service_date,
        toUInt16(arrayJoin(range(31))) as day_number,
        first_service_date + day_number as active_date
    from cohorts
    where
        breakdown = 'total'
        and active_date <= (select max(date) from `analytics`.`int_user_daily_activity`)
),
-- ClickHouse names a joined table's qualified column `table.column`; the aliases give the
-- columns their plain names, so they are not self-aliases here.
-- noqa: disable=AL09
day_active_users as (
    select
        cohort_days.service as service,
        cohort_days.first_service_date as first_service_date,
        cohort_days.day_number as day_number,
        -- a day without activity has no set: the left join gives the empty one
        day_totals.active_users as active_users
    from cohort_days
    left join day_totals
        on
            cohort_days.service = day_totals.service
            and cohort_days.active_date = day_totals.date
),
-- noqa: enable=AL09
-- the users active on day N or later (up to day 30): a running union from day 30 back
lifetime_days as (
    select
        service,
        first_service_date,
        day_number,
        active_users,
        groupBitmapMergeState(active_users) over (
            partition by service, first_service_date
            order by day_number desc
            rows between unbounded preceding and current row
        ) as active_from_day_users
    from day_active_users
),
-- noqa: disable=AL09
daily_cohort_days as (
    select
        cohorts.service as service,
        cohorts.first_service_date as first_service_date,
        cohorts.breakdown as breakdown,
        cohorts.breakdown_value as breakdown_value,
        lifetime_days.day_number as day_number,
        cohorts.cohort_size as members,
        bitmapAndCardinality(cohorts.member_users, lifetime_days.active_users) as retained,
        bitmapAndCardinality(cohorts.member_users, lifetime_days.active_from_day_users) as rolling_retained
    -- the big day sets on the left: a join copies the right side's states into each row it
    -- matches, and only replicates the left side's
    from lifetime_days
    inner join cohorts
        on
            lifetime_days.service = cohorts.service
            and lifetime_days.first_service_date = cohorts.first_service_date
),
-- noqa: enable=AL09
-- each daily cohort's numbers under its day cohort and its week cohort
cohort_rows as (
    select
        service,
        arrayJoin([
            ('day', first_service_date, first_service_date),
            ('week', toMonday(first_service_date), toMonday(first_service_date) + 6)
        ]) as cohort,
        breakdown,
        breakdown_value,
        day_number,
        members,
        retained,
        rolling_retained
    from daily_cohort_days
),
final as (
    select
        service,
        tupleElement(cohort, 1) as cohort_period,
        tupleElement(cohort, 2) as cohort_start,
        breakdown,
        breakdown_value,
        day_number,
        sum(members) as cohort_size,
        sum(retained) as retained_users,
        sum(rolling_retained) as rolling_retained_users,
        retained_users / cohort_size as retention,
        rolling_retained_users / cohort_size as rolling_retention
    from cohort_rows
    -- day N is reported once every member of the cohort has reached it
    where tupleElement(cohort, 3) + day_number <= (select max(date) from `analytics`.`int_user_daily_activity`)
    group by service, cohort_period, cohort_start, breakdown, breakdown_value, day_number
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
alter table `analytics`.`agg_retention`
            replace partition id '20250224' from `analytics`.`agg_retention__dbt_new_data_<invocation>`
;
drop table if exists `analytics`.`agg_retention__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
    SYNC
;
