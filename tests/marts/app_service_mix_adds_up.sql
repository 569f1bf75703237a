-- Every active user of a day uses the feed only, the messenger only, or both: the three
-- add up to total_users in every slice, and the feed/messenger counts agree with them.
-- Returns the rows that break it (with a load window: of the days the load rebuilt).
with app as (
    select * from {{ ref('agg_app_daily_activity') }}
    where {{ marts_test_window('agg_app_daily_activity') }}
),

final as (
    select *
    from app
    where
        feed_only_users + messenger_only_users + both_services_users != total_users
        or feed_only_users + both_services_users != feed_users
        or messenger_only_users + both_services_users != messenger_users
)

select * from final
