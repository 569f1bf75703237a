{#-
    Data tests on the date-partitioned tables check only the partitions a run rewrote when a
    window is set: the load window's days for the star, the rebuilt weeks for the dashboard
    marts (marts_rebuilt_partitions).  Testing every partition would make each daily run cost
    more as history grows.  With no window (a full build) they check everything.  This overrides dbt's default__get_where_subquery (dispatched from
    get_where_subquery, which every generic test uses to read its model); any `where`
    config a test has is still applied.
-#}
{% macro default__get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- if config.get('where', '') -%}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') -%}
    {%- endif -%}
    {%- if relation.identifier in star_partitioned_tables() and load_window().is_set -%}
        {%- do conditions.append('date between ' ~ load_window_start() ~ ' and ' ~ load_window_end()) -%}
    {%- elif relation.identifier in marts_rebuilt_partitions() and load_window().is_set -%}
        {%- do conditions.append(marts_test_window(relation.identifier)) -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) as dbt_subquery
        {%- endset -%}
        {{- return(filtered) -}}
    {%- endif -%}
    {{- return(relation) -}}
{%- endmacro %}


{% macro star_partitioned_tables() -%}
    {{- return(['fact_daily_feed', 'fact_daily_posts', 'fact_daily_messenger', 'fact_user_connections',
                'int_user_daily_attributes']) -}}
{%- endmacro %}


{% macro marts_rebuilt_partitions() -%}
    {#- Each mart's partition date column and the days before / after the load window whose
        weeks a load rebuilds (docs/marts.md, "What a load rebuilds"). -#}
    {{- return({
        'int_user_daily_activity': ('date', 0, 0),
        'agg_engagement_daily': ('date', 0, 0),
        'agg_top_posts_daily': ('date', 0, 0),
        'agg_experiment_daily': ('date', 0, 0),
        'agg_experiment_users_daily': ('date', 0, 0),
        'agg_experiment_users_30d': ('end_date', 0, 29),
        'agg_app_daily_activity': ('date', 0, 7),
        'agg_feed_daily_activity': ('date', 0, 7),
        'agg_messenger_daily_activity': ('date', 0, 7),
        'agg_active_users': ('date', 0, 29),
        'agg_retention': ('cohort_start', 36, 0),
        'agg_lifecycle': ('period_start', 0, 7),
    }) -}}
{%- endmacro %}


{% macro marts_test_window(mart, column=none) -%}
    {#- The rows of `mart` a load rebuilt (its whole weeks), `1` with no window set: for a
        data test to check what the run wrote.  `column` qualifies or renames the date column. -#}
    {%- set date_column, days_before, days_after = marts_rebuilt_partitions()[mart] -%}
    {%- if load_window().is_set -%}
        ({{ column or date_column }} between toMonday({{ load_window_start() }} - {{ days_before }})
            and toMonday({{ load_window_end() }} + {{ days_after }}) + 6)
    {%- else -%}
        1
    {%- endif -%}
{%- endmacro %}
