{#-
    The load window of the intraday models (models/intraday/), one day at a time:

      last day   var intraday_day ('YYYY-MM-DD'), else the newest day in the sources (today,
                 while the product writes it).
      first day  last day - intraday_lookback_days (default 1: a run just after midnight
                 completes yesterday's last slots); a first build or --full-refresh goes back
                 intraday_history_days (default 36: the weekly bands look 5 weeks back); an
                 incremental run goes back to the first day of that history the table lacks
                 (a first build killed part-way), if any.

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


{% macro intraday_first_day(last_day, inputs) -%}
    {#- `inputs`: (relation, date expression) of what the model reads, for the day its data starts. -#}
    {%- set history_start = last_day ~ ' - ' ~ (var('intraday_history_days', 36) | int) -%}
    {%- if not is_incremental() -%}
        {{- return(history_start) -}}
    {%- endif -%}
    {%- set usual_start = last_day ~ ' - ' ~ (var('intraday_lookback_days', 1) | int) -%}
    {%- set first_missing = intraday_first_missing_day(history_start, usual_start, inputs) -%}
    {{- return("toDate('" ~ first_missing ~ "')" if first_missing else usual_start) -}}
{%- endmacro %}


{% macro intraday_first_missing_day(history_start, usual_start, inputs) -%}
    {#- A first build is one INSERT ... SELECT whose days commit one part at a time: killed
        part-way, it leaves whole days of the history missing, and a plain incremental run
        would never load them.  So an incremental run starts at the first day this table
        lacks between the history's start (or the first day of its inputs) and the usual
        start, and the same command run again completes the table.  Returns that day as
        'YYYY-MM-DD', or '' if none.  Reads the real table: unit tests override it. -#}
    {%- set missing -%}
        with
            (select min(first_day) from (
                {%- for relation, date_expression in inputs %}
                select minOrNull({{ date_expression }}) as first_day from {{ relation }}{{ ' union all' if not loop.last }}
                {%- endfor %})) as inputs_first,
            greatest({{ history_start }}, ifNull(inputs_first, {{ history_start }})) as first
        select if(count() = 0, '', toString(min(day)))
        from (select arrayJoin(arrayMap(i -> first + i, range(toUInt32(greatest(0, {{ usual_start }} - first))))) as day)
        where day not in (select date from {{ this }} where date between {{ history_start }} and {{ usual_start }})
    {%- endset -%}
    {{- return(query_value(missing, '')) -}}
{%- endmacro %}
