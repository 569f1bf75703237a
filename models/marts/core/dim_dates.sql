{{ config(
    materialized='table',
    engine='MergeTree()',
    order_by='date',
) }}

-- One row per day from the first to the last day with any loaded event (derived from the
-- data, so it grows with every load; no fixed 730 days).  Days without events inside that
-- range are included, so every fact date has its row.

with user_days as (
    select * from {{ ref('int_user_daily_attributes') }}
),

date_range as (
    select
        min(date) as first_date,
        -- no loaded rows (an empty source) = no dates, rather than one row for 1970-01-01
        if(count() = 0, 0, dateDiff('day', min(date), max(date)) + 1) as day_count
    from user_days
),

days as (
    {{ dim_dates_from(
        'assumeNotNull((select first_date from date_range))',
        'coalesce((select day_count from date_range), 0)'
    ) }}
),

final as (
    select * from days
)

select * from final
