"""Messenger per day: senders, receivers, messages, messages per sender, connections.

Counts come from the matching (disjoint) slices of `agg_messenger_daily_activity`.
Messages per sender is read from `agg_engagement_daily` for all users; for a slice it is
the ratio of the slice's sums, taken in ClickHouse.  Connections (distinct
sender->receiver pairs of the day) exist for all users only: a pair has two users whose
slices may differ, so no slice mart holds them, and a filtered view shows none.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries.base import Query, date_range, slice_predicate

MART = "agg_messenger_daily_activity"
ENGAGEMENT_MART = "agg_engagement_daily"


@dataclass(frozen=True)
class Row:
    date: dt.date
    senders: int
    receivers: int
    receive_only_users: int
    messages_sent: int
    messages_received: int
    messages_per_sender: float | None
    connections: int | None


def build(filters: Filters) -> Query:
    dates, date_parameters = date_range("date", filters)
    slices, slice_parameters = slice_predicate(filters, MART)
    if filters.slices:
        per_sender = "if(activity.senders = 0, null, activity.messages_sent / activity.senders)"
        connections = "cast(null, 'Nullable(UInt64)')"
    else:
        per_sender = "engagement.messages_per_sender"
        connections = "engagement.connections"
    sql = f"""
with activity as (
    select
        date,
        sum(total_senders) as senders,
        sum(total_receivers) as receivers,
        sum(receive_only_users) as receive_only_users,
        sum(messages_sent) as messages_sent,
        sum(messages_received) as messages_received
    from {MART}
    where {dates} and {slices}
    group by date
),

engagement as (
    select date, messages_per_sender, connections
    from {ENGAGEMENT_MART}
    where {dates}
)

select
    activity.date as date,
    activity.senders as senders,
    activity.receivers as receivers,
    activity.receive_only_users as receive_only_users,
    activity.messages_sent as messages_sent,
    activity.messages_received as messages_received,
    {per_sender} as messages_per_sender,
    {connections} as connections
from activity
left join engagement on activity.date = engagement.date
order by date
"""
    return Query(sql, {**date_parameters, **slice_parameters}, MART)
