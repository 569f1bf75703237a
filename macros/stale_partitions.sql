{% macro drop_vanished_partitions(date_column, sources) -%}
    {#-
        Post-hook for insert_overwrite facts.  dbt-clickhouse builds a run's rows in a new
        table and REPLACEs only the partitions present in it, so a day of the load window
        whose source rows all disappeared (deleted, or all found bad) would keep its old,
        now wrong, partition.  This drops the window's partitions that have no source rows
        left.  `sources`: list of (relation, date column) pairs feeding the model.
        Renders nothing on full builds (the table was rebuilt from scratch anyway).
    -#}
    {%- if execute and is_incremental() and load_window().is_set -%}
        {%- set source_dates -%}
            {%- for relation, column in sources %}
            select {{ column }} as d from {{ relation }}
            where {{ column }} between {{ load_window_start() }} and {{ load_window_end() }}
            {% if not loop.last %}union distinct{% endif %}
            {%- endfor %}
        {%- endset -%}
        {%- set stale -%}
            select distinct _partition_id as partition_id from {{ this }}
            where {{ date_column }} between {{ load_window_start() }} and {{ load_window_end() }}
              and {{ date_column }} not in ({{ source_dates }})
            order by partition_id
        {%- endset -%}
        {%- for row in run_query(stale).rows -%}
            {%- do run_query(feedstar_alter_table(this) ~ " drop partition id '" ~ row[0] ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}


{% macro delete_vanished_users(days_relation) -%}
    {#-
        Post-hook for dim_users: deletes the users left with no day at all in `days_relation`
        (int_user_daily_attributes) -- every source row behind them vanished.  Only the load
        window's days are rebuilt, so such a user had all of their days in or after the
        window: first_seen_date >= the window start, and no day from it on.  Both reads are
        bounded by the window start instead of scanning every user-day of history.  Renders
        nothing on a full build (the table was just built from the days that exist).
    -#}
    {%- if is_incremental() and load_window().is_set -%}
        {{ feedstar_delete_from(this) }}
        where
            first_seen_date >= {{ load_window_start() }}
            and user_id not in (
                select user_id from {{ days_relation }}
                where date >= {{ load_window_start() }}
            )
    {%- endif -%}
{%- endmacro %}
