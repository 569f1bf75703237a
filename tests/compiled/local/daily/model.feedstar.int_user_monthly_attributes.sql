create table `analytics`.`int_user_monthly_attributes__dbt_new_data_<invocation>`
  (
    `month` Date,
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
    `first_seen_date` Date,
    `attributes_updated_at` Nullable(DateTime),
    `city_updated_at` Nullable(DateTime),
    `last_seen_time` DateTime
    )
  engine = MergeTree()
        order by ((month, user_id))
        partition by (month)
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`int_user_monthly_attributes__dbt_new_data_<invocation>` ("month", "user_id", "gender", "age", "os", "source", "country", "city", "exp_group", "first_feed_date", "first_messenger_date", "first_seen_date", "attributes_updated_at", "city_updated_at", "last_seen_time")
          SELECT "month", "user_id", "gender", "age", "os", "source", "country", "city", "exp_group", "first_feed_date", "first_messenger_date", "first_seen_date", "attributes_updated_at", "city_updated_at", "last_seen_time"
          FROM (
-- One row per (month, user) seen that month: the user's dim_users row as that month's days
-- give it.  int_user_closed_history merges a user's closed months, dim_users that rollup with
-- the open months, so dim_users' daily cost follows the users, not the months of history.
-- each user-day in the shape of a dim_users row; a load reads whole months, because it
-- replaces the partition of every month its window touches
with user_days as (
    select
        toStartOfMonth(date) as month,
        user_id,
        gender,
        age,
        os,
        source,
        country,
        exp_group,
        last_attribute_time as attributes_updated_at,
        city,
        last_city_time as city_updated_at,
        if(is_feed_active = 1, date, null) as first_feed_date,
        if(is_messenger_active = 1, date, null) as first_messenger_date,
        date as first_seen_date,
        last_event_time as last_seen_time
    from `analytics`.`int_user_daily_attributes`
    where date between toStartOfMonth(toDate('2025-03-01' /*feedstar:window_start*/)) and toLastDayOfMonth(toDate('2025-03-02' /*feedstar:window_end*/))
)
select
        month, user_id,
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
            month, user_id,
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
        from user_days
        group by month, user_id
    )
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
alter table `analytics`.`int_user_monthly_attributes`
            replace partition id '20250301' from `analytics`.`int_user_monthly_attributes__dbt_new_data_<invocation>`
;
drop table if exists `analytics`.`int_user_monthly_attributes__dbt_new_data_<invocation>`
;
