{{ config(severity='warn') }}
-- Exact duplicate source rows are kept (staging.yml): identical rows cannot be told from two
-- real actions in the same second.  More than 1% of a loaded day's valid rows being exact
-- duplicates looks like an ingestion retry, not behaviour: warn, naming the day and table.
with days as (
    select * from {{ ref('stg_source_duplicates') }}
    where event_date between {{ load_window_start() }} and {{ load_window_end() }}
),

final as (
    select
        source_table,
        event_date,
        duplicate_rows,
        staged_rows
    from days
    where duplicate_rows > 0.01 * staged_rows
)

select * from final
