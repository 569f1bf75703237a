{#- Incremental and append-only: a run merges the load window's user-days into the current
    row of each user they touch and appends the merged row with its version; the
    ReplacingMergeTree keeps the newest, and the post-hook's OPTIMIZE ... FINAL collapses
    the old versions at once, so plain reads see one row per user.  Nothing is deleted
    before the new rows exist: a run that fails half-way leaves the previous rows, and
    re-running it appends again.  The daily cost follows the number of users, not the
    number of days of history.  The first post-hook removes users left with no day at all
    (their only days' source rows vanished; it reads one column of int_user_daily_attributes);
    a user who lost only some events keeps values from them until `--full-refresh` (a merge
    cannot subtract). -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    engine='ReplacingMergeTree(version)',
    order_by='user_id',
    post_hook=[
        "delete from {{ this }} where user_id not in (select user_id from {{ ref('int_user_daily_attributes') }})",
        "optimize table {{ this }} final",
    ],
    on_schema_change='fail',
) }}

-- One row per user ever seen (any role, receiving included).  Every column is a minimum,
-- a maximum or "the value of the latest event", so merging a window's days into the
-- current row gives exactly what aggregating all of history would, in any load order.

with window_days as (
    select * from {{ ref('int_user_daily_attributes') }}
    {% if is_incremental() -%}
        where {{ load_window_filter('date') }}
    {%- endif %}
),

-- what each user-day of the window says, in the shape of a dim_users row
window_parts as (
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
    from window_days
),

{% if is_incremental() -%}
-- the current row of every user the window touches; no FINAL needed: an older version left
-- beside it (a run that failed before its OPTIMIZE) holds less data, so merging it changes nothing
    current_parts as (
        select
            user_id,
            attributes_updated_at as attributes_time,
            (gender, age, os, source, country, exp_group) as attributes,
            city_updated_at as city_time,
            city,
            first_feed_date as feed_date,
            first_messenger_date as messenger_date,
            first_seen_date as seen_date,
            last_seen_time as seen_time
        from {{ this }}
        where user_id in (select window_days.user_id from window_days)
    ),
{%- endif %}

parts as (
    select * from window_parts
    {% if is_incremental() -%}
        union all
        select * from current_parts
    {%- endif %}
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
        -- deterministic: the user's latest event time as seconds (never now()); it only
        -- grows as events arrive, so the ReplacingMergeTree keeps the row built from the most data
        toUInt64(toUnixTimestamp(last_seen_time)) as version
    from users
)

select * from final
