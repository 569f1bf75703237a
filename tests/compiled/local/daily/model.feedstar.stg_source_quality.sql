create or replace view `analytics`.`stg_source_quality`
  as (
    -- One row per (source table, event date, reason): how many source rows a rule of
-- macros/source_rules.sql dropped (rule_action = 'dropped') or kept with a fix
-- ('kept').  Reads the whole source, so it is a view: nothing is stored twice (but the
-- exact duplicates of the loaded days, counted by stg_source_duplicates).
-- Each source is read once: its rows that break a rule (reason = the first broken rule) and
-- its loadable rows without a city (reason 'empty_city'), counted per day and reason.
with
    feed_actions_reasons as (
        select
            'feed_actions' as source_table,
            toDate(time) as event_date,
            if(problem != '', problem, 'empty_city') as reason,
            count() as source_rows
        from (
            select
                *,
                multiIf(
        user_id is null or user_id = 0, 'missing_user_id',
        post_id is null or post_id = 0, 'missing_post_id',
        action not in ('view', 'like'), 'unknown_action',
        toDate(time) < toDate('2020-01-01'), 'before_launch',
        toDate(time) > toDate('2025-03-02') + 1, 'future',
        ''
    ) as problem
            from `product`.`feed_actions`
        )
        where problem != '' or city = ''
        group by event_date, reason
    ),
    message_actions_reasons as (
        select
            'message_actions' as source_table,
            toDate(time) as event_date,
            if(problem != '', problem, 'empty_city') as reason,
            count() as source_rows
        from (
            select
                *,
                multiIf(
        user_id is null or user_id = 0, 'missing_user_id',
        receiver_id is null or receiver_id = 0, 'missing_receiver_id',
        toDate(time) < toDate('2020-01-01'), 'before_launch',
        toDate(time) > toDate('2025-03-02') + 1, 'future',
        ''
    ) as problem
            from `product`.`message_actions`
        )
        where problem != '' or city = ''
        group by event_date, reason
    ),
-- extra copies of an exact duplicate among valid rows (kept, see staging.yml), per loaded
-- day: counted once per load in stg_source_duplicates (a distinct count of every event)
duplicates as (
    select
        source_table,
        event_date,
        'exact_duplicate' as reason,
        duplicate_rows as source_rows
    from `analytics`.`stg_source_duplicates`
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
  )
                    -- end_of_sql
;
