{#-
    Data tests on the star's date-partitioned tables check only the load window's partitions
    when a window is set: an incremental run rewrites only those, and testing every partition
    would make each daily run cost more as history grows.  With no window (a full build)
    they check everything.  This overrides dbt's default__get_where_subquery (dispatched from
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
