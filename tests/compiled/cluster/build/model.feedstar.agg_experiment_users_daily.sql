create table `analytics`.`agg_experiment_users_daily`
    ON CLUSTER "feedstar"
  (
    `date` Date,
    `user_id` UInt32,
    `exp_group` UInt8,
    `views` UInt32,
    `likes` UInt32,
    `bucket` UInt8
    )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by ((exp_group, user_id, date))
        partition by (toMonday(date))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_experiment_users_daily` ("date", "user_id", "exp_group", "views", "likes", "bucket")
          SELECT "date", "user_id", "exp_group", "views", "likes", "bucket"
          FROM (
-- Per-user rows for A/B tests over any date range: sum views and likes per (exp_group,
-- user_id) for a t-test or Mann-Whitney on per-user CTR, or per (exp_group, bucket) for
-- bucketed CTR. `bucket` is a fixed pseudo-random split of users into 50 buckets
-- (Knuth's multiplicative hash), independent of any user_id pattern the groups follow.
-- Ordered by (exp_group, user_id, date): a test reads two groups' rows, already grouped
-- by user, which is about a quarter faster than (date, user_id) for 30 days.
with feed_users as (
    select * from `analytics`.`int_user_daily_activity`
    where is_feed_active and (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 0) + 6)
),
final as (
    select
        date,
        user_id,
        -- a feed event always carries its exp_group; CAST (not assumeNotNull) fails loudly if not
        cast(exp_group, 'UInt8') as exp_group,
        -- one user's day: UInt32 is ample, and half the bytes to read per test
        toUInt32(views) as views,
        toUInt32(likes) as likes,
        toUInt8(((toUInt64(user_id) * 2654435761) % 4294967296) % 50) as bucket
    from feed_users
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
