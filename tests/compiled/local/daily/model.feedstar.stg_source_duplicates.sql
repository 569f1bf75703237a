create table `analytics`.`stg_source_duplicates__dbt_new_data_<invocation>`
  engine = MergeTree()
        order by ((event_date, source_table))
        partition by (event_date)
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
          empty
          as (
-- One row per (source table, day with valid rows): the valid rows, and the extra copies of
-- exact duplicates among them (rows minus distinct rows; kept, see the staging models).
-- Exact duplicates share (user, time), which packs exactly into one UInt64 (user id in the
-- high 32 bits, the Unix time in the low 32; the time also fixes the day): the rows are
-- first counted per key, and only the rows of the few keys seen more than once get the
-- distinct count over every column.  A one-integer key is the cheapest GROUP BY there is
-- (~2x faster than the (day, user, time) tuple), and each source is read twice: once for the
-- keys, once for the day's counts.
with feed as (
    select * from `analytics`.`stg_feed_actions`
    where (event_date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
messages as (
    select * from `analytics`.`stg_message_actions`
    where (event_date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
    feed_shared_keys as (
        select bitOr(bitShiftLeft(toUInt64(user_id), 32), toUInt32(event_time)) as user_time_key
        from feed
        group by user_time_key
        having count() > 1
    ),
    -- one tuple argument: uniqExact takes at most 8 arguments when one is Nullable (city)
    feed_days as (
        select
            event_date,
            count() as staged_rows,
            countIf(shares_key) - uniqExactIf((user_id, post_id, action, event_time, gender, age, os, source, country, city, exp_group), shares_key) as duplicate_rows
        from (
            select
                *,
                bitOr(bitShiftLeft(toUInt64(user_id), 32), toUInt32(event_time)) in (select user_time_key from feed_shared_keys) as shares_key
            from feed
        )
        group by event_date
    ),
    messages_shared_keys as (
        select bitOr(bitShiftLeft(toUInt64(sender_id), 32), toUInt32(event_time)) as user_time_key
        from messages
        group by user_time_key
        having count() > 1
    ),
    -- one tuple argument: uniqExact takes at most 8 arguments when one is Nullable (city)
    messages_days as (
        select
            event_date,
            count() as staged_rows,
            countIf(shares_key) - uniqExactIf((sender_id, receiver_id, event_time, gender, age, os, source, country, city, exp_group), shares_key) as duplicate_rows
        from (
            select
                *,
                bitOr(bitShiftLeft(toUInt64(sender_id), 32), toUInt32(event_time)) in (select user_time_key from messages_shared_keys) as shares_key
            from messages
        )
        group by event_date
    ),
final as (
        select
            'feed_actions' as source_table,
            event_date,
            staged_rows,
            toInt64(duplicate_rows) as duplicate_rows
        from feed_days
        union all
        select
            'message_actions' as source_table,
            event_date,
            staged_rows,
            toInt64(duplicate_rows) as duplicate_rows
        from messages_days
)
select * from final
          )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`stg_source_duplicates__dbt_new_data_<invocation>`
-- One row per (source table, day with valid rows): the valid rows, and the extra copies of
-- exact duplicates among them (rows minus distinct rows; kept, see the staging models).
-- Exact duplicates share (user, time), which packs exactly into one UInt64 (user id in the
-- high 32 bits, the Unix time in the low 32; the time also fixes the day): the rows are
-- first counted per key, and only the rows of the few keys seen more than once get the
-- distinct count over every column.  A one-integer key is the cheapest GROUP BY there is
-- (~2x faster than the (day, user, time) tuple), and each source is read twice: once for the
-- keys, once for the day's counts.
with feed as (
    select * from `analytics`.`stg_feed_actions`
    where (event_date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
messages as (
    select * from `analytics`.`stg_message_actions`
    where (event_date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
    feed_shared_keys as (
        select bitOr(bitShiftLeft(toUInt64(user_id), 32), toUInt32(event_time)) as user_time_key
        from feed
        group by user_time_key
        having count() > 1
    ),
    -- one tuple argument: uniqExact takes at most 8 arguments when one is Nullable (city)
    feed_days as (
        select
            event_date,
            count() as staged_rows,
            countIf(shares_key) - uniqExactIf((user_id, post_id, action, event_time, gender, age, os, source, country, city, exp_group), shares_key) as duplicate_rows
        from (
            select
                *,
                bitOr(bitShiftLeft(toUInt64(user_id), 32), toUInt32(event_time)) in (select user_time_key from feed_shared_keys) as shares_key
            from feed
        )
        group by event_date
    ),
    messages_shared_keys as (
        select bitOr(bitShiftLeft(toUInt64(sender_id), 32), toUInt32(event_time)) as user_time_key
        from messages
        group by user_time_key
        having count() > 1
    ),
    -- one tuple argument: uniqExact takes at most 8 arguments when one is Nullable (city)
    messages_days as (
        select
            event_date,
            count() as staged_rows,
            countIf(shares_key) - uniqExactIf((sender_id, receiver_id, event_time, gender, age, os, source, country, city, exp_group), shares_key) as duplicate_rows
        from (
            select
                *,
                bitOr(bitShiftLeft(toUInt64(sender_id), 32), toUInt32(event_time)) in (select user_time_key from messages_shared_keys) as shares_key
            from messages
        )
        group by event_date
    ),
final as (
        select
            'feed_actions' as source_table,
            event_date,
            staged_rows,
            toInt64(duplicate_rows) as duplicate_rows
        from feed_days
        union all
        select
            'message_actions' as source_table,
            event_date,
            staged_rows,
            toInt64(duplicate_rows) as duplicate_rows
        from messages_days
)
select * from final
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
alter table `analytics`.`stg_source_duplicates`
            replace partition id '20250302' from `analytics`.`stg_source_duplicates__dbt_new_data_<invocation>`
;
drop table if exists `analytics`.`stg_source_duplicates__dbt_new_data_<invocation>`
;
alter table `analytics`.`stg_source_duplicates` drop partition id '20250301'
;
