create table `analytics`.`dim_dates__dbt_backup`
    ON CLUSTER "feedstar"
  (
    `date` Date,
    `day_of_week` UInt8,
    `day_name` String,
    `month` UInt8,
    `month_name` String,
    `quarter` UInt8,
    `year` UInt16,
    `is_weekend` UInt8,
    `week_number` UInt8,
    `iso_year` UInt16,
    `day_of_month` UInt8,
    `week_start_date` Date,
    `month_start_date` Date
    )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by (date)
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`dim_dates__dbt_backup` ("date", "day_of_week", "day_name", "month", "month_name", "quarter", "year", "is_weekend", "week_number", "iso_year", "day_of_month", "week_start_date", "month_start_date")
          SELECT "date", "day_of_week", "day_name", "month", "month_name", "quarter", "year", "is_weekend", "week_number", "iso_year", "day_of_month", "week_start_date", "month_start_date"
          FROM (
-- One row per day from the first to the last day with any loaded event (derived from the
-- data, so it grows with every load; no fixed 730 days).  Days without events inside that
-- range are included, so every fact date has its row.
with user_days as (
    select * from `analytics`.`int_user_daily_attributes`
),
date_range as (
    select
        min(date) as first_date,
        -- no loaded rows (an empty source) = no dates, rather than one row for 1970-01-01
        if(count() = 0, 0, dateDiff('day', min(date), max(date)) + 1) as day_count
    from user_days
),
days as (
    select
        toDate(assumeNotNull((select first_date from date_range)) + number) as date,
        toUInt8(toDayOfWeek(date)) as day_of_week,
        dateName('weekday', date) as day_name,
        toUInt8(toMonth(date)) as month,
        dateName('month', date) as month_name,
        toUInt8(toQuarter(date)) as quarter,
        toUInt16(toYear(date)) as year,
        toUInt8(toDayOfWeek(date) in (6, 7)) as is_weekend,
        toUInt8(toISOWeek(date)) as week_number,
        toUInt16(toISOYear(date)) as iso_year,
        toUInt8(toDayOfMonth(date)) as day_of_month,
        toMonday(date) as week_start_date,
        toStartOfMonth(date) as month_start_date
    from numbers(toUInt64(coalesce((select day_count from date_range), 0)))
),
final as (
    select * from days
)
select * from final
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
SYSTEM SYNC REPLICA
    ON CLUSTER "feedstar"  analytics.dim_dates
;
EXCHANGE TABLES `analytics`.`dim_dates__dbt_backup` AND `analytics`.`dim_dates`
    ON CLUSTER "feedstar"
;
drop table if exists `analytics`.`dim_dates__dbt_backup`
    ON CLUSTER "feedstar"
    SYNC
;
