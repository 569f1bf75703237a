-- Nothing is lost silently: for each day of the load window and each source table, the
-- raw rows = the rows loaded into staging + the rows a rule dropped (stg_source_quality).
with raw_days as (
    select
        'feed_actions' as source_table,
        toDate(time) as date,
        count() as raw_rows
    from {{ source('product', 'feed_actions') }}
    where toDate(time) between {{ load_window_start() }} and {{ load_window_end() }}
    group by date
    union all
    select
        'message_actions' as source_table,
        toDate(time) as date,
        count() as raw_rows
    from {{ source('product', 'message_actions') }}
    where toDate(time) between {{ load_window_start() }} and {{ load_window_end() }}
    group by date
),

staged_days as (
    select
        'feed_actions' as source_table,
        event_date as date,
        count() as staged_rows
    from {{ ref('stg_feed_actions') }}
    where event_date between {{ load_window_start() }} and {{ load_window_end() }}
    group by date
    union all
    select
        'message_actions' as source_table,
        event_date as date,
        count() as staged_rows
    from {{ ref('stg_message_actions') }}
    where event_date between {{ load_window_start() }} and {{ load_window_end() }}
    group by date
),

dropped_days as (
    select
        source_table,
        event_date as date,
        sum(source_rows) as dropped_rows
    from {{ ref('stg_source_quality') }}
    where
        rule_action = 'dropped'
        and event_date between {{ load_window_start() }} and {{ load_window_end() }}
    group by source_table, date
),

final as (
    select
        raw_days.source_table,
        raw_days.date,
        raw_days.raw_rows,
        coalesce(staged_days.staged_rows, 0) as staged_rows,
        coalesce(dropped_days.dropped_rows, 0) as dropped_rows
    from raw_days
    left join staged_days
        on raw_days.source_table = staged_days.source_table and raw_days.date = staged_days.date
    left join dropped_days
        on raw_days.source_table = dropped_days.source_table and raw_days.date = dropped_days.date
)

select * from final
where raw_rows != staged_rows + dropped_rows
