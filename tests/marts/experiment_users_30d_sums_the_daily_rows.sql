-- For the latest loaded day, agg_experiment_users_30d holds exactly one row per (exp_group,
-- user) feed-active in the window ending that day (marts_experiment_window_days), with the sums of their
-- agg_experiment_users_daily rows.  Any row here is a difference (or a duplicated key).
with last_day as (
    select max(end_date) as end_date from {{ ref('agg_experiment_users_30d') }}
),

totals as (
    select
        exp_group,
        user_id,
        views,
        likes
    from {{ ref('agg_experiment_users_30d') }}
    where end_date = (select last_day.end_date from last_day)
),

expected as (
    select
        exp_group,
        user_id,
        toUInt32(sum(views)) as views,
        toUInt32(sum(likes)) as likes
    from {{ ref('agg_experiment_users_daily') }}
    where date between (select last_day.end_date from last_day) - {{ marts_experiment_window_days() - 1 }} and (select last_day.end_date from last_day)
    group by exp_group, user_id
),

only_in_totals as (
    select * from totals
    except
    select * from expected
),

missing_from_totals as (
    select * from expected
    except
    select * from totals
),

differences as (
    select
        'only in agg_experiment_users_30d' as problem,
        exp_group,
        user_id,
        views,
        likes
    from only_in_totals
    union all
    select
        'missing from agg_experiment_users_30d' as problem,
        exp_group,
        user_id,
        views,
        likes
    from missing_from_totals
    union all
    select
        'duplicated key' as problem,
        exp_group,
        user_id,
        toUInt32(count()) as views,
        toUInt32(0) as likes
    from totals
    group by exp_group, user_id
    having count() > 1
)

select * from differences
