{#-
    The load window of the intraday models (models/intraday/), one day at a time:

      last day   var intraday_day ('YYYY-MM-DD'), else the newest day in the sources (today,
                 while the product writes it).
      first day  last day - intraday_lookback_days (default 1: a run just after midnight
                 completes yesterday's last slots); a first build or --full-refresh goes back
                 intraday_history_days (default 36: the weekly bands look 5 weeks back).

    Independent of the daily models' start_date / end_date: the intraday DAG and the daily
    DAG never load each other's windows.
-#}

{% macro intraday_last_day() -%}
    {%- set day = var('intraday_day', none) -%}
    {%- if day is not none -%}
        {%- if modules is defined and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', day | string) -%}
            {{- exceptions.raise_compiler_error(
                "feedstar: var intraday_day = " ~ day ~ " is not a date; expected 'YYYY-MM-DD'") -}}
        {%- endif -%}
        {{- return("toDate('" ~ day ~ "')") -}}
    {%- endif -%}
    {%- if execute -%}
        {%- set newest -%}
            select toString(greatest(
                (select max(toDate(time)) from {{ source('product', 'feed_actions') }}),
                (select max(toDate(time)) from {{ source('product', 'message_actions') }})))
        {%- endset -%}
        {{- return("toDate('" ~ run_query(newest).rows[0][0] ~ "')") -}}
    {%- endif -%}
    {{- return("today()") -}}
{%- endmacro %}


{% macro intraday_first_day(last_day) -%}
    {%- if is_incremental() -%}
        {{- return(last_day ~ ' - ' ~ (var('intraday_lookback_days', 1) | int)) -}}
    {%- endif -%}
    {{- return(last_day ~ ' - ' ~ (var('intraday_history_days', 36) | int)) -}}
{%- endmacro %}
