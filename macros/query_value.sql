{% macro query_value(sql, default) -%}
    {#- The first column of the first row `sql` returns when the model runs; `default` while
        dbt parses (no query runs then) and when a linter renders the model. -#}
    {%- if execute -%}
        {{- return(run_query(sql).rows[0][0]) -}}
    {%- endif -%}
    {{- return(default) -}}
{%- endmacro %}
