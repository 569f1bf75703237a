create table `analytics`.`dim_users`
    ON CLUSTER "feedstar"
  engine = ReplicatedReplacingMergeTree('/clickhouse/tables/{uuid}/all', '{replica}', version)
        order by (user_id)
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
          empty
          as (
-- One row per user ever seen (any role, receiving included).
-- what each user-day says, in the shape of a dim_users row
with day_parts as (
    select
        user_id,
        last_attribute_time as attributes_time,
        (gender, age, os, source, country, exp_group) as attributes,
        last_city_time as city_time,
        city,
        if(is_feed_active = 1, date, null) as feed_date,
        if(is_messenger_active = 1, date, null) as messenger_date,
        date as seen_date,
        last_event_time as seen_time
    from `analytics`.`int_user_daily_attributes`
),
window_parts as (
    select * from day_parts
),
    parts as (
        select * from window_parts
    ),
users as (
    select
        user_id,
        -- the latest attributes; equal times are broken by the values (deterministic)
        argMaxIf(attributes, (attributes_time, attributes), attributes_time is not null) as latest_attributes,
        max(attributes_time) as attributes_updated_at,
        argMaxIf(city, (city_time, city), city is not null) as latest_city,
        max(city_time) as city_updated_at,
        min(feed_date) as first_feed_date,
        min(messenger_date) as first_messenger_date,
        min(seen_date) as first_seen_date,
        max(seen_time) as last_seen_time
    from parts
    group by user_id
),
-- a new row's version never goes below the version of the row it replaces: a rebuilt row
-- whose latest event vanished must still win in the ReplacingMergeTree (at equal versions
-- the newest insert wins)
    versioned_users as (
        select
            *,
            toUInt64(0) as previous_version
        from users
    ),
final as (
    select
        user_id,
        if(attributes_updated_at is null, null, latest_attributes.1) as gender,
        if(attributes_updated_at is null, null, latest_attributes.2) as age,
        if(attributes_updated_at is null, null, latest_attributes.3) as os,
        if(attributes_updated_at is null, null, latest_attributes.4) as source,
        if(attributes_updated_at is null, null, latest_attributes.5) as country,
        if(city_updated_at is null, null, latest_city) as city,
        if(attributes_updated_at is null, null, latest_attributes.6) as exp_group,
        first_feed_date,
        first_messenger_date,
        -- the start of the user's lifetime: the first day active in either service
        least(
            coalesce(first_feed_date, first_messenger_date),
            coalesce(first_messenger_date, first_feed_date)
        ) as first_active_date,
        first_seen_date,
        -- when the latest attributes were seen (NULL if never): the snapshot's updated_at
        attributes_updated_at,
        city_updated_at,
        last_seen_time,
        -- deterministic, never now(): the user's latest event time as seconds (never below
        -- the replaced row's version; without source removals the two are the same)
        greatest(toUInt64(toUnixTimestamp(last_seen_time)), previous_version) as version
    from versioned_users
)
select * from final
          )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`dim_users`
        ("user_id", "gender", "age", "os", "source", "country", "city", "exp_group", "first_feed_date", "first_messenger_date", "first_active_date", "first_seen_date", "attributes_updated_at", "city_updated_at", "last_seen_time", "version")
-- One row per user ever seen (any role, receiving included).
-- what each user-day says, in the shape of a dim_users row
with day_parts as (
    select
        user_id,
        last_attribute_time as attributes_time,
        (gender, age, os, source, country, exp_group) as attributes,
        last_city_time as city_time,
        city,
        if(is_feed_active = 1, date, null) as feed_date,
        if(is_messenger_active = 1, date, null) as messenger_date,
        date as seen_date,
        last_event_time as seen_time
    from `analytics`.`int_user_daily_attributes`
),
window_parts as (
    select * from day_parts
),
    parts as (
        select * from window_parts
    ),
users as (
    select
        user_id,
        -- the latest attributes; equal times are broken by the values (deterministic)
        argMaxIf(attributes, (attributes_time, attributes), attributes_time is not null) as latest_attributes,
        max(attributes_time) as attributes_updated_at,
        argMaxIf(city, (city_time, city), city is not null) as latest_city,
        max(city_time) as city_updated_at,
        min(feed_date) as first_feed_date,
        min(messenger_date) as first_messenger_date,
        min(seen_date) as first_seen_date,
        max(seen_time) as last_seen_time
    from parts
    group by user_id
),
-- a new row's version never goes below the version of the row it replaces: a rebuilt row
-- whose latest event vanished must still win in the ReplacingMergeTree (at equal versions
-- the newest insert wins)
    versioned_users as (
        select
            *,
            toUInt64(0) as previous_version
        from users
    ),
final as (
    select
        user_id,
        if(attributes_updated_at is null, null, latest_attributes.1) as gender,
        if(attributes_updated_at is null, null, latest_attributes.2) as age,
        if(attributes_updated_at is null, null, latest_attributes.3) as os,
        if(attributes_updated_at is null, null, latest_attributes.4) as source,
        if(attributes_updated_at is null, null, latest_attributes.5) as country,
        if(city_updated_at is null, null, latest_city) as city,
        if(attributes_updated_at is null, null, latest_attributes.6) as exp_group,
        first_feed_date,
        first_messenger_date,
        -- the start of the user's lifetime: the first day active in either service
        least(
            coalesce(first_feed_date, first_messenger_date),
            coalesce(first_messenger_date, first_feed_date)
        ) as first_active_date,
        first_seen_date,
        -- when the latest attributes were seen (NULL if never): the snapshot's updated_at
        attributes_updated_at,
        city_updated_at,
        last_seen_time,
        -- deterministic, never now(): the user's latest event time as seconds (never below
        -- the replaced row's version; without source removals the two are the same)
        greatest(toUInt64(toUnixTimestamp(last_seen_time)), previous_version) as version
    from versioned_users
)
select * from final
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
optimize table `analytics`.`dim_users` on cluster "feedstar" final
;
