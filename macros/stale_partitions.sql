{% macro drop_vanished_partitions(date_column, sources, partition_of=none) -%}
    {#-
        Post-hook for insert_overwrite facts.  dbt-clickhouse builds a run's rows in a new
        table and REPLACEs only the partitions present in it, so a day of the load window
        whose source rows all disappeared (deleted, or all found bad) would keep its old,
        now wrong, partition.  This drops the window's partitions that have no source rows
        left.  `sources`: list of (relation, date column) pairs feeding the model.
        `partition_of`: for a model partitioned by a coarser date (e.g. 'toStartOfMonth',
        `date_column` holding that date), the function that maps a day to it.
        Renders nothing on full builds (the table was rebuilt from scratch anyway).
    -#}
    {%- if execute and is_incremental() and load_window().is_set -%}
        {%- set to_partition = (partition_of ~ '(%s)') if partition_of else '%s' -%}
        {%- set first = to_partition | format(load_window_start()) -%}
        {%- set last = to_partition | format(load_window_end()) -%}
        {%- set source_dates -%}
            {%- for relation, column in sources %}
            select {{ to_partition | format(column) }} as d from {{ relation }}
            where {{ to_partition | format(column) }} between {{ first }} and {{ last }}
            {% if not loop.last %}union distinct{% endif %}
            {%- endfor %}
        {%- endset -%}
        {%- set stale -%}
            select distinct _partition_id as partition_id from {{ this }}
            where {{ date_column }} between {{ first }} and {{ last }}
              and {{ date_column }} not in ({{ source_dates }})
            order by partition_id
        {%- endset -%}
        {%- for row in run_query(stale).rows -%}
            {%- do run_query(feedstar_alter_table(this) ~ " drop partition id '" ~ row[0] ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
