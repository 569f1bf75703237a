"""Feed per day: users, views, likes, CTR, views per user, view->like time.

All users: read straight from `agg_engagement_daily`.  With attribute filters: the matching
slices of `agg_feed_daily_activity` (disjoint, so counters add up); the ratios of those
sums are taken in ClickHouse, and view->like time is absent because a mean of per-slice
means is not the slice's mean.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries.base import Query, date_range, slice_predicate

MART = "agg_engagement_daily"
SLICED_MART = "agg_feed_daily_activity"


@dataclass(frozen=True)
class Row:
    date: dt.date
    feed_users: int
    views: int
    likes: int
    ctr: float | None
    views_per_user: float | None
    avg_view_to_like_seconds: float | None


def build(filters: Filters) -> Query:
    dates, date_parameters = date_range("date", filters)
    if not filters.slices:
        sql = f"""
select date, feed_users, views, likes, ctr, views_per_user, avg_view_to_like_seconds
from {MART}
where {dates}
order by date
"""
        return Query(sql, date_parameters, MART)
    slices, slice_parameters = slice_predicate(filters, SLICED_MART)
    sql = f"""
select
    date,
    sum(feed_users) as feed_users,
    sum(views) as views,
    sum(likes) as likes,
    if(views = 0, null, likes / views) as ctr,
    if(feed_users = 0, null, views / feed_users) as views_per_user,
    cast(null as Nullable(Float64)) as avg_view_to_like_seconds
from {SLICED_MART}
where {dates} and {slices}
group by date
order by date
"""
    return Query(sql, {**date_parameters, **slice_parameters}, SLICED_MART)
