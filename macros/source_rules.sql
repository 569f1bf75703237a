{#-
    The rules for bad source rows, defined once and used by both the
    staging models (which keep only rows whose problem is '') and stg_source_quality (which
    counts the rows each rule dropped or touched).  Every rule is documented in
    models/staging/staging.yml.
-#}

{% macro product_launch_date() -%}
    {#- The first day the product could have had events: var product_launch_date. -#}
    {%- set value = var('product_launch_date', '2020-01-01') | string -%}
    {%- if modules is defined and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value) -%}
        {{- exceptions.raise_compiler_error(
            "feedstar: var product_launch_date = " ~ value ~ " is not a date; expected YYYY-MM-DD") -}}
    {%- endif -%}
    toDate('{{ value }}')
{%- endmacro %}


{% macro future_events_after() -%}
    {#- Events dated after this day are "from the future" for this run: a run for the window
        ending on day E happens on E + 1 at the earliest, so a later date cannot be real (a
        device clock, a bug).  Deterministic: derived from the vars, never from now().
        No window set (first build / full refresh of everything) = no upper bound. -#}
    {%- if load_window().is_set -%}
        {{ load_window_end() }} + 1
    {%- else -%}
        {#- the Date type's last day: `+ 1` would wrap around to 1970-01-01 -#}
        toDate('2149-06-06')
    {%- endif -%}
{%- endmacro %}


{#- Each source's rules: (problem, condition that makes a row have it), checked in order. -#}

{% macro feed_action_rules() -%}
    {{- return([
        ('missing_user_id', 'user_id is null or user_id = 0'),
        ('missing_post_id', 'post_id is null or post_id = 0'),
        ('unknown_action', "action not in ('view', 'like')"),
    ] + event_time_rules()) -}}
{%- endmacro %}


{% macro message_action_rules() -%}
    {{- return([
        ('missing_user_id', 'user_id is null or user_id = 0'),
        ('missing_receiver_id', 'receiver_id is null or receiver_id = 0'),
    ] + event_time_rules()) -}}
{%- endmacro %}


{% macro event_time_rules() -%}
    {#- The rules on `time`, the same for both sources. -#}
    {{- return([
        ('before_launch', 'toDate(time) < ' ~ product_launch_date()),
        ('future', 'toDate(time) > ' ~ future_events_after()),
    ]) -}}
{%- endmacro %}


{% macro first_problem(rules) -%}
    {#- Why a row cannot be loaded (its first broken rule), or '' when it can: for counting. -#}
    multiIf(
        {%- for problem, condition in rules %}
        {{ condition }}, '{{ problem }}',
        {%- endfor %}
        ''
    )
{%- endmacro %}


{% macro breaks_no_rule(rules) -%}
    {#- The same rules as one boolean, for the staging filter: unlike first_problem, it builds
        no string per row (~20 ms less per day of feed events at the default scale). -#}
    not (
        {%- for problem, condition in rules %}
        ({{ condition }}){{ ' or' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
