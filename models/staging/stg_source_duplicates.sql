{#- A table, loaded by day like the facts (in windows on a full build): the exact-duplicate
    count needs a distinct count of every valid event of a day, which over a whole history
    does not fit in memory as one query. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='event_date',
    order_by='(event_date, source_table)',
    engine='MergeTree()',
    query_settings={'max_partitions_per_insert_block': 0},
    post_hook="{{ drop_vanished_partitions('event_date', [(ref('stg_feed_actions'), 'event_date'),
                                                           (ref('stg_message_actions'), 'event_date')]) }}",
) }}

-- One row per (source table, day with valid rows): the valid rows, and the extra copies of
-- exact duplicates among them (rows minus distinct rows; kept, see the staging models).
-- Exact duplicates share (user, time), which packs exactly into one UInt64 (user id in the
-- high 32 bits, the Unix time in the low 32; the time also fixes the day): the rows are
-- first counted per key, and only the rows of the few keys seen more than once get the
-- distinct count over every column.  A one-integer key is the cheapest GROUP BY there is
-- (~2x faster than the (day, user, time) tuple), and each source is read twice: once for the
-- keys, once for the day's counts.
with feed as (
    select * from {{ ref('stg_feed_actions') }}
    where {{ load_window_filter('event_date') }}
),

messages as (
    select * from {{ ref('stg_message_actions') }}
    where {{ load_window_filter('event_date') }}
),

{%- set sources = [
    ('feed', 'user_id', 'user_id, post_id, action, event_time, gender, age, os, source, country, city, exp_group'),
    ('messages', 'sender_id', 'sender_id, receiver_id, event_time, gender, age, os, source, country, city, exp_group'),
] %}
{%- for relation, user_column, columns in sources %}
    {%- set key = 'bitOr(bitShiftLeft(toUInt64(' ~ user_column ~ '), 32), toUInt32(event_time))' %}

    {{ relation }}_shared_keys as (
        select {{ key }} as user_time_key
        from {{ relation }}
        group by user_time_key
        having count() > 1
    ),

    -- one tuple argument: uniqExact takes at most 8 arguments when one is Nullable (city)
    {{ relation }}_days as (
        select
            event_date,
            count() as staged_rows,
            countIf(shares_key) - uniqExactIf(({{ columns }}), shares_key) as duplicate_rows
        from (
            select
                *,
                {{ key }} in (select user_time_key from {{ relation }}_shared_keys) as shares_key
            from {{ relation }}
        )
        group by event_date
    ),
{%- endfor %}

final as (
    {%- for relation, user_column, columns in sources %}
        select
            '{{ "feed_actions" if relation == "feed" else "message_actions" }}' as source_table,
            event_date,
            staged_rows,
            toInt64(duplicate_rows) as duplicate_rows
        from {{ relation }}_days
        {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select * from final
