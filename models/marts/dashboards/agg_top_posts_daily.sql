{{ config(
    order_by='(date, post_rank)',
) }}

-- The 20 most viewed posts of each day (ties: more likes first, then the lower post_id,
-- so the ranking is deterministic). Day D depends on day D only.
with posts as (
    select * from {{ ref('fact_daily_posts') }}
    where {{ marts_between('date') }}
),

ranked as (
    select
        date,
        post_id,
        toUInt64(views) as views,
        toUInt64(likes) as likes,
        toUInt64(unique_viewers) as unique_viewers,
        toUInt64(unique_likers) as unique_likers,
        row_number() over (
            partition by date order by views desc, likes desc, post_id asc
        ) as position
    from posts
),

final as (
    select
        date,
        toUInt8(position) as post_rank,
        post_id,
        views,
        likes,
        unique_viewers,
        unique_likers,
        if(views = 0, null, likes / views) as ctr
    from ranked
    where position <= 20
)

select * from final
