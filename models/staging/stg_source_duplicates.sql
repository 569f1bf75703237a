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
-- Exact duplicates share (user, time): the rows are first counted per (day, user, time), a
-- fixed-width key, and only the few keys seen more than once get the distinct count over
-- every column (~45% less work than that distinct count over every row).
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

    {{ relation }}_keys as (
        select
            event_date,
            {{ user_column }},
            event_time,
            count() as key_rows
        from {{ relation }}
        group by event_date, {{ user_column }}, event_time
    ),

    {{ relation }}_days as (
        select
            event_date,
            sum(key_rows) as staged_rows
        from {{ relation }}_keys
        group by event_date
    ),

    -- one tuple argument: uniqExact takes at most 8 arguments when one is Nullable (city)
    {{ relation }}_duplicates as (
        select
            event_date,
            count() - uniqExact(({{ columns }})) as duplicate_rows
        from {{ relation }}
        where (event_date, {{ user_column }}, event_time) in (
            select
                {{ relation }}_keys.event_date,
                {{ relation }}_keys.{{ user_column }},
                {{ relation }}_keys.event_time
            from {{ relation }}_keys
            where {{ relation }}_keys.key_rows > 1
        )
        group by event_date
    ),
{%- endfor %}

final as (
    {%- for relation, user_column, columns in sources %}
        select
            '{{ "feed_actions" if relation == "feed" else "message_actions" }}' as source_table,
            {{ relation }}_days.event_date as event_date,
            {{ relation }}_days.staged_rows as staged_rows,
            toInt64(coalesce({{ relation }}_duplicates.duplicate_rows, 0)) as duplicate_rows
        from {{ relation }}_days
        left join {{ relation }}_duplicates on {{ relation }}_days.event_date = {{ relation }}_duplicates.event_date
        {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select * from final
