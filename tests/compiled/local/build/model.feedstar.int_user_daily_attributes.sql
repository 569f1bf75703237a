create table `analytics`.`int_user_daily_attributes`
  (
    `date` Date,
    `user_id` UInt32,
    `is_feed_active` UInt8,
    `is_messenger_active` UInt8,
    `last_event_time` DateTime,
    `last_attribute_time` Nullable(DateTime),
    `gender` Nullable(UInt8),
    `age` Nullable(UInt8),
    `os` Nullable(String),
    `source` Nullable(String),
    `country` Nullable(String),
    `exp_group` Nullable(UInt8),
    `last_city_time` Nullable(DateTime),
    `city` Nullable(String)
    )
  engine = MergeTree()
        order by ((date, user_id))
        partition by (date)
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`int_user_daily_attributes` ("date", "user_id", "is_feed_active", "is_messenger_active", "last_event_time", "last_attribute_time", "gender", "age", "os", "source", "country", "exp_group", "last_city_time", "city")
          SELECT "date", "user_id", "is_feed_active", "is_messenger_active", "last_event_time", "last_attribute_time", "gender", "age", "os", "source", "country", "exp_group", "last_city_time", "city"
          FROM (
-- One row per (date, user) seen that day in any role: the roles, the day's latest
-- attributes and last event times.  dim_users is rebuilt from this small table, so it is
-- the same whatever order the days were loaded in.
with feed as (
    select * from `analytics`.`stg_feed_actions`
    where (event_date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
messages as (
    select * from `analytics`.`stg_message_actions`
    where (event_date between toDate('2025-03-01' /*feedstar:window_start*/) and toDate('2025-03-02' /*feedstar:window_end*/))
),
-- every appearance of a user, grouped by all but its time: a user's attributes rarely
-- change within a day, so the day's events shrink to a few rows per user before the
-- latest-value picks below (argMax over tuples is costly per row).  Each source is grouped
-- on its own columns before the roles are put together (~20% cheaper than grouping one
-- union of (role, attributes tuple) rows).  Receivers carry no attributes.
    feed_groups as (
        select
            event_date,
            user_id as user_id,
            gender,
            age,
            os,
            source,
            country,
            exp_group,
            city,
            max(event_time) as last_time
        from feed
        group by event_date, user_id, gender, age, os, source, country, exp_group, city
    ),
    sender_groups as (
        select
            event_date,
            sender_id as user_id,
            gender,
            age,
            os,
            source,
            country,
            exp_group,
            city,
            max(event_time) as last_time
        from messages
        group by event_date, user_id, gender, age, os, source, country, exp_group, city
    ),
receiver_groups as (
    select
        event_date,
        receiver_id as user_id,
        max(event_time) as last_time
    from messages
    group by event_date, user_id
),
appearance_groups as (
    select
        event_date,
        user_id,
        1 as is_feed,
        0 as is_sender,
        1 as has_attributes,
        (gender, age, os, source, country, exp_group) as attributes,
        city,
        last_time
    from feed_groups
    union all
    select
        event_date,
        user_id,
        0 as is_feed,
        1 as is_sender,
        1 as has_attributes,
        (gender, age, os, source, country, exp_group) as attributes,
        city,
        last_time
    from sender_groups
    union all
    select
        event_date,
        user_id,
        0 as is_feed,
        0 as is_sender,
        0 as has_attributes,
        (toUInt8(0), toUInt8(0), '', '', '', toUInt8(0)) as attributes,
        cast(null as Nullable(String)) as city,
        last_time
    from receiver_groups
),
-- the latest of a group's times is what the picks need: max over groups of (last_time, x)
-- equals max over the events of (event_time, x)
user_days as (
    select
        event_date,
        user_id,
        max(is_feed) as feed_events,
        max(is_sender) as sent_messages,
        max(last_time) as last_event,
        max(has_attributes) as has_attribute_events,
        maxIf(last_time, has_attributes = 1) as last_attribute_event,
        -- the attributes of the day's latest event; ties at the same second are broken by the
        -- attribute values themselves, so the choice never depends on read order
        argMaxIf(attributes, (last_time, attributes), has_attributes = 1) as latest_attributes,
        -- the latest known city: an event with an empty city does not erase it
        max(city is not null) as has_city_events,
        maxIf(last_time, city is not null) as last_city_event,
        argMaxIf(city, (last_time, city), city is not null) as latest_city
    from appearance_groups
    group by event_date, user_id
),
final as (
    select
        event_date as date,
        user_id,
        toUInt8(feed_events) as is_feed_active,
        toUInt8(sent_messages) as is_messenger_active,
        last_event as last_event_time,
        if(has_attribute_events > 0, last_attribute_event, null) as last_attribute_time,
        if(has_attribute_events > 0, latest_attributes.1, null) as gender,
        if(has_attribute_events > 0, latest_attributes.2, null) as age,
        if(has_attribute_events > 0, latest_attributes.3, null) as os,
        if(has_attribute_events > 0, latest_attributes.4, null) as source,
        if(has_attribute_events > 0, latest_attributes.5, null) as country,
        if(has_attribute_events > 0, latest_attributes.6, null) as exp_group,
        if(has_city_events > 0, last_city_event, null) as last_city_time,
        latest_city as city
    from user_days
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
