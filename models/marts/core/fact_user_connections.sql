{#- query_settings: a full build writes one partition per day; ClickHouse's default cap of
    100 partitions per INSERT block would fail any full build past 100 days. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by='date',
    query_settings={'max_partitions_per_insert_block': 0},
    order_by='(date, sender_id, receiver_id)',
    engine='MergeTree()',
    post_hook="{{ drop_vanished_partitions('date', [(ref('stg_message_actions'), 'event_date')]) }}",
) }}

with messages as (
    select * from {{ ref('stg_message_actions') }}
    where {{ load_window_filter('event_date') }}
),

final as (
    select
        event_date as date,
        sender_id,
        receiver_id,
        toUInt32(count()) as messages_count
    from messages
    group by event_date, sender_id, receiver_id
)

select * from final
