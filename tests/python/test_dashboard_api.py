"""The dashboard app against a real endpoint holding hand-written marts (dashboard_marts.py).

The app runs in-process (Starlette's TestClient) but reads the endpoint over HTTP as its
read-only user, as in production.  Expected numbers are the fixture's, worked out by hand.
"""

import math

import pytest
from starlette.testclient import TestClient
from dashboard_marts import TABLES, create_marts
from dashboard_support import readonly_url

from feedstar.dashboard.app import create_app
from feedstar.dashboard.db import MartReader, WarehouseError
from feedstar.dashboard.pages import PAGES
from feedstar.chclient import connection

RANGE = "date_from=2025-03-01&date_to=2025-03-02"


@pytest.fixture(scope="module")
def admin(endpoint):
    client = endpoint.client()
    create_marts(client)
    return client


@pytest.fixture(scope="module")
def app(endpoint, admin):
    with TestClient(create_app(connection(readonly_url(endpoint), readonly=True))) as client:
        yield client


def rows(app, panel, query=RANGE):
    response = app.get(f"/api/panels/{panel}?{query}")
    assert response.status_code == 200, response.text
    body = response.json()
    return [dict(zip(body["columns"], row)) for row in body["rows"]]


def test_total_dau_is_the_total_row_not_a_sum_of_slices(app):
    app_rows = [r for r in rows(app, "active_users") if r["service"] == "app"]
    assert [(r["date"], r["dau"], r["wau"], r["mau"]) for r in app_rows] == [
        ("2025-03-01", 50, 80, 100), ("2025-03-02", 60, 90, 120)]


def test_a_slice_reads_its_own_breakdown_row(app):
    assert rows(app, "active_users", RANGE + "&source=ads") == [
        {"date": "2025-03-02", "service": "app", "dau": 25, "wau": 40, "mau": 50, "stickiness": 0.5}]
    assert [r["dau"] for r in rows(app, "active_users", RANGE + "&exp_group=2")] == [13]


def test_disjoint_slices_add_up_for_app_activity(app):
    day2 = rows(app, "app_activity")[1]
    # 2025-03-02 slices: 10 + 5 + 7 + 0 active; receive-only 2 + 0 + 1 + 4
    assert day2 == {"date": "2025-03-02", "total_users": 22, "feed_only_users": 15, "messenger_only_users": 3,
                    "both_services_users": 4, "new_users": 6, "receive_only_users": 7}
    # Moscow = rows 1 and 3; female aged 35-44 = row 3 only
    assert rows(app, "app_activity", RANGE + "&city=Moscow")[1]["total_users"] == 17
    only = rows(app, "app_activity", RANGE + "&gender=female&age_bucket=35-44")
    assert [(r["date"], r["total_users"], r["new_users"]) for r in only] == [("2025-03-02", 7, 2)]
    # the NULL-attribute slice (receive-only users) is 'unknown'
    assert rows(app, "app_activity", RANGE + "&gender=unknown")[0]["receive_only_users"] == 4


def test_users_by_source_sums_the_slices_of_each_source(app):
    # ads: rows 1 and 2 of 2025-03-02 (10 + 5 active, 3 + 1 new) and 2025-03-01's row; organic:
    # row 3; the NULL-attribute row has no active or new user and is left out
    assert [(r["date"], r["source"], r["total_users"], r["new_users"]) for r in rows(app, "users_by_source")] == [
        ("2025-03-01", "ads", 8, 8), ("2025-03-02", "ads", 15, 4), ("2025-03-02", "organic", 7, 2)]


def test_feed_reads_the_engagement_mart_for_all_users_and_sums_slices_otherwise(app):
    assert rows(app, "feed_engagement") == [{
        "date": "2025-03-02", "feed_users": 19, "views": 200, "likes": 43, "ctr": 0.215,
        "views_per_user": 200 / 19, "avg_view_to_like_seconds": 17.25}]
    # source=ads: rows 1 and 2 of agg_feed_daily_activity: 9 + 5 users, 100 + 40 views, 20 + 8 likes
    assert rows(app, "feed_engagement", RANGE + "&source=ads") == [{
        "date": "2025-03-02", "feed_users": 14, "views": 140, "likes": 28, "ctr": 0.2,
        "views_per_user": 10.0, "avg_view_to_like_seconds": None}]


def test_messenger_counts_and_messages_per_sender(app):
    assert rows(app, "messenger_activity") == [{
        "date": "2025-03-02", "senders": 7, "receivers": 7, "receive_only_users": 3, "messages_sent": 16,
        "messages_received": 14, "messages_per_sender": 16 / 7, "connections": 11}]
    filtered = rows(app, "messenger_activity", RANGE + "&os=iOS")[0]
    assert filtered["messages_per_sender"] == 7 / 4
    # a pair's two users may sit in different slices: no filtered connection count exists
    assert filtered["connections"] is None


def test_top_posts_are_those_of_the_last_day(app):
    assert [r["post_id"] for r in rows(app, "top_posts")] == [501, 502]
    assert [r["post_id"] for r in rows(app, "top_posts", "date_from=2025-03-01&date_to=2025-03-01")] == [777]


def test_retention_by_mode_service_and_breakdown(app):
    assert [r["retention"] for r in rows(app, "retention")] == [1.0, 0.25]
    assert [r["retention"] for r in rows(app, "retention", RANGE + "&retention_mode=rolling")] == [1.0, 0.5]
    assert [r["retained_users"] for r in rows(app, "retention", RANGE + "&source=ads")] == [8, 3]
    assert [r["retention"] for r in rows(app, "retention", RANGE + "&service=feed")] == [1 / 6]


def test_lifecycle_by_period(app):
    assert [r["dormant_users"] for r in rows(app, "lifecycle")] == [3, 10]
    week = rows(app, "lifecycle", "date_from=2025-02-24&date_to=2025-03-02&period=week")
    assert week == [{"period_start": "2025-02-24", "active_users": 90, "new_users": 30, "returning_users": 50,
                     "resurrecting_users": 10, "dormant_users": 4}]


def test_experiment_groups_with_confidence_intervals(app):
    groups = {r["exp_group"]: r for r in rows(app, "experiment_groups")}
    # group 1: per-user CTRs 0.1 (2/20 over two days) and 0.3; sample sd = sqrt(0.02) ≈ 0.1414
    one = groups[1]
    assert (one["users"], one["views"], one["likes"]) == (2, 30, 5)
    assert one["ctr"] == pytest.approx(5 / 30)
    assert one["user_ctr_mean"] == pytest.approx(0.2)
    assert one["ci_high"] - one["user_ctr_mean"] == pytest.approx(1.96 * math.sqrt(0.02) / math.sqrt(2))
    # group 2: 0.4, 0.5, 0.6 -> sd 0.1
    assert groups[2]["ci_low"] == pytest.approx(0.5 - 1.96 * 0.1 / math.sqrt(3))


def test_experiment_test_for_a_pair(app):
    (result,) = rows(app, "experiment_test", RANGE + "&group_a=1&group_b=2")
    # Welch: (0.2 - 0.5) / sqrt(0.02/2 + 0.01/3)
    assert result["t_statistic"] == pytest.approx(-0.3 / math.sqrt(0.02 / 2 + 0.01 / 3))
    # Mann-Whitney: U = 0 (every group-1 CTR is below every group-2 CTR); normal approximation
    # with continuity correction: z = (3 - 0.5) / sqrt(2*3*6/12)
    assert result["mann_whitney_p_value"] == pytest.approx(math.erfc((2.5 / math.sqrt(3)) / math.sqrt(2)))
    assert (result["users_a"], result["users_b"]) == (2, 3)


def test_options_list_what_the_marts_hold(app):
    options = app.get("/api/options").json()
    assert (options["first_date"], options["last_date"]) == ("2025-03-01", "2025-03-02")
    # the slice marts' NULL attributes (receive-only users) are offered as 'unknown'
    assert options["values"]["source"] == ["ads", "organic", "unknown"]
    assert options["values"]["city"] == ["Helsinki", "Moscow", "unknown"]
    # genders 1, 0 and NULL, labelled by dim_slice_labels
    assert options["values"]["gender"] == ["female", "male", "unknown"]
    # os: iOS from both marts, Android only from the slice mart
    assert options["values"]["os"] == ["Android", "iOS", "unknown"]
    # ages 20, 30, 40 and NULL of the slice mart, through dim_age_buckets
    assert options["values"]["age_bucket"] == ["18-24", "25-34", "35-44", "unknown"]


def test_age_buckets_are_the_warehouse_table_s_not_the_dashboard_s(endpoint, admin):
    # other buckets in dim_age_buckets (as a changed marts_age_bucket macro would build it):
    # the dashboard filters and offers those, it has no buckets of its own
    create_marts(admin, "regrouped")
    admin.command("alter table regrouped.dim_age_buckets update age_bucket = '30-49' where age in (30, 40)",
                  settings={"mutations_sync": 2})
    with TestClient(create_app(connection(readonly_url(endpoint, "regrouped"), readonly=True))) as client:
        options = client.get("/api/options").json()
        grouped = client.get(f"/api/panels/app_activity?{RANGE}&age_bucket=30-49").json()
        refused = client.get(f"/api/panels/app_activity?{RANGE}&age_bucket=35-44")
    assert "30-49" in options["values"]["age_bucket"] and "35-44" not in options["values"]["age_bucket"]
    # ages 30 and 40 on 2025-03-02: rows 2 and 3 of agg_app_daily_activity, 5 + 7 active users
    total = grouped["columns"].index("total_users")
    assert [row[total] for row in grouped["rows"]] == [12]
    assert refused.status_code == 400 and refused.json()["parameter"] == "age_bucket"


@pytest.mark.parametrize("query, parameter", [
    ("date_from=2025-03-02&date_to=2025-03-01", "date_from"),
    ("date_from=03/01/2025", "date_from"),
    ("source=ads' or '1'='1", "source"),
    ("city=Moscow'); drop table agg_active_users; --", "city"),
    ("service=app' union select 1 --", "service"),
    ("retention_mode=rolling_retention", "retention_mode"),
    ("group_a=1 or 1=1", "group_a"),
    ("date_to=2025-03-02&date_to=2025-03-01", "date_to"),
    ("limit=10", "limit"),
])
def test_bad_input_is_a_400_naming_the_parameter_and_loses_nothing(app, admin, query, parameter):
    response = app.get(f"/api/panels/active_users?{query}")
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
    for table, (_, fixture_rows) in TABLES.items():
        assert admin.query(f"select count() from analytics.{table}").result_rows[0][0] == len(fixture_rows)


def test_a_filter_the_mart_cannot_answer_is_a_400_with_the_reason(app):
    response = app.get(f"/api/panels/active_users?{RANGE}&city=Moscow")
    assert response.status_code == 400
    assert "cannot be filtered by city" in response.json()["error"]
    response = app.get(f"/api/panels/experiment_test?{RANGE}")
    assert response.status_code == 400 and "Choose group_a and group_b" in response.json()["error"]


def test_unknown_panel_is_a_404(app):
    response = app.get("/api/panels/users;drop")
    assert response.status_code == 404 and "No panel named" in response.json()["error"]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.slug)
def test_every_page_answers(app, page):
    response = app.get(f"{page.path}?{RANGE}")
    assert response.status_code == 200
    assert f"<h1>{page.title}</h1>" in response.text
    assert 'data-ready="yes"' in response.text


def test_a_bad_filter_in_a_page_url_is_a_clear_message_and_a_400(app):
    response = app.get("/feed?source=<script>alert(1)</script>")
    assert response.status_code == 400
    assert "Invalid filter &#39;source&#39;: Unknown source &#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39;" in response.text
    assert "<script>alert(1)" not in response.text
    assert 'data-ready="no"' in response.text  # no panel is fetched


def test_cards_that_cannot_answer_say_so_on_the_page(app):
    response = app.get(f"/?{RANGE}&exp_group=1")
    assert response.status_code == 200
    # DAU has exp_group breakdowns; the app-activity mart has no exp_group
    assert "This panel (agg_app_daily_activity) cannot be filtered by exp_group" in response.text


def test_the_reader_is_read_only(endpoint, admin):
    reader = MartReader(connection(readonly_url(endpoint), readonly=True))
    with pytest.raises(WarehouseError, match="rejected"):
        reader.select("drop table agg_lifecycle", {})
    with pytest.raises(WarehouseError):
        reader.select("insert into agg_lifecycle select * from agg_lifecycle", {})
    assert admin.query("select count() from analytics.agg_lifecycle").result_rows[0][0] == 3


def test_missing_marts_are_a_503_that_says_to_build_them(endpoint, admin):
    admin.command("create database if not exists empty_db")
    with TestClient(create_app(connection(readonly_url(endpoint, "empty_db"), readonly=True))) as client:
        page = client.get("/")
        api = client.get("/api/panels/lifecycle")
    assert page.status_code == 503 and "dbt build" in page.text
    assert api.status_code == 503 and "dbt build" in api.json()["error"]


def test_an_unreachable_warehouse_is_a_503_naming_it():
    from endpoint import free_port

    port = free_port()
    with TestClient(create_app(connection(f"http://dashboard@127.0.0.1:{port}/analytics", readonly=True))) as client:
        page = client.get("/retention")
        api = client.get("/api/options")
    assert page.status_code == 503 and f"Cannot reach ClickHouse at http://dashboard@127.0.0.1:{port}" in page.text
    assert api.status_code == 503
