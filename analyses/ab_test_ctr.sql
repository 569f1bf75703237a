-- A/B readout on CTR between two exp_groups over a date range, with p-values.
--   dbt compile --select ab_test_ctr --vars '{ab_group_a: 1, ab_group_b: 2, start_date: 2025-03-01, end_date: 2025-03-07}'
-- then run target/compiled/feedstar/analyses/ab_test_ctr.sql on the warehouse (any client).
-- Unset start_date/end_date = every loaded day. Three readouts, one row per test:
--   per_user_welch_t: Welch's t-test on per-user CTR (likes / views over the range);
--   per_user_mann_whitney: Mann-Whitney U on the same per-user CTRs (two-sided);
--   bucketed_welch_t: Welch's t-test on the CTR of 50 fixed user buckets per group
--     (sum likes / sum views in the bucket), which weighs users by their views.
-- `statistic` is t or U (group b's sample is the second), `p_value` two-sided.
{% set group_a = var('ab_group_a', 1) | int %}
{% set group_b = var('ab_group_b', 2) | int %}

with user_days as (
    select * from {{ ref('agg_experiment_users_daily') }}
    where
        exp_group in ({{ group_a }}, {{ group_b }})
        and date between {{ load_window_start() }} and {{ load_window_end() }}
),

users as (
    select
        exp_group,
        user_id,
        any(bucket) as bucket,
        sum(views) as user_views,
        sum(likes) as user_likes,
        user_likes / user_views as user_ctr
    from user_days
    group by exp_group, user_id
    having user_views > 0
),

buckets as (
    select
        exp_group,
        bucket,
        sum(user_likes) / sum(user_views) as bucket_ctr
    from users
    group by exp_group, bucket
),

per_user as (
    select
        countIf(exp_group = {{ group_a }}) as users_a,
        countIf(exp_group = {{ group_b }}) as users_b,
        sumIf(user_likes, exp_group = {{ group_a }}) / sumIf(user_views, exp_group = {{ group_a }}) as ctr_a,
        sumIf(user_likes, exp_group = {{ group_b }}) / sumIf(user_views, exp_group = {{ group_b }}) as ctr_b,
        welchTTest(user_ctr, toUInt8(exp_group = {{ group_b }})) as welch,
        mannWhitneyUTest('two-sided') (user_ctr, toUInt8(exp_group = {{ group_b }})) as mann_whitney
    from users
),

per_bucket as (
    select welchTTest(bucket_ctr, toUInt8(exp_group = {{ group_b }})) as welch
    from buckets
),

final as (
    select
        'per_user_welch_t' as test,
        per_user.users_a,
        per_user.users_b,
        per_user.ctr_a,
        per_user.ctr_b,
        tupleElement(per_user.welch, 1) as statistic,
        tupleElement(per_user.welch, 2) as p_value
    from per_user
    union all
    select
        'per_user_mann_whitney' as test,
        per_user.users_a,
        per_user.users_b,
        per_user.ctr_a,
        per_user.ctr_b,
        tupleElement(per_user.mann_whitney, 1) as statistic,
        tupleElement(per_user.mann_whitney, 2) as p_value
    from per_user
    union all
    select
        'bucketed_welch_t' as test,
        per_user.users_a,
        per_user.users_b,
        per_user.ctr_a,
        per_user.ctr_b,
        tupleElement(per_bucket.welch, 1) as statistic,
        tupleElement(per_bucket.welch, 2) as p_value
    from per_user
    cross join per_bucket
)

select * from final
