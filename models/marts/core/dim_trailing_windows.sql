{{ config(
    materialized='table',
    engine='MergeTree()',
    order_by='tuple()',
) }}

-- The trailing windows the marts sum over, one row per mart, from the var/macro that mart
-- uses (marts_experiment_window_days).  The dashboard reads a mart's window here to know
-- which date ranges the mart answers, so a changed window reaches it at the next build.

select
    'agg_experiment_users_30d' as mart,
    toUInt16({{ marts_experiment_window_days() }}) as window_days
