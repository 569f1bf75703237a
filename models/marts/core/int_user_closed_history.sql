{#- incremental by replacing its one partition, sharded by user: configured in dbt_project.yml -#}
{{ config(order_by='user_id') }}

-- One row per user seen before cutoff_month: merge_user_rows over the user's months of
-- int_user_monthly_attributes before it, the months no daily load rewrites any more.
-- dim_users merges these rows with the months from cutoff_month on, so its daily cost
-- follows users plus a month or two of rows, not users x months.

{%- set months = ref('int_user_monthly_attributes') %}
{%- set window = load_window() %}
{%- if is_incremental() and window.is_set %}
    {#- the months before the one the window starts in are closed; the cutoff never moves back -#}
    {%- set sql = "select toString(max(cutoff_month)) from " ~ this %}
    {%- set stored = query_value(sql, '1970-01-01') %}
    {%- set wanted = modules.datetime.date(window.start.year, window.start.month, 1) | string %}
    {%- set cutoff = [stored, wanted] | max %}
    {%- set rebuild = window.start | string < stored %}
{%- else %}
    {#- first build, --full-refresh, or a load of every date: close every month before the one
        the next daily load's lookback reaches into -#}
    {%- set sql = "select toString(toStartOfMonth(toDate(max(last_seen_time)) - %d)) from %s"
                  % (window.lookback_days, months) %}
    {%- set cutoff = query_value(sql, '1970-01-01') %}
    {%- set stored = none %}
    {%- set rebuild = true %}
{%- endif %}

with closed_rows as (
    {% if rebuild -%}
        -- every closed month (the load rewrote one of them, or there is no rollup yet)
        select * except (month)
        from {{ months }}
        where month < '{{ cutoff }}'
    {%- elif cutoff > stored -%}
        -- the cutoff advanced: the rollup so far plus the months it now closes (merging merged
        -- rows gives what merging the original rows would)
        select * except (cutoff_month)
        from {{ this }}
        union all
        select * except (month)
        from {{ months }}
        where month >= '{{ stored }}' and month < '{{ cutoff }}'
    {%- else -%}
        -- nothing closed changed: no rows, so no partition is replaced and the run writes nothing
        select * except (month)
        from {{ months }}
        where 0
    {%- endif %}
)

select *, toDate('{{ cutoff }}') as cutoff_month
from ({{ merge_user_rows('closed_rows', 'user_id') }})
