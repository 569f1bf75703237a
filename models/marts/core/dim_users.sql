{#- Incremental and append-only: a run merges the load window's user-days into the current
    row of each user they touch and appends the merged row; the ReplacingMergeTree keeps
    the highest version, and the post-hook's OPTIMIZE ... FINAL collapses the old rows at
    once, so plain reads see one row per user.  Nothing is deleted before the new rows
    exist: a run that fails half-way leaves the previous rows, and re-running it appends
    again.  The daily cost follows the number of users, not the number of days of history
    (only users whose source rows vanished are read across all their days).
    Vanished source rows: a merge cannot subtract, so every current value dated inside the
    window is replaced by what the window's days give; a user whose window days give no
    value of a kind whose current value lies inside the window is rebuilt from all of their
    days; the first post-hook removes users left with no day at all. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    engine='ReplacingMergeTree(version)',
    order_by='user_id',
    post_hook=[
        "{{ delete_vanished_users(ref('int_user_daily_attributes')) }}",
        "{{ feedstar_optimize_final() }}",
    ],
    on_schema_change='fail',
) }}

{#- Merging rows shaped like dim_users' (one per user-day, or a current row) into one row
    per user: every column is a minimum, a maximum or "the value of the latest event", so
    merging a window's days into the current row gives exactly what aggregating all of
    history would, in any load order. -#}
{% set merged_columns %}
        -- the latest attributes; equal times are broken by the values (deterministic)
        argMaxIf(attributes, (attributes_time, attributes), attributes_time is not null) as latest_attributes,
        max(attributes_time) as attributes_updated_at,
        argMaxIf(city, (city_time, city), city is not null) as latest_city,
        max(city_time) as city_updated_at,
        min(feed_date) as first_feed_date,
        min(messenger_date) as first_messenger_date,
        min(seen_date) as first_seen_date,
        max(seen_time) as last_seen_time
{% endset %}

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
    from {{ ref('int_user_daily_attributes') }}
),

window_parts as (
    select * from day_parts
    {% if is_incremental() -%}
        where {{ load_window_filter('seen_date') }}
    {%- endif %}
),

{% if is_incremental() -%}
    -- the current rows of the users the window touches, and of the users whose row holds a
    -- value dated inside the window (some of their events there may have vanished).
    -- FINAL: a run that failed before its OPTIMIZE may have left an older row beside the
    -- newest; a unit test's `this` is a plain CTE name, which takes no FINAL.
    current_rows as (
        select * from {{ this }}{{ '' if this is string else ' final' }}
        where
            user_id in (select window_parts.user_id from window_parts)
            or {{ load_window_filter('toDate(attributes_updated_at)') }}
            or {{ load_window_filter('toDate(city_updated_at)') }}
            or {{ load_window_filter('first_feed_date') }}
            or {{ load_window_filter('first_messenger_date') }}
            or {{ load_window_filter('first_seen_date') }}
            or {{ load_window_filter('toDate(last_seen_time)') }}
    ),

    -- which kinds of value the window's days give each user
    window_users as (
        select
            user_id,
            1 as has_window_days,
            max(attributes_time) as attributes_updated_at,
            max(city_time) as city_updated_at,
            min(feed_date) as first_feed_date,
            min(messenger_date) as first_messenger_date
        from window_parts
        group by user_id
    ),

    -- The window's days were just rebuilt from the source, so they are the whole truth about
    -- the window: a current value dated inside it is replaced by what the window's days give
    -- (earlier or later days cannot beat a window value: the current value was the extreme
    -- of all days and lay inside the window).  A user is stale when the window's days give
    -- no value of a kind whose current value lies inside the window -- every event behind
    -- it vanished -- so only their other days can say what it is now.  (window_users'
    -- Nullable columns are NULL for a user it lacks whatever the server's join_use_nulls.)
    stale_users as (
        select current_rows.user_id
        from current_rows
        left join window_users on current_rows.user_id = window_users.user_id
        where
            {{ load_window_filter('toDate(current_rows.attributes_updated_at)') }}
            and window_users.attributes_updated_at is null
            or {{ load_window_filter('toDate(current_rows.city_updated_at)') }}
            and window_users.city_updated_at is null
            or {{ load_window_filter('current_rows.first_feed_date') }}
            and window_users.first_feed_date is null
            or {{ load_window_filter('current_rows.first_messenger_date') }}
            and window_users.first_messenger_date is null
            or (
                {{ load_window_filter('current_rows.first_seen_date') }}
                or {{ load_window_filter('toDate(current_rows.last_seen_time)') }}
            )
            and coalesce(window_users.has_window_days, 0) = 0
    ),

    -- the current rows of the window's users that are not stale, with every value dated
    -- inside the window left out (NULL, or a bound min / max ignores): the window's days replace it
    current_parts as (
        select
            user_id,
            if({{ load_window_filter('toDate(attributes_updated_at)') }}, null, attributes_updated_at)
                as attributes_time,
            (gender, age, os, source, country, exp_group) as attributes,
            if({{ load_window_filter('toDate(city_updated_at)') }}, null, city_updated_at) as city_time,
            if({{ load_window_filter('toDate(city_updated_at)') }}, null, city) as city,
            if({{ load_window_filter('first_feed_date') }}, null, first_feed_date) as feed_date,
            if({{ load_window_filter('first_messenger_date') }}, null, first_messenger_date) as messenger_date,
            if({{ load_window_filter('first_seen_date') }}, toDate('2149-06-06'), first_seen_date) as seen_date,
            if({{ load_window_filter('toDate(last_seen_time)') }}, toDateTime(0), last_seen_time) as seen_time
        from current_rows
        where
            user_id in (select window_parts.user_id from window_parts)
            and user_id not in (select stale_users.user_id from stale_users)
    ),

    -- the window's days of every user, all days of the stale users, and the current rows
    -- of the window's other users to merge the window into
    parts as (
        select * from day_parts
        where
            {{ load_window_filter('seen_date') }}
            -- the only read of all history, and only for the stale users
            or user_id in (select stale_users.user_id from stale_users)
        union all
        select * from current_parts
    ),
{%- else %}
    parts as (
        select * from window_parts
    ),
{%- endif %}

users as (
    select
        user_id,
        {{ merged_columns }}
    from parts
    group by user_id
),

-- a new row's version never goes below the version of the row it replaces: a rebuilt row
-- whose latest event vanished must still win in the ReplacingMergeTree (at equal versions
-- the newest insert wins)
{% if is_incremental() -%}
    versioned_users as (
        select
            users.*,
            coalesce(current_rows.version, 0) as previous_version
        from users
        left join current_rows on users.user_id = current_rows.user_id
    ),
{%- else %}
    versioned_users as (
        select
            *,
            toUInt64(0) as previous_version
        from users
    ),
{%- endif %}

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
