create table `analytics`.`agg_lifecycle`
  (
    `service` String,
    `period` String,
    `period_start` Date,
    `active_users` UInt64,
    `new_users` UInt64,
    `returning_users` UInt64,
    `resurrecting_users` UInt64,
    `dormant_users` UInt64
    )
  engine = MergeTree()
        order by ((service, period, period_start))
        partition by (toMonday(period_start))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_lifecycle` ("service", "period", "period_start", "active_users", "new_users", "returning_users", "resurrecting_users", "dormant_users")
          SELECT "service", "period", "period_start", "active_users", "new_users", "returning_users", "resurrecting_users", "dormant_users"
          FROM (
-- PostHog's lifecycle, per service, per day and per Monday-based week. For a user active
-- in period P: new (P holds their first day in the service), returning (also active in
-- P - 1), resurrecting (not active in P - 1, active before). Dormant: active in P - 1,
-- not in P -- counted in P, the period after the last activity.
-- Merged from the daily user sets of int_active_user_states: a week's sets are the union
-- of its days'; then, with A = active in P, A' = active in P - 1, N = new in P (a subset
-- of A, disjoint from A' since new users were never active before):
--     returning = |A ∩ A'|, resurrecting = |A| - |N| - returning, dormant = |A'| - returning.
-- A load of [start, end] changes periods up to the one after end: it rebuilds the weeks
-- of [start, end + 7] (day and week rows, so each weekly partition is whole) and reads
-- from the week before.
with states as (
    select
        date,
        service,
        active_users,
        new_users
    from `analytics`.`int_active_user_states`
    where
        breakdown = 'total'
        and (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 13)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 7) + 6)
),
periods as (
    select
        service,
        'day' as period,
        date as period_start,
        active_users,
        new_users
    from states
    union all
    select
        service,
        'week' as period,
        toMonday(date) as period_start,
        groupBitmapMergeState(active_users) as active_users,
        groupBitmapMergeState(new_users) as new_users
    from states
    group by service, period_start
),
-- the periods that get a row: each active period and the one after it (its dormant users)
report_periods as (
    select distinct
        service,
        period,
        period_start + if(period = 'day', 1, 7) * arrayJoin([0, 1]) as report_start,
        report_start - if(period = 'day', 1, 7) as previous_start
    from periods
    where
        (report_start between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 7) + 6)
        and report_start <= (select max(date) from `analytics`.`int_user_daily_activity`)
),
-- ClickHouse names a joined table's qualified column `table.column`; the aliases give the
-- columns their plain names, so they are not self-aliases here. A period without activity
-- has no row in `periods`: the left join gives its default, the empty set.
-- noqa: disable=AL09
final as (
    select
        report_periods.service as service,
        report_periods.period as period,
        report_periods.report_start as period_start,
        bitmapCardinality(current_period.active_users) as active_users,
        bitmapCardinality(current_period.new_users) as new_users,
        bitmapAndCardinality(current_period.active_users, previous_period.active_users) as returning_users,
        toUInt64(active_users - new_users - returning_users) as resurrecting_users,
        toUInt64(bitmapCardinality(previous_period.active_users) - returning_users) as dormant_users
    from report_periods
    left join periods as current_period
        on
            report_periods.service = current_period.service
            and report_periods.period = current_period.period
            and report_periods.report_start = current_period.period_start
    left join periods as previous_period
        on
            report_periods.service = previous_period.service
            and report_periods.period = previous_period.period
            and report_periods.previous_start = previous_period.period_start
)
-- noqa: enable=AL09
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
