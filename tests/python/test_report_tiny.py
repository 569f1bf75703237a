"""The morning report on a tiny hand-written copy of the marts (no dbt): every number and
change below is worked out by hand from the rows in MARTS, and the same numbers come out
of the dashboard's own panel queries.  Days: D = Mon 2025-03-10, D-1 = 03-09, D-7 = 03-03.
agg_engagement_daily does not hold D-7 (those changes must read "not loaded", never 0);
2025-03-11 is not loaded at all.
"""

from __future__ import annotations

import datetime as dt

import pytest
from dashboard_marts import TABLES
from dashboard_support import readonly_url

from feedstar import chclient
from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries import (active_users, app_activity, feed_engagement, messenger_activity, retention,
                                        top_posts)
from feedstar.dashboard.queries.base import run
from feedstar.dashboard.queries.labels import SLICE_LABELS_SQL
from feedstar.report import render
from feedstar.report.data import NOT_LOADED, read_report_data

D = dt.date(2025, 3, 10)
D1, D7 = D - dt.timedelta(days=1), D - dt.timedelta(days=7)
NEXT = D + dt.timedelta(days=1)


def active(day, service, dau, wau, mau, breakdown=("total", "all")):
    return dict(date=day, service=service, breakdown=breakdown[0], breakdown_value=breakdown[1],
                dau=dau, wau=wau, mau=mau, stickiness=dau / mau)


def retention_row(service, cohort, day_number, size, retained, breakdown=("total", "all")):
    return dict(service=service, cohort_period="day", cohort_start=cohort, breakdown=breakdown[0],
                breakdown_value=breakdown[1], day_number=day_number, cohort_size=size, retained_users=retained,
                rolling_retained_users=retained, retention=retained / size, rolling_retention=retained / size)


MARTS = {
    "agg_active_users": [
        active(D, "app", 100, 300, 500), active(D, "feed", 80, 250, 400), active(D, "messenger", 40, 120, 200),
        active(D1, "app", 80, 290, 320), active(D1, "feed", 60, 240, 300), active(D1, "messenger", 50, 110, 190),
        # D-7: loaded, but nobody used the feed or the messenger (no rows): a true 0
        active(D7, "app", 50, 200, 250),
        # a slice row that a total must never be read from
        active(D, "app", 999, 999, 999, ("source", "ads")),
    ],
    "agg_app_daily_activity": [
        dict(date=D, gender=1, age=20, source="ads", os="iOS", total_users=60, new_users_lifetime_0=3),
        dict(date=D, gender=0, age=30, source="organic", os="Android", total_users=40, new_users_lifetime_0=4),
        dict(date=D1, gender=1, age=20, source="ads", os="iOS", total_users=80, new_users_lifetime_0=5),
        dict(date=D7, gender=1, age=20, source="ads", os="iOS", total_users=50, new_users_lifetime_0=10),
    ],
    "agg_feed_daily_activity": [
        dict(date=D, gender=1, age=20, os="iOS", feed_users=30, views=300, likes=90),
        dict(date=D, gender=0, age=20, os="iOS", feed_users=20, views=200, likes=30),
        dict(date=D, gender=0, age=30, os="Android", feed_users=30, views=500, likes=80),
        # an empty os and a NULL one: both are dbt's unknown label, one series
        dict(date=D, gender=1, age=20, os="", feed_users=5, views=40, likes=4),
        dict(date=D, gender=0, age=30, os=None, feed_users=5, views=60, likes=6),
        dict(date=D1, gender=1, age=20, os="iOS", feed_users=60, views=800, likes=100),
    ],
    "agg_messenger_daily_activity": [
        dict(date=D, gender=1, os="iOS", total_senders=10, total_receivers=20, messages_sent=60),
        dict(date=D, gender=0, os="Android", total_senders=30, total_receivers=25, messages_sent=40),
        dict(date=D1, gender=1, os="iOS", total_senders=50, total_receivers=50, messages_sent=120),
    ],
    "agg_engagement_daily": [
        dict(date=D, active_users=100, feed_users=80, senders=40, views=1000, likes=200, messages_sent=100,
             ctr=0.2, messages_per_sender=2.5),
        dict(date=D1, active_users=80, feed_users=60, senders=50, views=800, likes=100, messages_sent=120,
             ctr=0.125, messages_per_sender=2.4),
    ],
    "agg_top_posts_daily": [
        *(dict(date=D, post_rank=rank, post_id=100 + rank, views=70 - 10 * rank, likes=7 - rank,
               unique_viewers=60 - 10 * rank, ctr=(7 - rank) / (70 - 10 * rank)) for rank in range(1, 7)),
        dict(date=D1, post_rank=1, post_id=555, views=1000, likes=1, unique_viewers=1, ctr=0.001),
    ],
    "agg_retention": [
        retention_row("app", D1, 1, 10, 4),           # day-1 as of D: 40%
        retention_row("app", D1, 1, 5, 5, ("source", "ads")),
        retention_row("app", D1 - dt.timedelta(days=1), 1, 8, 2),   # as of D-1: 25%
        retention_row("app", D7, 7, 20, 5),           # day-7 as of D: 25%
        # no app cohort of D-8 (day-1 as of D-7) nor of D-14 (day-7 as of D-7): n/a, not 0
    ],
    # the labels dbt gives raw values (the dashboard's test copy): CTR by os is labelled with them
    "dim_slice_labels": [dict(zip(("attribute", "value", "label"), row)) for row in TABLES["dim_slice_labels"][1]],
}


def create_tiny_marts(client):
    client.command("create database if not exists analytics")
    for table, rows in MARTS.items():
        columns = TABLES[table][0]
        names = [part.strip().split(" ")[0] for part in columns.split(", ")]
        nullable = {part.strip().split(" ")[0] for part in columns.split(", ") if "Nullable" in part}
        client.command(f"drop table if exists analytics.{table}")
        client.command(f"create table analytics.{table} ({columns}) engine = MergeTree order by tuple()")
        full = [tuple(row.get(name, None if name in nullable else 0) for name in names) for row in rows]
        client.insert(f"analytics.{table}", full, column_names=names)


@pytest.fixture(scope="module")
def client(endpoint):
    create_tiny_marts(endpoint.client())
    reader = chclient.get_client(chclient.connection(readonly_url(endpoint), readonly=True), use_database=True)
    yield reader
    reader.close()


def metrics(data, service):
    return {metric.key: metric for metric in data.headline[service]}


def test_headline_values_and_changes_by_hand(client):
    data = read_report_data(client)
    assert data.date == D  # the newest loaded day
    app, feed, messenger = metrics(data, "app"), metrics(data, "feed"), metrics(data, "messenger")
    dau = app["dau"]
    assert (dau.today, dau.day_before, dau.week_before) == (100, 80, 50)
    assert dau.delta("day_before") == (20, 0.25) and dau.delta("week_before") == (50, 1.0)
    assert (app["wau"].today, app["mau"].today) == (300, 500)
    # stickiness 100/500 = 0.2 against 80/320 = 0.25: -5 pp, -20%
    assert app["stickiness"].delta("day_before") == pytest.approx((-0.05, -0.2))
    assert (app["new_users"].today, app["new_users"].day_before, app["new_users"].week_before) == (7, 5, 10)
    # feed: D-7 is loaded (agg_active_users holds it) and has no feed row: 0, a change without a %
    assert feed["dau"].week_before == 0 and feed["dau"].delta("week_before") == (80, None)
    assert (feed["views"].today, feed["likes"].today, feed["ctr"].today) == (1000, 200, 0.2)
    assert feed["ctr"].delta("day_before") == pytest.approx((0.075, 0.6))
    # agg_engagement_daily lacks D-7: not loaded, no change
    assert feed["views"].week_before is NOT_LOADED and feed["views"].delta("week_before") is None
    assert (messenger["dau"].today, messenger["receivers"].today, messenger["messages_sent"].today) == (40, 45, 100)
    assert messenger["receivers"].delta("day_before") == (-5, -0.1)
    assert messenger["messages_sent"].week_before is NOT_LOADED  # the messenger mart lacks D-7


def test_retention_is_the_newest_complete_cohort_total_row(client):
    data = read_report_data(client)
    day1, day7 = data.retention["app"][1], data.retention["app"][7]
    assert (day1.cohort_start, day1.cohort_size, day1.retained, day1.retention) == (D1, 10, 4, 0.4)
    assert (day7.cohort_start, day7.cohort_size, day7.retention) == (D7, 20, 0.25)
    app = metrics(data, "app")
    assert app["retention_d1"].delta("day_before") == pytest.approx((0.15, 0.6))
    assert app["retention_d1"].week_before is None  # D-7 loaded, no cohort of D-8: n/a, not 0
    assert data.retention["feed"][1].retention is None


def test_top_five_posts_of_the_day_in_rank_order(client):
    data = read_report_data(client)
    assert [(post.rank, post.post_id, post.views) for post in data.top_posts] == [
        (1, 101, 60), (2, 102, 50), (3, 103, 40), (4, 104, 30), (5, 105, 20)]


def test_ctr_by_os_is_the_ratio_of_the_slices_sums(client):
    series = read_report_data(client).series["ctr_by_os"]
    assert series["iOS"][-1] == pytest.approx(120 / 500) and series["Android"][-1] == pytest.approx(80 / 500)
    assert series["iOS"][-2] == pytest.approx(100 / 800) and series["Android"][-2] is None  # loaded, no views
    assert series["iOS"][-8] is NOT_LOADED  # the feed mart does not hold D-7
    assert series["unknown"][-1] == pytest.approx(10 / 100) and set(series) == {"iOS", "Android", "unknown"}


def test_markdown_says_not_loaded_instead_of_zero(client):
    text = render.render_markdown(read_report_data(client))
    assert "- **DAU** 100 · ▲ +20 (+25.0%) d/d · ▲ +50 (+100.0%) w/w" in text
    assert "- **Views** 1,000 · ▲ +200 (+25.0%) d/d · not loaded w/w" in text
    assert "- **Stickiness (DAU/MAU)** 20.0% · ▼ −5.0 pp (−20.0%) d/d" in text
    assert "- **Day-1 retention** 40.0% (cohort Sun 09 Mar, 10 users) · ▲ +15.0 pp (+60.0%) d/d · n/a w/w" in text
    assert "1. post 101: 60 views, 6 likes, CTR 10.0%, 50 viewers" in text


def test_a_day_not_loaded_reads_not_loaded_everywhere(client):
    data = read_report_data(client, NEXT)
    assert not data.is_loaded(NEXT)
    for service in ("app", "feed", "messenger"):
        assert all(metric.today is NOT_LOADED for metric in data.headline[service])
    assert data.top_posts is NOT_LOADED
    text = render.render_markdown(data)
    assert "Tue 11 Mar 2025 is not loaded yet (the newest loaded day is Mon 10 Mar 2025)" in text
    assert "- **DAU** not loaded · — d/d · — w/w" in text
    assert " 0 " not in text and "**DAU** 0" not in text
    html = render.render_html(data)
    assert '<td class="missing"><strong>not loaded</strong></td>' in html


class Reader:
    """The dashboard's MartReader interface over a plain client, so its panels run as they do on a page."""

    def __init__(self, client):
        self.client = client

    def select(self, sql, parameters):
        result = self.client.query(sql, parameters=parameters)
        return list(result.column_names), result.result_rows


def dashboard(client, panel, **filters):
    # the labels the app reads with its filter options, so a slice means what it means on a page
    labels = tuple(client.query(SLICE_LABELS_SQL).result_rows)
    defaults = dict(date_from=D, date_to=D, last_loaded_date=D, slice_labels=labels)
    return run(Reader(client), panel, Filters(**{**defaults, **filters})).rows


def test_numbers_equal_the_dashboards_panels(client):
    assert_report_matches_dashboard(client, D)


def assert_report_matches_dashboard(client, day):
    """Every headline number and the report day's chart points against the dashboard's panels."""
    data = read_report_data(client, day)
    for service in ("app", "feed", "messenger"):
        [row] = [row for row in dashboard(client, active_users, date_from=day, date_to=day) if row.service == service]
        got = metrics(data, service)
        assert (got["dau"].today, got["wau"].today, got["mau"].today) == (row.dau, row.wau, row.mau)
        assert got["stickiness"].today == pytest.approx(row.stickiness)
        for n in (1, 7):
            cohort = day - dt.timedelta(days=n)
            rows = dashboard(client, retention, date_from=cohort, date_to=cohort, service=service)
            expected = [r.retention for r in rows if r.day_number == n] or [None]
            assert got[f"retention_d{n}"].today == pytest.approx(expected[0])
    [app_row] = dashboard(client, app_activity, date_from=day, date_to=day)
    assert metrics(data, "app")["new_users"].today == app_row.new_users
    [feed_row] = dashboard(client, feed_engagement, date_from=day, date_to=day)
    feed = metrics(data, "feed")
    assert (feed["views"].today, feed["likes"].today) == (feed_row.views, feed_row.likes)
    assert feed["ctr"].today == pytest.approx(feed_row.ctr)
    [messenger_row] = dashboard(client, messenger_activity, date_from=day, date_to=day)
    messenger = metrics(data, "messenger")
    assert (messenger["dau"].today, messenger["receivers"].today, messenger["messages_sent"].today) == (
        messenger_row.senders, messenger_row.receivers, messenger_row.messages_sent)
    assert messenger["messages_per_sender"].today == pytest.approx(messenger_row.messages_per_sender)
    posts = dashboard(client, top_posts, date_from=day, date_to=day)[:5]
    assert [(p.post_id, p.views, p.likes) for p in data.top_posts] == [(p.post_id, p.views, p.likes) for p in posts]
    # the chart series, day by day over the window, against the same panels over 30 days
    window = dict(date_from=data.days[0], date_to=day)
    dau = {(row.date, row.service): row.dau for row in dashboard(client, active_users, **window)}
    for service, values in data.series["dau"].items():
        # a loaded day without the service's row (nobody used it) is a 0 the dashboard does not draw
        assert {d: v for d, v in zip(data.days, values) if v is not NOT_LOADED} == {
            d: dau.get((d, service), 0) for d in data.loaded["agg_active_users"]}
    for os_value, values in data.series["ctr_by_os"].items():
        rows = {row.date: row.ctr for row in dashboard(client, feed_engagement, **window, slices=(("os", os_value),))}
        drawn = {d: v for d, v in zip(data.days, values) if v is not NOT_LOADED and v is not None}
        assert drawn == pytest.approx({d: v for d, v in rows.items() if v is not None})
    senders = {row.date: (row.senders, row.receivers) for row in dashboard(client, messenger_activity, **window)}
    drawn = {d: (s, r) for d, s, r in zip(data.days, data.series["messenger"]["senders"],
                                          data.series["messenger"]["receivers"]) if s is not NOT_LOADED}
    assert drawn == senders
