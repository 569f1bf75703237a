{#- Metric expressions shared by the fact models. -#}

{% macro gap_average(last_time, first_time, events) -%}
    {#- Average time in seconds between consecutive events of one series, in closed form.
        The seed computes avg(time - lagInFrame(time)) over the series; those gaps telescope,
        so their mean is (last - first) / (n - 1) (SEED-NOTES item 6: same value, ~6x
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
