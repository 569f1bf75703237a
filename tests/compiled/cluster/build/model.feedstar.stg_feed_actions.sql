create or replace view `analytics`.`stg_feed_actions`
    ON CLUSTER "feedstar"
  as (
    -- One row per valid feed event up to the end of the load window (docs/contracts.md).
-- Rows that break a rule in macros/source_rules.sql are left out here and counted in
-- stg_source_quality; exact duplicates are kept (and counted there, see staging.yml).
with source as (
    select * from `events`.`feed_actions`
),
valid as (
    select * from source
    where
        not (
        (user_id is null or user_id = 0) or
        (post_id is null or post_id = 0) or
        (action not in ('view', 'like')) or
        (toDate(time) < toDate('2020-01-01')) or
        (toDate(time) > toDate('2149-06-06'))
    )
        and toDate(time) <= toDate('2149-06-06')
),
final as (
    select
        time as event_time,
        toDate(time) as event_date,
        toUInt32(user_id) as user_id,
        toUInt32(post_id) as post_id,
        action,
        toUInt8(gender) as gender,
        toUInt8(age) as age,
        os,
        source,
        country,
        -- an empty city is kept as unknown (NULL): the event itself is valid activity
        nullIf(city, '') as city,
        toUInt8(exp_group) as exp_group
    from valid
)
select * from final
  )
                    -- end_of_sql
;
