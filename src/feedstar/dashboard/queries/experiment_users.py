"""The per-user CTR sample of an A/B range, shared by the group and test panels.

A user's CTR over the range is their likes / views summed over its days.  For a range of
exactly W days ending on a loaded day (W = the mart's window, 30 by default: the pages'
default range), `agg_experiment_users_30d` already holds those sums (one row per user); any
other range sums `agg_experiment_users_daily` (one row per date and feed-active user).  Both
give the same sample; the statistics run in ClickHouse and the web layer only shows them.
W is dbt's (var experiment_window_days), read from TRAILING_WINDOWS with the filter options.
"""

from __future__ import annotations

from feedstar.dashboard.filters import Filters

DAILY_MART = "agg_experiment_users_daily"
TRAILING_MART = "agg_experiment_users_30d"
# dbt's table of each trailing mart's window length (models/marts/core/dim_trailing_windows.sql)
TRAILING_WINDOWS = "dim_trailing_windows"
WINDOW_SQL = f"select window_days from {TRAILING_WINDOWS} where mart = '{TRAILING_MART}'"

_FROM_DAILY = f"""
    select
        exp_group,
        user_id,
        sum(likes) / sum(views) as user_ctr,
        sum(views) as user_views,
        sum(likes) as user_likes
    from {DAILY_MART}
    where date between {{date_from:Date}} and {{date_to:Date}}
    group by exp_group, user_id
    having user_views > 0
"""

_FROM_TRAILING = f"""
    select
        exp_group,
        user_id,
        likes / views as user_ctr,
        views as user_views,
        likes as user_likes
    from {TRAILING_MART}
    where end_date = {{date_to:Date}} and views > 0
"""


def per_user_ctr(filters: Filters) -> tuple[str, str]:
    """(SQL of the per-user sample for the filters' range, the mart it reads)."""
    covered = filters.last_loaded_date is not None and filters.date_to <= filters.last_loaded_date
    days = (filters.date_to - filters.date_from).days + 1
    if covered and filters.experiment_window_days is not None and days == filters.experiment_window_days:
        return _FROM_TRAILING, TRAILING_MART
    return _FROM_DAILY, DAILY_MART
