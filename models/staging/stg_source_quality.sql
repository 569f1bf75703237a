-- One row per (source table, event date, reason): how many source rows a rule of
-- macros/source_rules.sql dropped (rule_action = 'dropped') or kept with a fix
-- ('kept').  Reads the whole source, so it is a view: nothing is stored twice (but the
-- exact duplicates of the loaded days, counted by stg_source_duplicates).
-- Each source is read once: its rows that break a rule (reason = the first broken rule) and
-- its loadable rows without a city (reason 'empty_city'), counted per day and reason.
with
{%- for table, rules in [('feed_actions', feed_action_rules()), ('message_actions', message_action_rules())] %}
    {{ table }}_reasons as (
        select
            '{{ table }}' as source_table,
            toDate(time) as event_date,
            if(problem != '', problem, 'empty_city') as reason,
            count() as source_rows
        from (
            select
                *,
                {{ first_problem(rules) }} as problem
            from {{ source('product', table) }}
        )
        where problem != '' or city = ''
        group by event_date, reason
    ),
{% endfor %}

-- extra copies of an exact duplicate among valid rows (kept, see staging.yml), per loaded
-- day: counted once per load in stg_source_duplicates (a distinct count of every event)
duplicates as (
    select
        source_table,
        event_date,
        'exact_duplicate' as reason,
        duplicate_rows as source_rows
    from {{ ref('stg_source_duplicates') }}
),

all_reasons as (
    select * from feed_actions_reasons
    union all
    select * from message_actions_reasons
    union all
    select * from duplicates
),

final as (
    select
        source_table,
        event_date,
        reason,
        if(reason in ('empty_city', 'exact_duplicate'), 'kept', 'dropped') as rule_action,
        toUInt64(source_rows) as source_rows
    from all_reasons
    where source_rows > 0
)

select * from final
