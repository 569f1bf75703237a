{#- incremental by date partition: the folder's config in dbt_project.yml -#}
{{ config(
    order_by='(date, sender_id, receiver_id)',
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
