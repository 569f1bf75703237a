"""The morning report's numbers, read from the dashboard marts only (docs/marts.md).

Every number is a mart's column for one day (or a sum of disjoint slices, as the dashboard
sums them); nothing is recomputed from events.  A day a mart does not hold is *not loaded*:
its value is `NOT_LOADED`, never 0, and the report says so.  A day that is loaded but where
the number is undefined (no views -> no CTR, no new users -> no cohort) is `None`.

One query per mart over the 30 days ending on the report's date (the charts' window, which
also holds the day before and the same weekday a week before).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from feedstar.dashboard.queries.labels import SLICE_LABELS_SQL, label_expression

DAY = dt.timedelta(days=1)
WINDOW_DAYS = 30
SERVICES = ("app", "feed", "messenger")
RETENTION_DAYS = (1, 7)
TOP_POSTS = 5


class _NotLoaded:
    """The value of a metric on a day its mart does not hold."""

    def __repr__(self) -> str:
        return "NOT_LOADED"

    def __bool__(self) -> bool:
        return False


NOT_LOADED = _NotLoaded()


class ReportDataError(RuntimeError):
    """The marts cannot give a report (none loaded, or a mart is missing); the message says why."""


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    kind: str  # "count", "ratio" (shown as %, compared in percentage points) or "mean"
    today: object
    day_before: object
    week_before: object
    note: str = ""  # e.g. the cohort a retention figure is about

    def delta(self, other_name: str) -> tuple[float, float | None] | None:
        """(absolute change, relative change) against `day_before` or `week_before`; None if either
        side is not loaded or undefined; relative is None when the old value is 0."""
        old = getattr(self, other_name)
        if not _is_number(self.today) or not _is_number(old):
            return None
        change = self.today - old
        return change, (change / old if old else None)


@dataclass(frozen=True)
class TopPost:
    rank: int
    post_id: int
    views: int
    likes: int
    unique_viewers: int
    ctr: float | None


@dataclass(frozen=True)
class RetentionPoint:
    cohort_start: dt.date
    day_number: int
    cohort_size: int | None
    retained: int | None
    retention: object  # float, None (no cohort that day) or NOT_LOADED


@dataclass
class ReportData:
    date: dt.date
    newest_loaded: dt.date | None
    days: list[dt.date]  # the chart window, oldest first
    loaded: dict[str, set[dt.date]]  # mart -> days it holds in the window
    headline: dict[str, list[Metric]] = field(default_factory=dict)  # service -> metrics
    retention: dict[str, dict[int, RetentionPoint]] = field(default_factory=dict)
    top_posts: list[TopPost] | object = field(default_factory=list)  # or NOT_LOADED
    series: dict[str, dict[str, list]] = field(default_factory=dict)  # chart -> line -> values per day

    @property
    def day_before(self) -> dt.date:
        return self.date - DAY

    @property
    def week_before(self) -> dt.date:
        return self.date - 7 * DAY

    def is_loaded(self, day: dt.date) -> bool:
        return day in self.loaded.get("agg_active_users", set())


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _clean(value):
    """ClickHouse's nan/inf (0/0 in Float64) are undefined values, shown as absent."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- SQL, one statement per mart; values are bound parameters -------------------------------------

NEWEST_SQL = "select max(date), count() from agg_active_users"

ACTIVE_SQL = """
select date, service, dau, wau, mau, stickiness
from agg_active_users
where breakdown = 'total' and date between {date_from:Date} and {date_to:Date}
"""

APP_SQL = """
select date, sum(total_users), sum(new_users_lifetime_0)
from agg_app_daily_activity
where date between {date_from:Date} and {date_to:Date}
group by date
"""

# The slices are disjoint (docs/marts.md), so their counters add up per os; the CTR of an os
# is the ratio of those sums, as the dashboard's Feed page computes it for an os filter.  The
# os is labelled as the dashboard labels it, from dbt's dim_slice_labels (OS_LABEL).
OS_LABEL = "{os_label}"
FEED_BY_OS_SQL = """
select date, {os_label} as os_value, sum(feed_users), sum(views), sum(likes)
from agg_feed_daily_activity
where date between {date_from:Date} and {date_to:Date}
group by date, os_value
"""

MESSENGER_SQL = """
select date, sum(total_senders), sum(total_receivers), sum(messages_sent)
from agg_messenger_daily_activity
where date between {date_from:Date} and {date_to:Date}
group by date
"""

ENGAGEMENT_SQL = """
select date, feed_users, views, likes, ctr, messages_sent, messages_per_sender
from agg_engagement_daily
where date between {date_from:Date} and {date_to:Date}
"""

RETENTION_SQL = """
select service, cohort_start, day_number, cohort_size, retained_users, retention
from agg_retention
where cohort_period = 'day' and breakdown = 'total' and day_number in (1, 7)
    and cohort_start between {cohort_from:Date} and {date_to:Date}
"""

TOP_POSTS_SQL = """
select post_rank, post_id, views, likes, unique_viewers, ctr
from agg_top_posts_daily
where date = {date_to:Date} and post_rank <= {top:UInt8}
order by post_rank
"""

_MISSING_CODES = ("Code: 60.", "Code: 81.", "UNKNOWN_TABLE", "UNKNOWN_DATABASE")


def newest_loaded_day(client) -> dt.date | None:
    (newest, rows), = _select(client, NEWEST_SQL, {})
    return newest if rows else None


def read_report_data(client, date: dt.date | None = None) -> ReportData:
    """The report's numbers for `date` (default: the newest day the marts hold)."""
    newest = newest_loaded_day(client)
    if date is None:
        if newest is None:
            raise ReportDataError("the marts hold no day yet: load the warehouse first (`dbt build`)")
        date = newest
    days = [date - (WINDOW_DAYS - 1 - i) * DAY for i in range(WINDOW_DAYS)]
    window = {"date_from": days[0], "date_to": date}
    loaded: dict[str, set[dt.date]] = {}

    active = {}
    for day, service, dau, wau, mau, stickiness in _select(client, ACTIVE_SQL, window):
        active[(day, service)] = (dau, wau, mau, _clean(stickiness))
    loaded["agg_active_users"] = {day for day, _ in active}

    app = {day: (total, new) for day, total, new in _select(client, APP_SQL, window)}
    loaded["agg_app_daily_activity"] = set(app)

    feed_by_os: dict[dt.date, dict[str, tuple]] = {}
    os_label, label_parameters = label_expression("os", _select(client, SLICE_LABELS_SQL, {}))
    for day, os_value, users, views, likes in _select(client, FEED_BY_OS_SQL.replace(OS_LABEL, os_label),
                                                      {**window, **label_parameters}):
        feed_by_os.setdefault(day, {})[os_value] = (users, views, likes)
    loaded["agg_feed_daily_activity"] = set(feed_by_os)

    messenger = {day: (senders, receivers, sent) for day, senders, receivers, sent in _select(client, MESSENGER_SQL, window)}
    loaded["agg_messenger_daily_activity"] = set(messenger)

    engagement = {row[0]: tuple(_clean(value) for value in row[1:]) for row in _select(client, ENGAGEMENT_SQL, window)}
    loaded["agg_engagement_daily"] = set(engagement)

    data = ReportData(date=date, newest_loaded=newest, days=days, loaded=loaded)

    def on(mart, table, day, pick, default=0):
        """A value of `table` on `day`: NOT_LOADED if the mart lacks the day, `default` if the
        day is loaded but has no row for it (e.g. no messenger activity at all)."""
        if day not in loaded[mart]:
            return NOT_LOADED
        row = table.get(day)
        return default if row is None else pick(row)

    def metric(key, label, kind, mart, table, pick, default=0):
        values = [on(mart, table, day, pick, default) for day in (date, date - DAY, date - 7 * DAY)]
        return Metric(key, label, kind, *values)

    def active_metrics(service, dau_label):
        rows = {day: values for (day, row_service), values in active.items() if row_service == service}
        return [
            metric("dau", dau_label, "count", "agg_active_users", rows, lambda r: r[0]),
            metric("wau", "WAU", "count", "agg_active_users", rows, lambda r: r[1]),
            metric("mau", "MAU", "count", "agg_active_users", rows, lambda r: r[2]),
            metric("stickiness", "Stickiness (DAU/MAU)", "ratio", "agg_active_users", rows, lambda r: r[3], None),
        ]

    # retention "as of" a day X: the cohort whose day N is X (the newest cohort complete on X)
    retention_rows = {}
    cohort_from = date - 14 * DAY
    for service, cohort, day_number, size, retained, rate in _select(
            client, RETENTION_SQL, {"cohort_from": cohort_from, "date_to": date}):
        retention_rows[(service, cohort, day_number)] = (size, retained, _clean(rate))

    def retention_as_of(service, day_number, day):
        cohort = day - day_number * DAY
        if day not in loaded["agg_active_users"]:
            return RetentionPoint(cohort, day_number, None, None, NOT_LOADED)
        size, retained, rate = retention_rows.get((service, cohort, day_number), (0, 0, None))
        return RetentionPoint(cohort, day_number, size, retained, rate)

    for service in SERVICES:
        data.retention[service] = {n: retention_as_of(service, n, date) for n in RETENTION_DAYS}

    def retention_metrics(service):
        metrics = []
        for n in RETENTION_DAYS:
            points = [retention_as_of(service, n, day) for day in (date, date - DAY, date - 7 * DAY)]
            today = points[0]
            note = f"cohort {today.cohort_start:%a %d %b}" + (
                f", {today.cohort_size:,} users" if today.cohort_size else "")
            metrics.append(Metric(f"retention_d{n}", f"Day-{n} retention", "ratio",
                                  *(point.retention for point in points), note=note))
        return metrics

    data.headline["app"] = [
        *active_metrics("app", "DAU"),
        metric("new_users", "New users", "count", "agg_app_daily_activity", app, lambda r: r[1]),
        *retention_metrics("app"),
    ]
    data.headline["feed"] = [
        *active_metrics("feed", "DAU"),
        metric("views", "Views", "count", "agg_engagement_daily", engagement, lambda r: r[1]),
        metric("likes", "Likes", "count", "agg_engagement_daily", engagement, lambda r: r[2]),
        metric("ctr", "CTR (likes/views)", "ratio", "agg_engagement_daily", engagement, lambda r: r[3], None),
        *retention_metrics("feed"),
    ]
    data.headline["messenger"] = [
        *active_metrics("messenger", "Senders (DAU)"),
        metric("receivers", "Receivers", "count", "agg_messenger_daily_activity", messenger, lambda r: r[1]),
        metric("messages_sent", "Messages sent", "count", "agg_messenger_daily_activity", messenger, lambda r: r[2]),
        metric("messages_per_sender", "Messages per sender", "mean", "agg_engagement_daily", engagement,
               lambda r: r[5], None),
        *retention_metrics("messenger"),
    ]

    if date in loaded["agg_active_users"]:
        data.top_posts = [TopPost(*(_clean(value) for value in row))
                          for row in _select(client, TOP_POSTS_SQL, {"date_to": date, "top": TOP_POSTS})]
    else:
        data.top_posts = NOT_LOADED

    def per_day(mart, table, pick, default=0):
        return [on(mart, table, day, pick, default) for day in days]

    data.series["dau"] = {
        service: per_day("agg_active_users",
                         {day: v for (day, s), v in active.items() if s == service}, lambda r: r[0])
        for service in SERVICES
    }
    data.series["new_users"] = {"app": per_day("agg_app_daily_activity", app, lambda r: r[1])}
    all_os = sorted({os_value for row in feed_by_os.values() for os_value in row})
    data.series["ctr_by_os"] = {
        os_value: per_day("agg_feed_daily_activity", feed_by_os,
                          lambda r, o=os_value: (r[o][2] / r[o][1]) if o in r and r[o][1] else None, None)
        for os_value in all_os
    }
    data.series["messenger"] = {
        "senders": per_day("agg_messenger_daily_activity", messenger, lambda r: r[0]),
        "receivers": per_day("agg_messenger_daily_activity", messenger, lambda r: r[1]),
    }
    return data


def _select(client, sql: str, parameters: dict) -> list[tuple]:
    from clickhouse_connect.driver.exceptions import DatabaseError

    try:
        return client.query(sql, parameters=parameters).result_rows
    except DatabaseError as exc:
        if any(code in str(exc) for code in _MISSING_CODES):
            raise ReportDataError("a dashboard mart is missing: build the warehouse first (`dbt build`)") from exc
        raise
