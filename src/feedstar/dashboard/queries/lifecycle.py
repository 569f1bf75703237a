"""New / returning / resurrecting / dormant users per day or week (`agg_lifecycle`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries.base import Query, date_range, no_slices

MART = "agg_lifecycle"


@dataclass(frozen=True)
class Row:
    period_start: dt.date
    active_users: int
    new_users: int
    returning_users: int
    resurrecting_users: int
    dormant_users: int


def build(filters: Filters) -> Query:
    no_slices(filters, MART)
    periods, date_parameters = date_range("period_start", filters)
    sql = f"""
select period_start, active_users, new_users, returning_users, resurrecting_users, dormant_users
from {MART}
where service = {{service:String}} and period = {{period:String}} and {periods}
order by period_start
"""
    return Query(sql, {"service": filters.service, "period": filters.period, **date_parameters}, MART)
