{% macro merge_user_rows(rows, keys) -%}
    {#-
        One row per `keys` from `rows`, rows shaped like dim_users' (gender ... exp_group,
        attributes_updated_at, city, city_updated_at, first_feed_date, first_messenger_date,
        first_seen_date, last_seen_time): the latest attributes and city, the first dates,
        the last time.  Every column is a min, a max or "the value at the latest time", so
        merging merged rows gives what merging the original rows would:
        int_user_monthly_attributes merges a month's user-days with it, dim_users a user's
        months.  A user's rows here are of different days (or months), so their times never
        tie and the latest time alone picks the value, deterministically (equal times within
        a day are broken by the values in int_user_daily_attributes).  One argMax per column:
        a tuple of the six attributes costs ~1.5x as much, a (time, values) key ~3x.
    -#}
    select
        {{ keys }},
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
            {{ keys }},
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
        from {{ rows }}
        group by {{ keys }}
    )
{%- endmacro %}
