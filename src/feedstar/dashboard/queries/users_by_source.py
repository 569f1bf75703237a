"""Active users per day by acquisition source (`agg_app_daily_activity`, disjoint slices)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries.base import Query, date_range, slice_predicate
from feedstar.dashboard.queries.labels import label_expression

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
    source, source_parameters = label_expression("source", filters.slice_labels, column="raw_source")
    # sum per raw source first, then label the few (date, source) groups: '' and NULL both
    # become the unknown label, so the labelled groups are summed again
    sql = f"""
select
    date,
    {source} as source,
    sum(source_total_users) as total_users,
    sum(source_new_users) as new_users
from (
    select date, source as raw_source, sum(total_users) as source_total_users,
        sum(new_users_lifetime_0) as source_new_users
    from {MART}
    where {dates} and {slices}
    group by date, raw_source
)
group by date, source
-- a slice of receive-only users (no attributes yet) has no active users to draw
having total_users + new_users > 0
order by date, source
"""
    return Query(sql, {**date_parameters, **slice_parameters, **source_parameters}, MART)
