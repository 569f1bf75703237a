{#- Metric expressions shared by the fact models. -#}

{% macro gap_average(last_time, first_time, events) -%}
    {#- Average time in seconds between consecutive events of one series, in closed form.
        The seed computes avg(time - lagInFrame(time)) over the series; those gaps telescope,
        so their mean is (last - first) / (n - 1) (seed defect 6 in docs/seed-notebook.md: same value, ~6x
        cheaper).  Undefined -- NULL -- with fewer than 2 events. -#}
    if(
        {{ events }} > 1,
        (toFloat64(toUnixTimestamp({{ last_time }})) - toFloat64(toUnixTimestamp({{ first_time }})))
        / ({{ events }} - 1),
        null
    )
{%- endmacro %}


{% macro time_if_any(aggregate_time, events) -%}
    {#- An absent time is NULL, never 1970-01-01 (minIf over no rows gives the epoch). -#}
    if({{ events }} > 0, {{ aggregate_time }}, null)
{%- endmacro %}


{#- A feed event packed into one UInt64 that sorts as (post, views before likes, time of day):
    post_id in bits 32-63, 1 for a like in bit 31, the second of the day (< 2^17, also on a
    25-hour DST day) in the low bits.  fact_daily_feed sorts a user-day's keys to put every
    (user, post) pair's events next to each other; sorting one integer array is ~1.5x faster
    than sorting tuples (measured on a day of the default data set). -#}

{% macro feed_event_key(post_id, action, event_time) -%}
    bitShiftLeft(toUInt64({{ post_id }}), 32)
    + bitShiftLeft(toUInt64({{ action }} = 'like'), 31)
    + toUInt64(toUnixTimestamp({{ event_time }}) - toUnixTimestamp(toStartOfDay({{ event_time }})))
{%- endmacro %}


{% macro feed_event_key_post(key) -%}
    bitShiftRight({{ key }}, 32)
{%- endmacro %}


{% macro feed_event_key_is_like(key) -%}
    toUInt8(bitAnd(bitShiftRight({{ key }}, 31), 1))
{%- endmacro %}


{% macro feed_event_key_second(key) -%}
    toInt64(bitAnd({{ key }}, 2147483647))
{%- endmacro %}
