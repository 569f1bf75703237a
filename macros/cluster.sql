{#-
    Cluster behaviour, decided here and nowhere else (docs/production.md).

    The dbt target says whether the warehouse is a cluster: the `cluster` key of the profile
    (profiles.yml.example, target `cluster`).  Without it (targets `local` and `prod`) every
    macro below renders exactly what the project rendered before it had a cluster layout.
    With it:

      - placement: a model materialized `distributed_incremental` (dbt_project.yml: the
        user-grain tables, sharded by user_id) is a `<name>_local` table on every node of
        its shard plus the Distributed table `<name>` that dbt's ref() names; every other
        table is replicated whole on every node of the cluster;
      - engines: every MergeTree-family engine becomes its Replicated* form (engine_clause);
        sharded local tables replicate within their shard, whole tables across all nodes;
      - maintenance (the post-hooks): ALTER ... DROP PARTITION names the local table and
        runs ON CLUSTER, as dbt-clickhouse's own REPLACE PARTITION and
        EXCHANGE do.  With a Replicated *database* (database_engine) dbt-clickhouse sends no
        ON CLUSTER, since the database replicates DDL itself; these macros follow it.
-#}

{% macro feedstar_cluster_name() -%}
    {#- the target's cluster name, or none (no cluster; also outside dbt, e.g. sqlfluff) -#}
    {%- if target is not defined or target is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set name = (target.get('cluster') or '') | string | trim -%}
    {{- return(name if name != '' else none) -}}
{%- endmacro %}


{% macro feedstar_on_cluster() -%}
    {#- ` on cluster "<name>"` (leading space) when DDL must name the cluster, else '' --
        the same decision as dbt-clickhouse's on_cluster_clause for the target -#}
    {%- set name = feedstar_cluster_name() -%}
    {%- if name is none or 'replicated' in ((target.get('database_engine') or '') | string | lower) -%}
        {{- return('') -}}
    {%- endif -%}
    {{- return(' on cluster "' ~ name ~ '"') -}}
{%- endmacro %}


{% macro feedstar_is_sharded(materialized=none) -%}
    {#- true when the model (or a model of materialization `materialized`) is sharded: a
        Distributed table over per-shard local tables -#}
    {%- if feedstar_cluster_name() is none -%}
        {{- return(false) -}}
    {%- endif -%}
    {%- if materialized is none -%}
        {%- set materialized = config.get('materialized') if config is defined else '' -%}
    {%- endif -%}
    {{- return((materialized or '') | string | lower in ['distributed_incremental', 'distributed_table']) -}}
{%- endmacro %}


{% macro feedstar_local_suffix() -%}
    {#- dbt-clickhouse's suffix of a Distributed table's local tables (profile key local_suffix) -#}
    {%- if execute -%}
        {{- return(adapter.get_clickhouse_local_suffix()) -}}
    {%- endif -%}
    {{- return('_local') -}}
{%- endmacro %}


{% macro feedstar_local_relation(relation, materialized=none) -%}
    {#- the table that holds `relation`'s rows on a node: its `_local` table when sharded,
        the relation itself otherwise -#}
    {%- if not feedstar_is_sharded(materialized) -%}
        {{- return(relation) -}}
    {%- endif -%}
    {%- set prefix = adapter.get_clickhouse_local_db_prefix() if execute else '' -%}
    {{- return(relation.incorporate(path={'identifier': relation.identifier ~ feedstar_local_suffix(),
                                          'schema': prefix ~ relation.schema})) -}}
{%- endmacro %}


{% macro feedstar_alter_table(relation, materialized=none) -%}
    {#- `alter table <the node's table>[ on cluster "<name>"]`: the head of every ALTER hook -#}
    {{- return('alter table ' ~ feedstar_local_relation(relation, materialized) ~ feedstar_on_cluster()) -}}
{%- endmacro %}


{% macro feedstar_engine(engine, materialized=none) -%}
    {#- `engine` as the target needs it: unchanged without a cluster (ClickHouse Cloud makes
        every MergeTree Shared* itself); on a cluster the Replicated* form, replicated within
        the shard for a sharded local table ({shard} in the path) or across every node for a
        whole table.  {uuid}: a table recreated under the same name never meets its old
        replicas' metadata; ON CLUSTER DDL gives every node the same uuid. -#}
    {%- set text = (engine or 'MergeTree()') | string | trim -%}
    {%- if feedstar_cluster_name() is none -%}
        {{- return(text) -}}
    {%- endif -%}
    {%- set match = modules.re.fullmatch('(\\w*)MergeTree\\s*(?:\\((.*)\\))?', text, modules.re.S) -%}
    {%- if match is none or match.group(1).startswith('Replicated') or match.group(1).startswith('Shared') -%}
        {{- return(text) -}}
    {%- endif -%}
    {%- set group = '{shard}' if feedstar_is_sharded(materialized) else 'all' -%}
    {%- set arguments = ["'/clickhouse/tables/{uuid}/" ~ group ~ "'", "'{replica}'"] -%}
    {%- set own = (match.group(2) or '') | trim -%}
    {%- if own != '' -%}
        {%- do arguments.append(own) -%}
    {%- endif -%}
    {{- return('Replicated' ~ match.group(1) ~ 'MergeTree(' ~ arguments | join(', ') ~ ')') -}}
{%- endmacro %}


{#- dbt-clickhouse's engine clause (materializations/table.sql), used by every CREATE TABLE it
    sends for a model, a seed or a Distributed table's local table: the configured engine,
    made Replicated* on a cluster.  Renders the same text as dbt-clickhouse's without one. -#}
{% macro engine_clause() %}
  engine = {{ feedstar_engine(config.get('engine', default='MergeTree()')) }}
{%- endmacro -%}
