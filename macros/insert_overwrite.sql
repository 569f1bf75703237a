{#-
    dbt-clickhouse's insert_overwrite load (materializations/incremental/incremental.sql),
    with fewer round trips, for every model that is not sharded (on a cluster, the whole
    replicated tables too: their statements keep dbt-clickhouse's ON CLUSTER clauses).

    A load builds the window's rows in a new table, REPLACEs the target's partitions that
    the new table holds, and drops it.  dbt-clickhouse also sends statements whose answer is
    known in advance.  A statement costs ~5 ms (dbt's and the endpoint's round trip) before
    ClickHouse does any work, and a daily load runs 21 of these models: three such statements
    each were about 0.4 s of a steady-state day's ~5 s on 60 days at scale 1.  Left out:

      - `drop table if exists` of the new-data table before creating it: its name carries this
        run's invocation id, so no earlier run can have left it (a killed run's table has its
        own id and is dropped by on-run-start: macros/scratch_tables.sql);
      - the drop of `<model>__dbt_distributed_new_data`: only a sharded model has one;
      - the lookup of the new-data table's columns for its INSERT: the table was created from
        the same SQL a statement earlier (clickhouse__create_table_as below).

    A sharded model (distributed_incremental, a target with a cluster) takes dbt-clickhouse's
    own path unchanged.
-#}

{% macro clickhouse__incremental_insert_overwrite(existing_relation, partition_by, is_distributed=False) %}
  {%- if is_distributed -%}
    {%- do dbt.clickhouse__incremental_insert_overwrite(existing_relation, partition_by, is_distributed) -%}
  {%- else -%}
    {%- set new_data_relation = existing_relation.incorporate(path={"identifier": existing_relation.identifier
        ~ '__dbt_new_data_' ~ invocation_id.replace('-', '_')}) -%}
    {%- call statement('main') -%}
        {{ get_create_table_as_sql(False, new_data_relation, sql) }}
    {%- endcall -%}
    {%- set changed_partitions = [] -%}
    {%- if execute -%}
      {%- set select_changed_partitions -%}
        select distinct partition_id from system.parts
        where active and database = '{{ new_data_relation.schema }}' and table = '{{ new_data_relation.identifier }}'
      {%- endset -%}
      {%- set changed_partitions = run_query(select_changed_partitions).rows -%}
    {%- endif -%}
    {%- if changed_partitions -%}
      {%- call statement('replace_partitions') -%}
        alter table {{ existing_relation }}
        {%- for partition in changed_partitions %}
            replace partition id '{{ partition['partition_id'] }}' from {{ new_data_relation }}
            {{- ', ' if not loop.last }}
        {%- endfor %}
      {%- endcall -%}
    {%- endif -%}
    {%- do adapter.drop_relation(new_data_relation) -%}
  {%- endif -%}
{% endmacro %}


{#- dbt-clickhouse's CREATE TABLE ... EMPTY AS, then INSERT (materializations/table.sql),
    telling the INSERT that the table was just created from this SQL (or this model's
    contract), so that its columns need not be looked up. -#}
{% macro clickhouse__create_table_as(temporary, relation, sql) -%}
    {%- set has_contract = config.get('contract').enforced -%}
    {{- clickhouse__create_empty_table(temporary, relation, sql, has_contract) -}}
    {%- if not temporary %}
        {{ clickhouse__insert_into(relation, sql, has_contract, created_from_sql=true) }}
    {%- endif %}
{%- endmacro %}
