-- Day 0 of a cohort is its users' first day in the service: everyone is active, so the
-- classic and rolling retained counts equal the cohort size. No day-N count exceeds it.
-- With a load window: the cohorts the load rebuilt.
with retention as (
    select * from {{ ref('agg_retention') }}
    where {{ marts_test_window('agg_retention') }}
),

final as (
    select *
    from retention
    where
        (day_number = 0 and (retained_users != cohort_size or rolling_retained_users != cohort_size))
        or retained_users > rolling_retained_users
        or rolling_retained_users > cohort_size
        or cohort_size = 0
)

select * from final
