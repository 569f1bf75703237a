"""Cohort retention, classic or rolling, per service and breakdown (`agg_retention`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries.base import Query, breakdown_predicate, date_range

MART = "agg_retention"
# retention_mode -> the mart's columns for it (an allow-list: the mode never reaches SQL).
MODE_COLUMNS = {
    "classic": "retained_users, retention",
    "rolling": "rolling_retained_users as retained_users, rolling_retention as retention",
}


@dataclass(frozen=True)
class Row:
    cohort_start: dt.date
    day_number: int
    cohort_size: int
    retained_users: int
    retention: float | None


def build(filters: Filters) -> Query:
    cohorts, date_parameters = date_range("cohort_start", filters)
    breakdown, breakdown_parameters = breakdown_predicate(filters, MART)
    sql = f"""
select cohort_start, day_number, cohort_size, {MODE_COLUMNS[filters.retention_mode]}
from {MART}
where service = {{service:String}}
    and cohort_period = {{cohort_period:String}}
    and {cohorts}
    and {breakdown}
order by cohort_start, day_number
"""
    parameters = {"service": filters.service, "cohort_period": filters.cohort_period}
    return Query(sql, {**parameters, **date_parameters, **breakdown_parameters}, MART)
