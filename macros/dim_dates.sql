{% macro dim_dates_from(first_date, day_count) -%}
    {#- One row per day for day_count days from first_date (SQL expressions) with the seed's
        dim_dates columns.  Fixes: the seed's fixed 730 days from 2025-01-01 become any range,
        and its day_name (dateName('day') = day of the month, '09') is the weekday's name. -#}
    select
        toDate({{ first_date }} + number) as date,
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
    from numbers(toUInt64({{ day_count }}))
{%- endmacro %}
