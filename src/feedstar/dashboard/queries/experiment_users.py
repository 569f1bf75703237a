"""The per-user CTR sample of an A/B range, shared by the group and test panels.

`agg_experiment_users_daily` keeps one row per (date, feed-active user) so that a test
can run over any date range: a user's CTR over the range is their likes / views summed
over its days.  The statistics run in ClickHouse; the web layer only shows them.
"""

PER_USER_CTR = """
    select
        exp_group,
        user_id,
        sum(likes) / sum(views) as user_ctr,
        sum(views) as user_views,
        sum(likes) as user_likes
    from agg_experiment_users_daily
    where date between {date_from:Date} and {date_to:Date} and exp_group is not null
    group by exp_group, user_id
    having user_views > 0
"""
