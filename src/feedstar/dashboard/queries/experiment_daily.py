"""CTR per exp_group and day (`agg_experiment_daily`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries.base import Query, date_range, no_slices
from feedstar.dashboard.queries.labels import label_expression

MART = "agg_experiment_daily"


@dataclass(frozen=True)
class Row:
    date: dt.date
    exp_group: str
    users: int
    views: int
    likes: int
    ctr: float | None
    user_ctr_mean: float | None


def build(filters: Filters) -> Query:
    no_slices(filters, MART)
    dates, date_parameters = date_range("date", filters)
    exp_group, label_parameters = label_expression("exp_group", filters.slice_labels)
    # exp_group labelled as the breakdown marts label it (NULL: the marts' unknown label)
    sql = f"""
select date, {exp_group} as exp_group, users, views, likes, ctr, user_ctr_mean
from {MART}
where {dates}
order by date, exp_group
"""
    return Query(sql, {**date_parameters, **label_parameters}, MART)
