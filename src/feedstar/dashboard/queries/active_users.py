"""DAU / WAU / MAU and stickiness per service and day (`agg_active_users`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries.base import Query, breakdown_predicate, date_range

MART = "agg_active_users"


@dataclass(frozen=True)
class Row:
    date: dt.date
    service: str
    dau: int
    wau: int
    mau: int
    stickiness: float | None


def build(filters: Filters) -> Query:
    dates, date_parameters = date_range("date", filters)
    breakdown, breakdown_parameters = breakdown_predicate(filters, MART)
    sql = f"""
select date, service, dau, wau, mau, stickiness
from {MART}
where {dates} and {breakdown}
order by date, service
"""
    return Query(sql, {**date_parameters, **breakdown_parameters}, MART)
