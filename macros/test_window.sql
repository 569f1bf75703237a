{#-
    Data tests on the date-partitioned tables check only the partitions a run rewrote when a
    load window is set: testing every partition would make each daily run cost more as history
    grows.  With no window (a full build) they check everything.

    The generic tests get this through dbt's `where` config, set in the models' YAML
    (`config: *load_window_days`, `config: *<mart>_rebuilt_weeks`).  A `where` is rendered when
    dbt parses the YAML, where only var(), env_var() and target exist, not this project's
    macros: so the YAML spells the window out from the vars, and
    tests/python/test_test_windows.py checks that every test of these models has it and that
    it selects exactly the rows below.  The singular tests (tests/marts/) call
    marts_test_window() themselves.
-#}

{% macro marts_rebuilt_partitions() -%}
    {#- The partition date column and the days before / after the load window whose weeks a
        load rebuilds (docs/marts.md, "What a load rebuilds"), of the marts a singular test
        reads (the generic tests' windows are in the YAML). -#}
    {{- return({
        'agg_app_daily_activity': ('date', 0, 7),
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
