{{ config(
    order_by='(date, service, breakdown, breakdown_value)',
) }}

-- DAU, WAU (7 days) and MAU (30 days) as exact distinct counts of users over each window.
--
-- How, without counting a user twice: for each user and service, take the sorted days
-- the user was active, d1 < d2 < ...  Day di "covers" the report days [di, di + 29] for
-- MAU, but only until the user's next active day takes over: [di, min(d(i+1) - 1,
-- di + 29)]. These spans never overlap, so a user is in MAU(D) exactly when one of their
-- spans covers D, and MAU(D) = the number of spans covering D (likewise WAU with 6).
-- A load of [start, end] changes the windows of [start, end + 29]; it reads the active
-- days those windows can see, [start - 29, end + 29].
with activity as (
    select * from {{ ref('int_user_daily_activity') }}
    where
        (is_feed_active or is_messenger_active)
        and {{ marts_between('date', days_before=35, days_after=29) }}
),

service_days as (
    select
        activity.date as active_date,
        activity.user_id,
        activity.source,
        activity.os,
        activity.country,
        activity.age_bucket,
        activity.exp_group,
        arrayJoin({{ marts_user_services() }}) as service
    from activity
),

spans as (
    select
        active_date,
        user_id,
        service,
        source,
        os,
        country,
        age_bucket,
        exp_group,
        leadInFrame(toNullable(active_date)) over (
            partition by service, user_id order by active_date
            rows between current row and 1 following
        ) as next_active_date,
        least(active_date + 29, coalesce(next_active_date - 1, active_date + 29)) as month_span_end,
        least(active_date + 6, coalesce(next_active_date - 1, active_date + 6)) as week_span_end
    from service_days
),

covered_days as (
    select
        service,
        source,
        os,
        country,
        age_bucket,
        exp_group,
        arrayJoin(range(toUInt32(month_span_end - active_date) + 1)) as days_after,
        active_date + days_after as report_date,
        active_date + days_after <= week_span_end as in_week,
        arrayJoin({{ marts_breakdown_pairs() }}) as breakdown_pair
    from spans
),

final as (
    select
        report_date as date,
        service,
        tupleElement(breakdown_pair, 1) as breakdown,
        tupleElement(breakdown_pair, 2) as breakdown_value,
        countIf(days_after = 0) as dau,
        countIf(in_week) as wau,
        count() as mau,
        dau / mau as stickiness
    from covered_days
    where
        {{ marts_between('report_date', days_after=29) }}
        and report_date <= {{ marts_last_loaded_date(ref('int_user_daily_activity')) }}
    group by report_date, service, breakdown, breakdown_value
)

select * from final
