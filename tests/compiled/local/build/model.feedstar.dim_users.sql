create table `analytics`.`dim_users`
  (
    `user_id` UInt32,
    `gender` Nullable(UInt8),
    `age` Nullable(UInt8),
    `os` Nullable(String),
    `source` Nullable(String),
    `country` Nullable(String),
    `city` Nullable(String),
    `exp_group` Nullable(UInt8),
    `first_feed_date` Nullable(Date),
    `first_messenger_date` Nullable(Date),
    `first_active_date` Nullable(Date),
    `first_seen_date` Date,
    `attributes_updated_at` Nullable(DateTime),
    `city_updated_at` Nullable(DateTime),
    `last_seen_time` DateTime,
    `version` UInt64
    )
  engine = ReplacingMergeTree(version)
        order by (user_id)
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`dim_users` ("user_id", "gender", "age", "os", "source", "country", "city", "exp_group", "first_feed_date", "first_messenger_date", "first_active_date", "first_seen_date", "attributes_updated_at", "city_updated_at", "last_seen_time", "version")
          SELECT "user_id", "gender", "age", "os", "source", "country", "city", "exp_group", "first_feed_date", "first_messenger_date", "first_active_date", "first_seen_date", "attributes_updated_at", "city_updated_at", "last_seen_time", "version"
          FROM (
-- One row per user ever seen (any role, receiving included).
with user_rows as (
    select * except (cutoff_month) from `analytics`.`int_user_closed_history`
    union all
    select * except (month) from `analytics`.`int_user_monthly_attributes`
    -- no rollup rows yet: max() of nothing is 1970-01-01, so every month
    where month >= (select max(closed.cutoff_month) from `analytics`.`int_user_closed_history` as closed)
),
users as (
    select
        user_id,
        latest_gender as gender,
        latest_age as age,
        latest_os as os,
        latest_source as source,
        latest_country as country,
        latest_city as city,
        latest_exp_group as exp_group,
        feed_date as first_feed_date,
        messenger_date as first_messenger_date,
        seen_date as first_seen_date,
        attributes_time as attributes_updated_at,
        city_time as city_updated_at,
        seen_time as last_seen_time
    from (
        -- new names: an alias equal to a column name would replace it in the other expressions
        select
            user_id,
            -- NULL when the user has no attribute time (only seen receiving)
            argMaxIf(gender, attributes_updated_at, attributes_updated_at is not null) as latest_gender,
            argMaxIf(age, attributes_updated_at, attributes_updated_at is not null) as latest_age,
            argMaxIf(os, attributes_updated_at, attributes_updated_at is not null) as latest_os,
            argMaxIf(source, attributes_updated_at, attributes_updated_at is not null) as latest_source,
            argMaxIf(country, attributes_updated_at, attributes_updated_at is not null) as latest_country,
            argMaxIf(exp_group, attributes_updated_at, attributes_updated_at is not null) as latest_exp_group,
            max(attributes_updated_at) as attributes_time,
            -- an event with an empty city does not erase the known one
            argMaxIf(city, city_updated_at, city is not null) as latest_city,
            max(city_updated_at) as city_time,
            min(first_feed_date) as feed_date,
            min(first_messenger_date) as messenger_date,
            min(first_seen_date) as seen_date,
            max(last_seen_time) as seen_time
        from user_rows
        group by user_id
    )
),
final as (
    select
        user_id,
        gender,
        age,
        os,
        source,
        country,
        city,
        exp_group,
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
        -- deterministic, never now(): the user's latest event time in seconds
        toUInt64(toUnixTimestamp(last_seen_time)) as version
    from users
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
