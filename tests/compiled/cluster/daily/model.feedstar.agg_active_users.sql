create table `analytics`.`agg_active_users__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
  (
    `date` Date,
    `service` String,
    `breakdown` String,
    `breakdown_value` String,
    `dau` UInt64,
    `wau` UInt64,
    `mau` UInt64,
    `stickiness` Float64
    )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by ((date, service, breakdown, breakdown_value))
        partition by (toMonday(date))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_active_users__dbt_new_data_<invocation>` ("date", "service", "breakdown", "breakdown_value", "dau", "wau", "mau", "stickiness")
          SELECT "date", "service", "breakdown", "breakdown_value", "dau", "wau", "mau", "stickiness"
          FROM (
-- DAU, WAU (7 days) and MAU (30 days) as exact distinct counts of users over each window,
-- merged from the daily user sets of int_active_user_states (no user-days are read).
--
-- Over a window a user is in the slice of their latest active day in it. So for report
-- day D, walking back from D: the users of slice s on day d that count for d are those not
-- active (in the service) on any later day of the window, d + 1 .. D:
--     MAU(D, s) = sum over d in [D - 29, D] of |active(d, s) \ (active(d + 1) ∪ ... ∪ active(D))|
-- and WAU the same over [D - 6, D], DAU the term d = D. Each user is counted once, on
-- their latest day, so the sums are exact distinct counts.
-- A load of [start, end] changes the windows of [start, end + 29]; it reads the sets those
-- windows can see, [start - 29, end + 29] (widened to whole weeks).
with states as (
    select * from `analytics`.`int_active_user_states`
    where (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 35)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 29) + 6)
),
-- each day's sets under every report day whose 30-day window holds the day
windows as (
    select
        date as active_date,
        service,
        breakdown,
        breakdown_value,
        active_users,
        arrayJoin(range(30)) as days_after,
        active_date + days_after as report_date
    from states
    where
        (report_date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 29) + 6)
        and report_date <= (select max(date) from `analytics`.`int_user_daily_activity`)
),
-- per report day and service, the users active on any day after each day of its window:
-- a running union over the window's days from the report day back (one union per day)
later_users as (
    select
        report_date,
        service,
        days_after,
        groupBitmapMergeState(active_users) over (
            partition by report_date, service
            order by days_after
            rows between unbounded preceding and 1 preceding
        ) as later_active_users
    from windows
    where breakdown = 'total'
),
-- ClickHouse names a joined table's qualified column `table.column`; the aliases give the
-- columns their plain names, so they are not self-aliases here.
-- noqa: disable=AL09
latest_day_users as (
    select
        windows.report_date as report_date,
        windows.service as service,
        windows.breakdown as breakdown,
        windows.breakdown_value as breakdown_value,
        windows.days_after as days_after,
        -- the slice's users whose latest active day in the window is this one
        bitmapAndnotCardinality(windows.active_users, later_users.later_active_users) as users
    -- the big unions on the left: a join copies the right side's states into each row it
    -- matches, and only replicates the left side's
    from later_users
    inner join windows
        on
            later_users.report_date = windows.report_date
            and later_users.service = windows.service
            and later_users.days_after = windows.days_after
),
-- noqa: enable=AL09
final as (
    select
        report_date as date,
        service,
        breakdown,
        breakdown_value,
        sumIf(users, days_after = 0) as dau,
        sumIf(users, days_after < 7) as wau,
        sum(users) as mau,
        dau / mau as stickiness
    from latest_day_users
    group by report_date, service, breakdown, breakdown_value
    -- a slice none of whose users is in it on their latest day of the window has no row
    having mau > 0
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
alter table `analytics`.`agg_active_users`
            replace partition id '20250224' from `analytics`.`agg_active_users__dbt_new_data_<invocation>`
;
drop table if exists `analytics`.`agg_active_users__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
    SYNC
;
