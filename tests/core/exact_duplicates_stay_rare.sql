{{ config(severity='warn') }}
-- Exact duplicate source rows are kept (staging.yml): identical rows cannot be told from two
-- real actions in the same second.  More than 1% of a loaded day's valid rows being exact
-- duplicates looks like an ingestion retry, not behaviour: warn, naming the day and table.
with duplicates as (
    select
        source_table,
        event_date,
        source_rows as duplicate_rows
    from {{ ref('stg_source_quality') }}
    where
        reason = 'exact_duplicate'
        and event_date between {{ load_window_start() }} and {{ load_window_end() }}
),

staged as (
    select
        'feed_actions' as source_table,
        event_date,
        count() as staged_rows
    from {{ ref('stg_feed_actions') }}
    where event_date between {{ load_window_start() }} and {{ load_window_end() }}
    group by event_date
    union all
    select
        'message_actions' as source_table,
        event_date,
        count() as staged_rows
    from {{ ref('stg_message_actions') }}
    where event_date between {{ load_window_start() }} and {{ load_window_end() }}
    group by event_date
),

final as (
    select
        duplicates.source_table,
        duplicates.event_date,
        duplicates.duplicate_rows,
        staged.staged_rows
    from duplicates
    inner join staged
        on duplicates.source_table = staged.source_table and duplicates.event_date = staged.event_date
)

select * from final
where duplicate_rows > 0.01 * staged_rows
