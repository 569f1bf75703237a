create table `analytics`.`agg_experiment_daily__dbt_new_data_<invocation>`
  (
    `date` Date,
    `exp_group` Nullable(UInt8),
    `users` UInt64,
    `views` UInt64,
    `likes` UInt64,
    `ctr` Nullable(Float64),
    `user_ctr_mean` Nullable(Float64)
    )
  engine = MergeTree()
        order by (date)
        partition by (toMonday(date))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_experiment_daily__dbt_new_data_<invocation>` ("date", "exp_group", "users", "views", "likes", "ctr", "user_ctr_mean")
          SELECT "date", "exp_group", "users", "views", "likes", "ctr", "user_ctr_mean"
          FROM (
-- A/B readout per exp_group per day (feed users). Day D depends on day D only.
-- Over a date range, read agg_experiment_users_daily: users over a range are distinct
-- users, not a sum of these daily counts.
with feed_users as (
    select * from `analytics`.`int_user_daily_activity`
    where is_feed_active and (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 0) + 6)
),
feed_user_ctr as (
    select
        date,
        exp_group,
        views,
        likes,
        if(views = 0, null, likes / views) as user_ctr
    from feed_users
),
final as (
    select
        date,
        exp_group,
        count() as users,
        sum(views) as views,
        sum(likes) as likes,
        if(views = 0, null, likes / views) as ctr,
        avgOrNull(user_ctr) as user_ctr_mean
    from feed_user_ctr
    group by date, exp_group
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
alter table `analytics`.`agg_experiment_daily`
            replace partition id '20250224' from `analytics`.`agg_experiment_daily__dbt_new_data_<invocation>`
;
drop table if exists `analytics`.`agg_experiment_daily__dbt_new_data_<invocation>`
;
