{{ config(
    materialized='table',
    engine='ReplacingMergeTree(version)',
    order_by='user_id',
) }}

-- One row per user ever seen (any role, receiving included), rebuilt on every run from
-- int_user_daily_attributes (one row per user-day, so this stays cheap), which makes it
-- independent of the order in which days were loaded.

with user_days as (
    select * from {{ ref('int_user_daily_attributes') }}
),

users as (
    select
        user_id,
        countIf(last_attribute_time is not null) as attribute_days,
        -- the latest day's attributes; equal times are broken by the values (deterministic)
        argMaxIf(
            (gender, age, os, source, country, exp_group),
            (last_attribute_time, gender, age, os, source, country, exp_group),
            last_attribute_time is not null
        ) as latest_attributes,
        argMaxIf(city, (last_city_time, city), city is not null) as latest_city,
        minIf(date, is_feed_active = 1) as feed_date,
        countIf(is_feed_active = 1) as feed_days,
        minIf(date, is_messenger_active = 1) as messenger_date,
        countIf(is_messenger_active = 1) as messenger_days,
        minIf(date, is_feed_active = 1 or is_messenger_active = 1) as active_date,
        min(date) as seen_date,
        max(last_event_time) as last_seen_time,
        max(last_attribute_time) as last_attribute_seen_time
    from user_days
    group by user_id
),

final as (
    select
        user_id,
        if(attribute_days > 0, latest_attributes.1, null) as gender,
        if(attribute_days > 0, latest_attributes.2, null) as age,
        if(attribute_days > 0, latest_attributes.3, null) as os,
        if(attribute_days > 0, latest_attributes.4, null) as source,
        if(attribute_days > 0, latest_attributes.5, null) as country,
        latest_city as city,
        if(attribute_days > 0, latest_attributes.6, null) as exp_group,
        if(feed_days > 0, feed_date, null) as first_feed_date,
        if(messenger_days > 0, messenger_date, null) as first_messenger_date,
        -- the start of the user's lifetime: the first day active in either service
        if(feed_days + messenger_days > 0, active_date, null) as first_active_date,
        seen_date as first_seen_date,
        -- when the latest attributes were seen (NULL if never): the snapshot's updated_at
        last_attribute_seen_time as attributes_updated_at,
        -- deterministic: the user's latest event time as seconds (never now()), so a
        -- ReplacingMergeTree merge keeps the row built from the most data
        toUInt64(toUnixTimestamp(last_seen_time)) as version
    from users
)

select * from final
