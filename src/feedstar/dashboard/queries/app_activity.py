"""App-wide daily users: audience split by service and new users (`agg_app_daily_activity`).

The mart's slices are disjoint (each user has one attribute set on a day), so the users of
the slices that match the filters add up to the filtered total without double counting.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries.base import Query, date_range, slice_predicate

MART = "agg_app_daily_activity"


@dataclass(frozen=True)
class Row:
    date: dt.date
    total_users: int
    feed_only_users: int
    messenger_only_users: int
    both_services_users: int
    new_users: int
    receive_only_users: int


def build(filters: Filters) -> Query:
    dates, date_parameters = date_range("date", filters)
    slices, slice_parameters = slice_predicate(filters, MART)
    sql = f"""
select
    date,
    sum(total_users) as total_users,
    sum(feed_only_users) as feed_only_users,
    sum(messenger_only_users) as messenger_only_users,
    sum(both_services_users) as both_services_users,
    sum(new_users_lifetime_0) as new_users,
    sum(receive_only_users) as receive_only_users
from {MART}
where {dates} and {slices}
group by date
order by date
"""
    return Query(sql, {**date_parameters, **slice_parameters}, MART)
