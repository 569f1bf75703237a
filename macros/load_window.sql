{#-
    The load window (docs/contracts.md, "Load window"): which logical dates a run loads.

    vars:
      start_date, end_date  inclusive logical dates, a YAML date or a 'YYYY-MM-DD' string.
                            Both unset = everything (first build / full refresh).
                            Only one set = that single day (a daily run passes start_date only).
      lookback_days         non-negative integer (default 3): an incremental run also rebuilds
                            the lookback_days before start_date, to pick up late events.

    Every public macro validates the vars first, so a bad value is a compiler error that names
    the var and the value -- never SQL that fails (or worse, runs) with a garbled date.
-#}

{% macro _load_window_parse_date(var_name) -%}
    {#- Returns a datetime.date, or none when the var is unset; raises on anything else. -#}
    {%- set value = var(var_name, none) -%}
    {%- if value is none or (value is string and value | trim == '') -%}
        {{- return(none) -}}
    {%- endif -%}
    {#- A YAML date renders as YYYY-MM-DD; a datetime, number, bool or list renders differently
        and fails the pattern below, so str() + an exact pattern accepts exactly the two forms. -#}
    {%- set text = value | string -%}
    {%- if value is sameas true or value is sameas false
           or not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text) -%}
        {{- exceptions.raise_compiler_error(
            "feedstar load window: var " ~ var_name ~ " = " ~ (value | string) ~
            " is not a date; expected YYYY-MM-DD, e.g. --vars '{" ~ var_name ~ ": 2025-03-09}'") -}}
    {%- endif -%}
    {%- set parsed = _load_window_strptime(text) -%}
    {%- if parsed is none -%}
        {{- exceptions.raise_compiler_error(
            "feedstar load window: var " ~ var_name ~ " = " ~ text ~
            " is not a calendar date (no such day); expected a real YYYY-MM-DD date") -}}
    {%- endif -%}
    {{- return(parsed) -}}
{%- endmacro %}


{% macro _load_window_strptime(text) -%}
    {#- datetime.date for a well-formed 'YYYY-MM-DD', none for an impossible day (2025-02-30). -#}
    {%- set year = text[0:4] | int -%}
    {%- set month = text[5:7] | int -%}
    {%- set day = text[8:10] | int -%}
    {%- if year < 1970 or month < 1 or month > 12 or day < 1 -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set next_month_first = modules.datetime.date(year + (month // 12), (month % 12) + 1, 1) -%}
    {%- set days_in_month = (next_month_first - modules.datetime.timedelta(days=1)).day -%}
    {%- if day > days_in_month -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(modules.datetime.date(year, month, day)) -}}
{%- endmacro %}


{% macro _load_window_lookback_days() -%}
    {{- return(whole_days_var('lookback_days', 3, 0, 'feedstar load window', 3)) -}}
{%- endmacro %}


{% macro whole_days_var(name, default, minimum, context, example) -%}
    {#- The var `name` (`default` when unset or null) as a whole number of days >= `minimum`
        (0 or 1), else a compiler error naming the var and the value. -#}
    {%- set value = var(name, default) -%}
    {%- if value is none -%}
        {%- set value = default -%}
    {%- endif -%}
    {#- (`modules is defined`: a linter renders the SQL without dbt's context or vars) -#}
    {%- if modules is defined and (value is sameas true or value is sameas false
           or not modules.re.fullmatch('[0-9]+', value | string | trim)
           or (value | string | trim | int) < minimum) -%}
        {{- exceptions.raise_compiler_error(
            context ~ ": var " ~ name ~ " = " ~ (value | string) ~ " is not a "
            ~ ("non-negative" if minimum == 0 else "positive") ~ " whole number of days (e.g. --vars '{"
            ~ name ~ ": " ~ example ~ "}')") -}}
    {%- endif -%}
    {{- return(value | string | trim | int) -}}
{%- endmacro %}


{% macro load_window() -%}
    {#- The validated window as a dict: start (lookback applied), end (datetime.date or none),
        logical_start (the requested first day), lookback_days, is_set. -#}
    {%- if modules is not defined -%}
        {#- Rendered outside dbt (sqlfluff's jinja templater): no vars, so no window. -#}
        {{- return({'is_set': false, 'start': none, 'end': none, 'logical_start': none,
                    'lookback_days': 3}) -}}
    {%- endif -%}
    {%- set start = _load_window_parse_date('start_date') -%}
    {%- set end = _load_window_parse_date('end_date') -%}
    {%- set lookback = _load_window_lookback_days() -%}
    {%- if start is none and end is none -%}
        {{- return({'is_set': false, 'start': none, 'end': none, 'logical_start': none,
                    'lookback_days': lookback}) -}}
    {%- endif -%}
    {%- if start is none -%}{%- set start = end -%}{%- endif -%}
    {%- if end is none -%}{%- set end = start -%}{%- endif -%}
    {%- if start > end -%}
        {{- exceptions.raise_compiler_error(
            "feedstar load window: var start_date = " ~ start ~ " is after end_date = " ~ end ~
            "; the window is inclusive, start_date <= end_date") -}}
    {%- endif -%}
    {{- return({'is_set': true,
                'start': start - modules.datetime.timedelta(days=lookback),
                'end': end,
                'logical_start': start,
                'lookback_days': lookback}) -}}
{%- endmacro %}


{#- With no window the bounds are the Date type's own range, so `between` keeps every row.
    A model loaded by partition replacement gets tagged literals instead (macros/build_windows.sql):
    the window of an incremental run, else a range that holds every date; its INSERT may then
    load them window by window. -#}
{% macro load_window_start() -%}
    {%- set window = load_window() -%}
    {%- if builds_in_windows() -%}
        {{ window_literal('start', window.start if window.is_set and is_incremental() else window_all_start()) }}
    {%- else -%}
        toDate('{{ window.start if window.is_set else "1970-01-01" }}')
    {%- endif -%}
{%- endmacro %}


{% macro load_window_end() -%}
    {%- set window = load_window() -%}
    {%- if builds_in_windows() -%}
        {{ window_literal('end', window.end if window.is_set and is_incremental() else window_all_end()) }}
    {%- else -%}
        toDate('{{ window.end if window.is_set else "2149-06-06" }}')
    {%- endif -%}
{%- endmacro %}


{% macro load_window_filter(column) -%}
    {#- `1` when no window is set or the model is built in full (first run, --full-refresh,
        or a non-incremental model): then every date is rebuilt.  A model loaded by
        partition replacement always gets the tagged window (every date when built in full). -#}
    {%- set window = load_window() -%}
    {%- if builds_in_windows() or window.is_set and is_incremental() -%}
        ({{ column }} between {{ load_window_start() }} and {{ load_window_end() }})
    {%- else -%}
        1
    {%- endif -%}
{%- endmacro %}
