"""Active users per day by acquisition source (`agg_app_daily_activity`, disjoint slices)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries.base import Query, date_range, slice_predicate
from feedstar.dashboard.queries.labels import slice_expression

MART = "agg_app_daily_activity"


@dataclass(frozen=True)
class Row:
    date: dt.date
    source: str
    total_users: int
    new_users: int


def build(filters: Filters) -> Query:
    dates, date_parameters = date_range("date", filters)
    slices, slice_parameters = slice_predicate(filters, MART)
    source, source_parameters = slice_expression("source", filters.slice_labels)
    sql = f"""
select
    date,
    {source} as source,
    sum(total_users) as total_users,
    sum(new_users_lifetime_0) as new_users
from {MART}
where {dates} and {slices}
group by date, source
-- a slice of receive-only users (no attributes yet) has no active users to draw
having total_users + new_users > 0
order by date, source
"""
    return Query(sql, {**date_parameters, **slice_parameters, **source_parameters}, MART)
