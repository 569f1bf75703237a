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
    where (seen_date between toDate('2025-03-01') and toDate('2025-03-02'))
),
-- the current rows of the users the window touches, and of the users whose row holds a
    -- value dated inside the window (some of their events there may have vanished).
    -- FINAL: a run that failed before its OPTIMIZE may have left an older row beside the
    -- newest; a unit test's `this` is a plain CTE name, which takes no FINAL.
    current_rows as (
        select * from `analytics`.`dim_users` final
        where
            user_id in (select window_parts.user_id from window_parts)
            or (toDate(attributes_updated_at) between toDate('2025-03-01') and toDate('2025-03-02'))
            or (toDate(city_updated_at) between toDate('2025-03-01') and toDate('2025-03-02'))
            or (first_feed_date between toDate('2025-03-01') and toDate('2025-03-02'))
            or (first_messenger_date between toDate('2025-03-01') and toDate('2025-03-02'))
            or (first_seen_date between toDate('2025-03-01') and toDate('2025-03-02'))
            or (toDate(last_seen_time) between toDate('2025-03-01') and toDate('2025-03-02'))
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
            (toDate(current_rows.attributes_updated_at) between toDate('2025-03-01') and toDate('2025-03-02'))
            and window_users.attributes_updated_at is null
            or (toDate(current_rows.city_updated_at) between toDate('2025-03-01') and toDate('2025-03-02'))
            and window_users.city_updated_at is null
            or (current_rows.first_feed_date between toDate('2025-03-01') and toDate('2025-03-02'))
            and window_users.first_feed_date is null
            or (current_rows.first_messenger_date between toDate('2025-03-01') and toDate('2025-03-02'))
            and window_users.first_messenger_date is null
            or (
                (current_rows.first_seen_date between toDate('2025-03-01') and toDate('2025-03-02'))
                or (toDate(current_rows.last_seen_time) between toDate('2025-03-01') and toDate('2025-03-02'))
            )
            and coalesce(window_users.has_window_days, 0) = 0
    ),
    -- the current rows of the window's users that are not stale, with every value dated
    -- inside the window left out (NULL, or a bound min / max ignores): the window's days replace it
    current_parts as (
        select
            user_id,
            if((toDate(attributes_updated_at) between toDate('2025-03-01') and toDate('2025-03-02')), null, attributes_updated_at)
                as attributes_time,
            (gender, age, os, source, country, exp_group) as attributes,
            if((toDate(city_updated_at) between toDate('2025-03-01') and toDate('2025-03-02')), null, city_updated_at) as city_time,
            if((toDate(city_updated_at) between toDate('2025-03-01') and toDate('2025-03-02')), null, city) as city,
            if((first_feed_date between toDate('2025-03-01') and toDate('2025-03-02')), null, first_feed_date) as feed_date,
            if((first_messenger_date between toDate('2025-03-01') and toDate('2025-03-02')), null, first_messenger_date) as messenger_date,
            if((first_seen_date between toDate('2025-03-01') and toDate('2025-03-02')), toDate('2149-06-06'), first_seen_date) as seen_date,
            if((toDate(last_seen_time) between toDate('2025-03-01') and toDate('2025-03-02')), toDateTime(0), last_seen_time) as seen_time
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
            (seen_date between toDate('2025-03-01') and toDate('2025-03-02'))
            -- the only read of all history, and only for the stale users
            or user_id in (select stale_users.user_id from stale_users)
        union all
        select * from current_parts
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
            users.*,
            coalesce(current_rows.version, 0) as previous_version
        from users
        left join current_rows on users.user_id = current_rows.user_id
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
delete from `analytics`.`dim_users` on cluster "feedstar"
        where
            first_seen_date >= toDate('2025-03-01')
            and user_id not in (
                select user_id from `analytics`.`int_user_daily_attributes`
                where date >= toDate('2025-03-01')
            )
;
optimize table `analytics`.`dim_users` on cluster "feedstar" final
;
