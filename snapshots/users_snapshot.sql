{#-
    SCD2 history of user attributes: one row per user per attribute version, with
    dbt_valid_from / dbt_valid_to.  A user who moved city or changed os has two versions.

    Strategy `check` on the attribute columns, with `updated_at` set to the time of the
    event the attributes were seen on: a new version only when a value changes (the
    `timestamp` strategy would add a version every day the user is active, as
    attributes_updated_at moves on every event), and valid_from comes from the data, not
    from the wall clock.  dbt-clickhouse 1.10.3 supports both strategies; with an
    updated_at column it builds the staging table with its timestamp-style macro but
    keeps the check strategy's change test.

    A snapshot records what each run saw: loading days in date order (the daily DAG)
    records every change; a full refresh of many days at once records only the latest
    attributes.  dim_users is the order-independent current state.

    The pre-hook drops dbt-clickhouse's work table for the merge: it is created with IF NOT
    EXISTS and only dropped at the end, so a run killed in between left rows in it that the
    re-run appended to the history a second time.
-#}
{% snapshot users_snapshot %}

{{ config(
    unique_key='user_id',
    strategy='check',
    check_cols=['gender', 'age', 'os', 'source', 'country', 'city', 'exp_group'],
    updated_at='attributes_updated_at',
    pre_hook="drop table if exists {{ this.derivative('__snapshot_upsert') }}{{ feedstar_on_cluster() }}",
) }}

with users as (
    select * from {{ ref('dim_users') }} final
),

final as (
    select
        user_id,
        gender,
        age,
        os,
        source,
        country,
        city,
        exp_group,
        attributes_updated_at
    from users
    -- users only ever seen receiving have no attributes to record
    where attributes_updated_at is not null
)

select * from final

{% endsnapshot %}
