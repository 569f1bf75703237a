"""CTR per exp_group over the range, with a 95% confidence interval of the mean per-user CTR."""

from __future__ import annotations

from dataclasses import dataclass

from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries.base import Query, no_slices
from feedstar.dashboard.queries.experiment_users import DAILY_MART, per_user_ctr

MART = DAILY_MART  # or the trailing totals: see experiment_users.per_user_ctr


@dataclass(frozen=True)
class Row:
    exp_group: int
    users: int
    views: int
    likes: int
    ctr: float | None
    user_ctr_mean: float | None
    ci_low: float | None
    ci_high: float | None


def build(filters: Filters) -> Query:
    no_slices(filters, MART)
    per_user, mart = per_user_ctr(filters)
    sql = f"""
with per_user as ({per_user}),

per_group as (
    select
        exp_group,
        count() as users,
        sum(user_views) as views,
        sum(user_likes) as likes,
        avg(user_ctr) as user_ctr_mean,
        1.96 * stddevSamp(user_ctr) / sqrt(count()) as margin
    from per_user
    group by exp_group
)

select
    exp_group,
    users,
    views,
    likes,
    likes / views as ctr,
    user_ctr_mean,
    user_ctr_mean - margin as ci_low,
    user_ctr_mean + margin as ci_high
from per_group
order by exp_group
"""
    return Query(sql, {"date_from": filters.date_from, "date_to": filters.date_to}, mart)
