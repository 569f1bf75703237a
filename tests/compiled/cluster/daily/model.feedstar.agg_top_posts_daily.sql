create table `analytics`.`agg_top_posts_daily__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
  (
    `date` Date,
    `post_rank` UInt8,
    `post_id` UInt32,
    `views` UInt64,
    `likes` UInt64,
    `unique_viewers` UInt64,
    `unique_likers` UInt64,
    `ctr` Nullable(Float64)
    )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by ((date, post_rank))
        partition by (toMonday(date))
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`agg_top_posts_daily__dbt_new_data_<invocation>` ("date", "post_rank", "post_id", "views", "likes", "unique_viewers", "unique_likers", "ctr")
          SELECT "date", "post_rank", "post_id", "views", "likes", "unique_viewers", "unique_likers", "ctr"
          FROM (
-- The 20 most viewed posts of each day (ties: more likes first, then the lower post_id,
-- so the ranking is deterministic). Day D depends on day D only.
with posts as (
    select * from `analytics`.`fact_daily_posts`
    where (date between toMonday(toDate('2025-03-01' /*feedstar:window_start*/) - 0)
            and toMonday(toDate('2025-03-02' /*feedstar:window_end*/) + 0) + 6)
),
ranked as (
    select
        date,
        post_id,
        toUInt64(views) as views,
        toUInt64(likes) as likes,
        toUInt64(unique_viewers) as unique_viewers,
        toUInt64(unique_likers) as unique_likers,
        row_number() over (
            partition by date order by views desc, likes desc, post_id asc
        ) as position
    from posts
),
final as (
    select
        date,
        toUInt8(position) as post_rank,
        post_id,
        views,
        likes,
        unique_viewers,
        unique_likers,
        if(views = 0, null, likes / views) as ctr
    from ranked
    where position <= 20
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
alter table `analytics`.`agg_top_posts_daily`
            replace partition id '20250224' from `analytics`.`agg_top_posts_daily__dbt_new_data_<invocation>`
;
drop table if exists `analytics`.`agg_top_posts_daily__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
    SYNC
;
