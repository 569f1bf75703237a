{#-
    dbt-clickhouse's scratch tables that a killed (or failed) run leaves behind, dropped by the
    next run (dbt_project.yml, on-run-start).  README.md, "Crashes and restarts".

    dbt-clickhouse names them (its source: materializations/incremental/incremental.sql and
    adapters/clickhouse/dbclient.py):

      - `<model>__dbt_new_data_<invocation id, '-' -> '_'>`: an insert_overwrite load's new
        partitions, swapped in with REPLACE PARTITION, then dropped.  A new run has another
        invocation id, so it never drops the killed run's table itself;
      - `<model>__dbt_distributed_new_data`: the Distributed table over it (sharded models);
      - `__dbt_exchange_test_{0,1}_<uuid1 hex>`: its check, when a connection opens, that
        EXCHANGE TABLES works (the profiles turn the check off: check_exchange: false).

    Which ones are safe to drop while another dbt run may be going (the intraday DAG runs
    `dbt build --select tag:intraday` every 15 minutes, also during the daily load):

      - a model's new-data tables only when this run selects the model.  It is about to
        rebuild that model, and two runs of one model at a time are unsafe anyway
        (dbt-clickhouse's `__dbt_distributed_new_data`, `__dbt_backup` and `__dbt_tmp`
        names have no run id), so the deployment never does it: each DAG runs one run at a
        time and the daily DAG excludes tag:intraday.  An age limit would not do: a retry a
        minute after a kill must find the table gone, while a backfill's load of one model
        can last longer than any limit.  So the intraday run never touches the daily
        models' tables, nor the daily run the intraday ones;
      - exchange-test tables only when older than 10 minutes (ClickHouse's
        metadata_modification_time): a probe lasts well under a second, so an older one is a
        killed run's, and a fresh one may be another run's probe in progress.

    On a cluster the tables are looked for on every replica and dropped ON CLUSTER, as
    dbt-clickhouse creates and drops them.
-#}

{% macro feedstar_drop_stale_scratch_tables() -%}
    {%- if not execute -%}
        {{- return('') -}}
    {%- endif -%}
    {%- set uuid = '[0-9a-f]{8}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{4}_[0-9a-f]{12}' -%}
    {%- set models = feedstar_selected_incremental_models() -%}
    {%- set schemas = (models | map(attribute=0) | list) + [target.schema] -%}
    {%- set cluster = feedstar_cluster_name() -%}
    {%- set tables = 'clusterAllReplicas(' ~ adapter.get_clickhouse_cluster_name() ~ ', system.tables)'
                     if cluster else 'system.tables' -%}
    {%- set query -%}
        select distinct database, name,
               extract(name, '^(.+)__dbt_(?:new_data_{{ uuid }}|distributed_new_data)$') as model,
               metadata_modification_time < now() - interval 10 minute as old
        from {{ tables }}
        where database in ({{ "'" ~ (schemas | unique | join("', '")) ~ "'" }})
          and (model != '' or match(name, '^__dbt_exchange_test_[01]_[0-9a-f]{32}$'))
        order by database, name
    {%- endset -%}
    {%- for database, name, model, old in run_query(query).rows -%}
        {%- set exchange_test = model == '' and database == target.schema -%}
        {%- if (exchange_test and old) or (database, model) in models -%}
            {{- log('dropping ' ~ database ~ '.' ~ name ~ ', a scratch table of an earlier run that did not finish', info=true) -}}
            {%- do run_query('drop table if exists `' ~ database ~ '`.`' ~ name ~ '`' ~ feedstar_on_cluster()) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return('') -}}
{%- endmacro %}


{% macro feedstar_selected_incremental_models() -%}
    {#- (schema, table name) of every incremental model this run selects: the ones whose
        scratch tables it may drop -#}
    {%- set models = [] -%}
    {%- for unique_id in selected_resources -%}
        {%- set node = graph.nodes.get(unique_id) -%}
        {%- if node and node.resource_type == 'model'
              and node.config.materialized in ['incremental', 'distributed_incremental'] -%}
            {%- do models.append((node.schema, node.alias or node.name)) -%}
        {%- endif -%}
    {%- endfor -%}
    {{- return(models) -}}
{%- endmacro %}
