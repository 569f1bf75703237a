create table `analytics`.`dim_trailing_windows`
    ON CLUSTER "feedstar"
  (
    `mart` String,
    `window_days` UInt16
    )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by (tuple())
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`dim_trailing_windows` ("mart", "window_days")
          SELECT "mart", "window_days"
          FROM (
-- The trailing windows the marts sum over, one row per mart, from the var/macro that mart
-- uses (marts_experiment_window_days).  The dashboard reads a mart's window here to know
-- which date ranges the mart answers, so a changed window reaches it at the next build.
select
    'agg_experiment_users_30d' as mart,
    toUInt16(30) as window_days
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
