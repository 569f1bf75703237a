create table `analytics`.`agg_experiment_users_30d__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
  (
    `end_date` Date,
    `exp_group` UInt8,
    `user_id` UInt32,
    `views` UInt32,
    `likes` UInt32
    )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by ((end_date, exp_group, user_id))
        partition by (toMonday(end_date))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_experiment_users_30d__dbt_new_data_<invocation>` ("end_date", "exp_group", "user_id", "views", "likes")
          SELECT "end_date", "exp_group", "user_id", "views", "likes"
          FROM (
-- Per-user totals over the W days ending on each loaded day, W = the var
-- experiment_window_days (dbt_project.yml): the A/B tiles' default range (the last W days) becomes one
-- read of about one row per user, instead of grouping W days of agg_experiment_users_daily
-- rows by user at every page view (3-4x faster for a month).
-- Rows: (end_date, exp_group, user_id) for users feed-active on at least one day of
-- [end_date - (W - 1), end_date]; views and likes are their sums over those days.
-- A load of [start, end] changes the totals ending on [start, end + W - 1], widened to whole
-- weeks by marts_between: the rebuilt end dates start on toMonday(start), up to 6 days before
-- start, so it reads the days their totals sum, from start - (W - 1) - 6.
with user_days as (
    select * from `analytics`.`agg_experiment_users_daily`
    where (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 35)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 29) + 6)
),
-- each user-day counts towards the totals ending on it and on the W - 1 days after it
contributions as (
    select
        date + days_later as end_date,
        exp_group,
        user_id,
        views,
        likes
    from user_days
    array join range(30) as days_later
),
final as (
    select
        end_date,
        exp_group,
        user_id,
        toUInt32(sum(views)) as views,
        toUInt32(sum(likes)) as likes
    from contributions
    where
        end_date <= (select max(date) from `analytics`.`agg_experiment_users_daily`)
        and (end_date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 29) + 6)
    group by end_date, exp_group, user_id
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
alter table `analytics`.`agg_experiment_users_30d`
            replace partition id '20250224' from `analytics`.`agg_experiment_users_30d__dbt_new_data_<invocation>`
;
drop table if exists `analytics`.`agg_experiment_users_30d__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
    SYNC
;
