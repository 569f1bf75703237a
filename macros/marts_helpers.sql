{#-
    Helpers shared by the dashboard marts (models/marts/dashboards, docs/marts.md).

    Incremental marts rebuild whole date partitions (insert_overwrite). A load of the
    window [start, end] (lookback already applied by load_window()) must rebuild every
    partition whose numbers can change -- for a rolling 30-day window that is
    [start, end + 29] -- and read the rows those partitions depend on, e.g. [start - 29,
    end + 29]. `marts_between(column, before, after)` renders that predicate.  A first
    build or --full-refresh renders it for a window that holds every date, which its
    INSERT then loads a few weeks at a time (macros/build_windows.sql).
-#}

{% macro marts_is_windowed() -%}
    {#- a mart loaded by partition replacement is always rendered for its (tagged) window:
        every date when built in full (macros/build_windows.sql) -#}
    {{- return(builds_in_windows() or is_incremental() and load_window().is_set) -}}
{%- endmacro %}


{% macro marts_between(column, days_before=0, days_after=0) -%}
    {#- `column` within [window start - days_before, window end + days_after], widened to
        whole Monday-based weeks: the marts are partitioned by week (toMonday), so a
        rebuilt partition must get all of its rows. -#}
    {%- if marts_is_windowed() -%}
        ({{ column }} between toMonday({{ load_window_start() }} - {{ days_before }})
            and toMonday({{ load_window_end() }} + {{ days_after }}) + 6)
    {%- else -%}
        1
    {%- endif -%}
{%- endmacro %}


{% macro marts_unknown_label() -%}
    {#- The label of a missing attribute (NULL or empty) in every breakdown and slice. -#}
    'unknown'
{%- endmacro %}


{% macro marts_age_bucket(age) -%}
    {#- The one definition of age buckets; NULL (a user never seen active) is unknown. -#}
    multiIf(
        {{ age }} is null, {{ marts_unknown_label() }},
        {{ age }} < 18, '0-17',
        {{ age }} < 25, '18-24',
        {{ age }} < 35, '25-34',
        {{ age }} < 45, '35-44',
        {{ age }} < 55, '45-54',
        '55+'
    )
{%- endmacro %}


{% macro marts_breakdown_pairs() -%}
    {#- One (breakdown, breakdown_value) tuple per breakdown, for arrayJoin: each user row
        is counted once under the total and once under each attribute. Empty or NULL
        attributes become 'unknown' so they stay in every breakdown's total. -#}
    [
        ('total', 'all'),
        ('source', {{ marts_slice_value('source') }}),
        ('os', {{ marts_slice_value('os') }}),
        ('country', {{ marts_slice_value('country') }}),
        ('age_bucket', {{ marts_slice_value('age_bucket') }}),
        ('exp_group', {{ marts_slice_value('exp_group') }})
    ]
{%- endmacro %}


{% macro marts_slice_value(column) -%}
    {#- An attribute as the breakdowns spell it: its text, unknown when NULL or empty. -#}
    cast(coalesce(nullIf(toString({{ column }}), ''), {{ marts_unknown_label() }}) as String)
{%- endmacro %}


{% macro marts_gender_label(gender) -%}
    {#- The sources' gender code as a word (models/sources.yml: 1 = male, 0 = female). -#}
    multiIf({{ gender }} = 1, 'male', {{ gender }} = 0, 'female', {{ marts_unknown_label() }})
{%- endmacro %}


{% macro marts_experiment_window_days() -%}
    {#- The length of agg_experiment_users_30d's trailing window, in days (the var
        experiment_window_days, dbt_project.yml); a whole number, for date arithmetic. -#}
    {{- return(whole_days_var('experiment_window_days', none, 1, 'feedstar marts', 30)) -}}
{%- endmacro %}


{% macro marts_user_services() -%}
    {#- The services a user-day row counts for: 'app' when active anywhere, plus each
        service the user was active in (receiving alone is not activity). -#}
    arrayConcat(
        if(is_feed_active or is_messenger_active, ['app'], []),
        if(is_feed_active, ['feed'], []),
        if(is_messenger_active, ['messenger'], [])
    )
{%- endmacro %}


{% macro marts_service_first_date(service_column) -%}
    {#- The first day of a user's lifetime in a service (app = first activity anywhere). -#}
    multiIf(
        {{ service_column }} = 'app', first_active_date,
        {{ service_column }} = 'feed', first_feed_date,
        first_messenger_date
    )
{%- endmacro %}


{% macro marts_shift_days(counts_a_week_later) -%}
    {#- The days after its own date that a user-day row of the agg_*_daily_activity marts is
        reported on, as an arrayJoin: 0 (its own date), and also 7 when the row counts in a
        *_7_days_ago column (a new user's first day, `counts_a_week_later`).  The shifted
        copies count nothing else, so only those rows are copied: copying every user-day
        doubled the rows to group.  A NULL condition (a receive-only row) copies nothing. -#}
    arrayJoin(if({{ counts_a_week_later }}, [0, 7], [0]))
{%- endmacro %}


{% macro marts_daily_activity_slices(prefix='') -%}
    {#- The user attributes the agg_*_daily_activity marts are sliced by (their grain is
        (date, these columns)), as a column list; `prefix` qualifies each one. -#}
    {%- set slices = ['gender', 'age', 'source', 'os', 'city', 'country'] -%}
    {%- for column in slices -%}
        {{ prefix }}{{ column }}{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}


{% macro marts_last_loaded_date(relation) -%}
    {#- The newest date loaded into `relation`: a mart never writes a report date after it
        (a load's "end + N days" must not create rows for days without data yet). -#}
    (select max(date) from {{ relation }})
{%- endmacro %}
