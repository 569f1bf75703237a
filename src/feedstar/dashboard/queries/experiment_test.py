"""Welch's t-test and Mann-Whitney U on per-user CTR for the chosen pair of exp_groups."""

from __future__ import annotations

from dataclasses import dataclass

from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries.base import PanelUnavailable, Query, no_slices
from feedstar.dashboard.queries.experiment_users import DAILY_MART, per_user_ctr

MART = DAILY_MART  # or the trailing totals: see experiment_users.per_user_ctr


@dataclass(frozen=True)
class Row:
    group_a: int
    group_b: int
    users_a: int
    users_b: int
    user_ctr_mean_a: float | None
    user_ctr_mean_b: float | None
    t_statistic: float | None
    t_test_p_value: float | None
    mann_whitney_p_value: float | None


def build(filters: Filters) -> Query:
    no_slices(filters, MART)
    per_user, mart = per_user_ctr(filters)
    if filters.group_a is None or filters.group_b is None:
        raise PanelUnavailable("Choose group_a and group_b to compare two exp_groups.")
    # sample index for the tests: 0 = group_a, 1 = group_b
    sql = f"""
with per_user as ({per_user}),

pair as (
    select user_ctr, toUInt8(exp_group = {{group_b:UInt8}}) as sample
    from per_user
    where exp_group in ({{group_a:UInt8}}, {{group_b:UInt8}})
)

select
    {{group_a:UInt8}} as group_a,
    {{group_b:UInt8}} as group_b,
    countIf(sample = 0) as users_a,
    countIf(sample = 1) as users_b,
    avgIf(user_ctr, sample = 0) as user_ctr_mean_a,
    avgIf(user_ctr, sample = 1) as user_ctr_mean_b,
    if(users_a > 1 and users_b > 1, welchTTest(user_ctr, sample).1, null) as t_statistic,
    if(users_a > 1 and users_b > 1, welchTTest(user_ctr, sample).2, null) as t_test_p_value,
    if(users_a > 0 and users_b > 0, mannWhitneyUTest('two-sided')(user_ctr, sample).2, null)
        as mann_whitney_p_value
from pair
"""
    parameters = {"date_from": filters.date_from, "date_to": filters.date_to,
                  "group_a": filters.group_a, "group_b": filters.group_b}
    return Query(sql, parameters, mart)
