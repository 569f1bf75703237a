"""The top 20 posts by views on the last day of the range (`agg_top_posts_daily`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries.base import Query, no_slices

MART = "agg_top_posts_daily"


@dataclass(frozen=True)
class Row:
    date: dt.date
    post_rank: int
    post_id: int
    views: int
    likes: int
    unique_viewers: int
    ctr: float | None


def build(filters: Filters) -> Query:
    no_slices(filters, MART)
    sql = f"""
select date, post_rank, post_id, views, likes, unique_viewers, ctr
from {MART}
where date = {{date_to:Date}}
order by post_rank
"""
    return Query(sql, {"date_to": filters.date_to}, MART)
