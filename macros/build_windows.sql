{#-
    Builds in windows: bounded memory for any history.

    A date-partitioned incremental model (insert_overwrite: the facts, int_user_daily_attributes
    and the dashboard marts) renders its load window as two tagged date literals,
        toDate('2025-03-06' /*feedstar:window_start*/) ... toDate('2025-03-09' /*feedstar:window_end*/)
    -- the window of an incremental run, or, for a first build or a --full-refresh, a range
    that holds every date (window_all_start() .. window_all_end()).  The SQL means exactly
    that window when it runs as it is.

    clickhouse__insert_into (dbt-clickhouse's one INSERT ... SELECT of a model's rows, used
    by the first build, the full refresh and the insert_overwrite temp table alike) splits a
    window longer than build_window_days into consecutive windows of whole Monday-based
    weeks and runs one INSERT per window, each with the tags set to its window.  Each window
    is the load of an incremental run of those days (lookback 0) with its output cut to the
    partitions that start inside it, so the windows' rows are disjoint and together are
    what one INSERT of the whole window gives: a load of [s, e] rebuilds whole partitions
    that include every partition of [s, e] (docs/contracts.md, docs/marts.md), and a
    window's own partitions start on its first Monday.  Memory then follows a window's
    events, not the history's.

    vars:
      build_window_days    longest window one INSERT loads (default 28, rounded down to
                           whole weeks, at least 7).
      build_window_events  source events one window aims at (default 40 million): windows
                           shrink, by whole weeks down to one, when the sources hold more.
-#}

{% macro window_all_start() -%}
    {#- the window of a full build: every date a Date can hold, with room for the marts'
        offsets (a window start minus up to ~40 days, then toMonday) to stay inside the type -#}
    {{- return('1970-03-02') -}}
{%- endmacro %}


{% macro window_all_end() -%}
    {{- return('2149-01-01') -}}
{%- endmacro %}


{% macro builds_in_windows() -%}
    {#- true while rendering a model that is loaded by partition replacement -#}
    {%- if model is not defined or model is none or config is not defined -%}
        {{- return(false) -}}
    {%- endif -%}
    {{- return(config.get('materialized') in ['incremental', 'distributed_incremental']
               and config.get('incremental_strategy') == 'insert_overwrite') -}}
{%- endmacro %}


{% macro window_literal(which, value) -%}
    toDate('{{ value }}' /*feedstar:window_{{ which }}*/)
{%- endmacro %}


{% macro _windows_weeks_per_window(first, last) -%}
    {#- whole weeks per INSERT: build_window_days, fewer when the sources are dense -#}
    {%- set max_weeks = [(var('build_window_days', 28) | int) // 7, 1] | max -%}
    {%- set target_events = var('build_window_events', 40000000) | int -%}
    {%- set counted -%}
        select
            (select count() from {{ source('product', 'feed_actions') }}
             where toDate(time) between '{{ first }}' and '{{ last }}')
            + (select count() from {{ source('product', 'message_actions') }}
               where toDate(time) between '{{ first }}' and '{{ last }}')
    {%- endset -%}
    {%- set events = run_query(counted).rows[0][0] | int -%}
    {%- set days = (last - first).days + 1 -%}
    {%- set per_week = events * 7 / days -%}
    {%- if per_week <= 0 -%}
        {{- return(max_weeks) -}}
    {%- endif -%}
    {{- return([[(target_events / per_week) | int, 1] | max, max_weeks] | min) -}}
{%- endmacro %}


{% macro _windows_data_range() -%}
    {#- [first, last] day of the sources' events (a full build's real extent), from the
        parts' min/max index (no scan); none when both sources are empty -#}
    {%- set bounds -%}
        select
            toString(greatest(least(f.lo, m.lo), {{ product_launch_date() }})),
            toString(greatest(f.hi, m.hi))
        from
            (select min(toDate(time)) as lo, max(toDate(time)) as hi
             from {{ source('product', 'feed_actions') }}) as f,
            (select min(toDate(time)) as lo, max(toDate(time)) as hi
             from {{ source('product', 'message_actions') }}) as m
        where f.hi > toDate(0) or m.hi > toDate(0)
    {%- endset -%}
    {%- set rows = run_query(bounds).rows -%}
    {%- if rows | length == 0 -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return([_load_window_strptime(rows[0][0]), _load_window_strptime(rows[0][1])]) -}}
{%- endmacro %}


{% macro build_windows(sql) -%}
    {#- The windows to load `sql` in: a list of (start, end, lower_partition, upper_partition)
        with datetime.date bounds; lower/upper partition (none = open) cut each window's
        output to the partitions that start inside it.  One window, uncut, when the SQL has
        no tags or its window is short. -#}
    {%- set re = modules.re -%}
    {%- set starts = re.findall("'([0-9-]{10})' /\\*feedstar:window_start\\*/", sql) | unique | list -%}
    {%- set ends = re.findall("'([0-9-]{10})' /\\*feedstar:window_end\\*/", sql) | unique | list -%}
    {%- if starts | length != 1 or ends | length != 1 -%}
        {{- return([]) -}}
    {%- endif -%}
    {%- set first = _load_window_strptime(starts[0]) -%}
    {%- set last = _load_window_strptime(ends[0]) -%}
    {%- if starts[0] == window_all_start() -%}
        {%- set data_range = _windows_data_range() -%}
        {%- if data_range is none -%}
            {{- return([]) -}}
        {%- endif -%}
        {%- set first, last = data_range -%}
    {%- endif -%}
    {%- if (last - first).days + 1 <= 7 -%}
        {{- return([(first, last, none, none)]) -}}
    {%- endif -%}
    {%- set weeks = _windows_weeks_per_window(first, last) -%}
    {%- set day = modules.datetime.timedelta(days=1) -%}
    {%- set first_monday = first - modules.datetime.timedelta(days=first.weekday()) -%}
    {%- set count = (last - first_monday).days // (7 * weeks) + 1 -%}
    {%- set ns = namespace(windows=[], start=first, lower=none) -%}
    {%- for index in range(count) -%}
        {#- window k ends the day before the Monday k * weeks weeks after the first Monday -#}
        {%- set next_start = first_monday + modules.datetime.timedelta(days=7 * weeks * (index + 1)) -%}
        {%- set end = [next_start - day, last] | min -%}
        {%- set upper = next_start if end < last else none -%}
        {%- do ns.windows.append((ns.start, end, ns.lower, upper)) -%}
        {%- set ns.lower = next_start -%}
        {%- set ns.start = next_start -%}
    {%- endfor -%}
    {%- if ns.windows | length == 1 -%}
        {{- return([(first, last, none, none)]) -}}
    {%- endif -%}
    {{- return(ns.windows) -}}
{%- endmacro %}


{% macro window_sql(sql, window) -%}
    {#- `sql` with its tags set to `window`, its output cut to the window's partitions -#}
    {%- set re = modules.re -%}
    {%- set start, end, lower, upper = window -%}
    {%- set text = re.sub("'[0-9-]{10}' /\\*feedstar:window_start\\*/",
                          "'" ~ start ~ "' /*feedstar:window_start*/", sql) -%}
    {%- set text = re.sub("'[0-9-]{10}' /\\*feedstar:window_end\\*/",
                          "'" ~ end ~ "' /*feedstar:window_end*/", text) -%}
    {%- if lower is none and upper is none -%}
        {{- return(text) -}}
    {%- endif -%}
    {%- set partition = config.get('partition_by') -%}
    {%- set conditions = [] -%}
    {%- if lower is not none -%}
        {%- do conditions.append('(' ~ partition ~ ") >= toDate('" ~ lower ~ "')") -%}
    {%- endif -%}
    {%- if upper is not none -%}
        {%- do conditions.append('(' ~ partition ~ ") < toDate('" ~ upper ~ "')") -%}
    {%- endif -%}
    {{- return('select * from (\n' ~ text ~ '\n) where ' ~ conditions | join(' and ')) -}}
{%- endmacro %}


{#- dbt-clickhouse's INSERT of a model's rows (materializations/table.sql), loading a
    tagged model window by window; any other SQL is inserted as dbt-clickhouse does. -#}
{% macro clickhouse__insert_into(target_relation, sql, has_contract, use_columns_from_sql=False,
                                   created_from_sql=False) %}
  {#- The INSERT's column list.  created_from_sql: the table was just created from `sql`
      (macros/insert_overwrite.sql), so its columns are the contract's, or else the SQL's own
      in their order and the INSERT names none: no lookup. -#}
  {%- if created_from_sql -%}
    {%- set names = (model['columns'].values() | map(attribute='name') | list) if has_contract else none -%}
  {%- elif use_columns_from_sql -%}
    {%- set names = clickhouse__get_columns_in_query(sql) -%}
  {%- else -%}
    {%- set names = adapter.get_columns_in_relation(target_relation) | map(attribute='name') | list -%}
  {%- endif -%}
  {%- set ns = namespace(quoted=[]) -%}
  {%- for name in names or [] -%}
    {%- set ns.quoted = ns.quoted + [adapter.quote(name)] -%}
  {%- endfor -%}
  {%- set dest_cols_csv = none if names is none else ns.quoted | join(', ') -%}
  {%- set windows = build_windows(sql) if execute and builds_in_windows() else [] -%}
  {%- if windows | length == 0 -%}
    {%- set windows = [none] -%}
  {%- endif -%}
  {%- for window in windows -%}
    {%- set window_select = sql if window is none else window_sql(sql, window) -%}
    {%- set statement_sql -%}
  insert into {{ target_relation }} {{ '(' ~ dest_cols_csv ~ ')' if dest_cols_csv is not none }}
  {%- if has_contract %}
          SELECT {{ dest_cols_csv }}
          FROM (
            {{ window_select }}
            )
  {%- else %}
      {{ window_select }}
  {%- endif -%}
  {{ adapter.get_model_query_settings(model) }}
    {%- endset -%}
    {%- if loop.last -%}
      {{ statement_sql }}
    {%- else -%}
      {%- do log(this.identifier ~ ': window ' ~ loop.index ~ '/' ~ loop.length ~ ' ['
                 ~ window[0] ~ ', ' ~ window[1] ~ ']', info=False) -%}
      {%- call statement('window_' ~ loop.index) -%}{{ statement_sql }}{%- endcall -%}
    {%- endif -%}
  {%- endfor -%}
{%- endmacro %}
