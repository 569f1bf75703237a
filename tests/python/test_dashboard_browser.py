"""The dashboard in a real browser (Debian chromium, headless, via Playwright) over dbt-built marts.

One warehouse for the module: `feedstar generate` (14 small days) + `dbt run`, then a
`feedstar dashboard` process reading it as the read-only user.  The numbers a page shows
are compared with the marts (queried here independently) and, for the headline ones,
with plain Python over the raw events.  Screenshots land in test-artifacts/.
"""

import datetime as dt
import math
import os
from collections import defaultdict

import pytest
from dashboard_support import Visit, build_marts, chromium, readonly_url, start_dashboard

from feedstar.dashboard.pages import PAGES

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"),
                                reason="needs Debian chromium: apt-get install -y chromium (.ci/run does)")

FIRST, LAST = dt.date(2025, 3, 1), dt.date(2025, 3, 14)
DAY = dt.date(2025, 3, 10)  # the fixed day whose numbers are checked
RANGE = f"date_from={FIRST}&date_to={DAY}"


@pytest.fixture(scope="module")
def admin(endpoint, tmp_path_factory):
    """The endpoint with a small generated product database and the marts built by dbt."""
    build_marts(endpoint, str(tmp_path_factory.mktemp("dbt")), str(FIRST), (LAST - FIRST).days + 1, 0.01)
    return endpoint.client()


@pytest.fixture(scope="module")
def dashboard(endpoint, admin, tmp_path_factory):
    server = start_dashboard(readonly_url(endpoint), str(tmp_path_factory.mktemp("dashboard")))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture
def visit(browser, dashboard):
    opened = []

    def open_page(path):
        opened.append(Visit(browser, dashboard.url + path))
        return opened[-1]

    yield open_page
    for page in opened:
        page.close()


def raw_active_users(admin):
    """{date: set of active user ids}: viewed/liked a post or sent a message (docs/contracts.md)."""
    active = defaultdict(set)
    for table in ("feed_actions", "message_actions"):
        for day, user_id in admin.query(f"select toDate(time), user_id from product.{table}").result_rows:
            active[day].add(user_id)
    return active


def mart(admin, sql, **parameters):
    return admin.query(sql, parameters=parameters).result_rows


def chart_data(seen, card_title: str) -> dict:
    """What the card's Chart.js chart draws: {labels, datasets: [{label, data}]}."""
    return seen.card(card_title).locator("canvas").evaluate(
        "canvas => { const data = Chart.getChart(canvas).data;"
        " return { labels: data.labels || [], datasets: data.datasets.map(d => ({ label: d.label, data: d.data })) }; }")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.slug)
def test_every_page_renders_without_console_errors(visit, page):
    extra = "&group_a=0&group_b=1" if page.slug == "experiments" else ""
    seen = visit(f"{page.path}?{RANGE}{extra}")
    seen.screenshot(f"dashboard-{page.slug}")
    assert seen.response.status == 200
    assert seen.console_errors == []
    states = seen.page.locator("article.card").evaluate_all("cards => cards.map(c => c.dataset.state)")
    assert states and set(states) == {"drawn"}, states
    # every chart card holds a Chart.js canvas with at least one dataset that has values
    charts = [card for card in page.cards if card.chart["type"] not in ("kpi", "table")]
    assert seen.page.locator("article.card canvas").count() == len(charts)
    for card in charts:
        datasets = chart_data(seen, card.title)["datasets"]
        assert datasets and all(any(v is not None for v in d["data"]) for d in datasets), card.title


def test_overview_numbers_for_a_day_equal_the_marts_and_the_raw_events(visit, admin):
    seen = visit(f"/?{RANGE}")
    (dau, wau, mau, stickiness), = mart(
        admin, "select dau, wau, mau, stickiness from analytics.agg_active_users "
               "where date = {d:Date} and service = 'app' and breakdown = 'total'", d=DAY)
    card = "Active users on the last day (app)"
    assert seen.kpi(card, "dau") == (str(dau), f"{dau:,}")
    assert seen.kpi(card, "wau") == (str(wau), f"{wau:,}")
    assert seen.kpi(card, "mau") == (str(mau), f"{mau:,}")
    assert float(seen.kpi(card, "stickiness")[0]) == stickiness
    assert seen.kpi(card, "stickiness")[1] == f"{stickiness * 100:.2f}%"
    # independent oracle: distinct active users on the day, the 7 days and the 30 days up to it
    active = raw_active_users(admin)
    window = lambda days: set().union(*(active[DAY - dt.timedelta(n)] for n in range(days)))  # noqa: E731
    assert (dau, wau, mau) == (len(active[DAY]), len(window(7)), len(window(30)))


def test_feed_numbers_for_a_day_equal_the_marts_and_the_raw_events(visit, admin):
    seen = visit(f"/feed?{RANGE}")
    (users, views, likes, ctr), = mart(
        admin, "select feed_users, views, likes, ctr from analytics.agg_engagement_daily where date = {d:Date}", d=DAY)
    card = "Feed on the last day"
    assert [seen.kpi(card, field)[0] for field in ("feed_users", "views", "likes")] == [str(users), str(views),
                                                                                          str(likes)]
    assert float(seen.kpi(card, "ctr")[0]) == ctr
    # independent oracle, plain Python over the day's raw events with the staging rules
    # (models/staging/stg_feed_actions.sql): no user, no post or an unknown action is not an
    # event; exact duplicates are kept (each copy counts)
    day = admin.query("select * from product.feed_actions where toDate(time) = {d:Date}", parameters={"d": DAY})
    valid = [dict(zip(day.column_names, row)) for row in day.result_rows]
    valid = [e for e in valid if e["user_id"] and e["post_id"] and e["action"] in ("view", "like")]
    assert (users, views, likes) == (len({e["user_id"] for e in valid}),
                                     sum(e["action"] == "view" for e in valid),
                                     sum(e["action"] == "like" for e in valid))
    # the top-posts table is the mart's, row for row
    shown = [(int(row["post_id"][0]), int(row["views"][0])) for row in seen.table("Top posts on the last day")]
    assert shown == mart(admin, "select post_id, views from analytics.agg_top_posts_daily "
                                "where date = {d:Date} order by post_rank", d=DAY)


def test_messenger_numbers_for_a_day_equal_the_marts_and_the_raw_events(visit, admin):
    seen = visit(f"/messenger?{RANGE}")
    (senders, messages_sent, connections), = mart(
        admin, "select senders, messages_sent, connections from analytics.agg_engagement_daily "
               "where date = {d:Date}", d=DAY)
    card = "Messenger on the last day"
    assert [seen.kpi(card, field)[0] for field in ("senders", "messages_sent", "connections")] == [
        str(senders), str(messages_sent), str(connections)]
    # independent oracle over the day's raw messages (staging drops rows without a sender or
    # a receiver; exact duplicates are kept): a connection is a distinct (sender, receiver) pair
    day = admin.query("select user_id, receiver_id from product.message_actions where toDate(time) = {d:Date}",
                      parameters={"d": DAY}).result_rows
    valid = [(sender, receiver) for sender, receiver in day if sender and receiver]
    assert (senders, messages_sent, connections) == (len({s for s, _ in valid}), len(valid), len(set(valid)))
    assert connections > 0


def test_a_slice_filter_changes_the_numbers_as_the_marts_say(visit, admin):
    overview = visit(f"/?{RANGE}&source=ads")
    (ads_dau,), = mart(admin, "select dau from analytics.agg_active_users where date = {d:Date} "
                              "and service = 'app' and breakdown = 'source' and breakdown_value = 'ads'", d=DAY)
    assert overview.kpi("Active users on the last day (app)", "dau")[0] == str(ads_dau)

    country = mart(admin, "select country from analytics.agg_feed_daily_activity where country != 'Russia' "
                          "group by country order by sum(views) desc limit 1")[0][0]
    feed = visit(f"/feed?{RANGE}&country={country}")
    expected = defaultdict(lambda: [0, 0, 0])
    for day, users, views, likes in mart(admin, "select date, feed_users, views, likes "
                                                "from analytics.agg_feed_daily_activity where country = {c:String}",
                                         c=country):
        expected[day.isoformat()][0] += users
        expected[day.isoformat()][1] += views
        expected[day.isoformat()][2] += likes
    shown = {row["date"][1]: [int(row[c][0]) for c in ("feed_users", "views", "likes")]
             for row in feed.table("Views and likes")}
    assert shown == {day: totals for day, totals in expected.items() if FIRST.isoformat() <= day <= DAY.isoformat()}
    # and the chart draws the same numbers
    drawn = chart_data(feed, "Views and likes")
    assert {d["label"]: d["data"] for d in drawn["datasets"]} == {
        name: [shown[day][i] for day in drawn["labels"]] for i, name in ((1, "views"), (2, "likes"))}
    assert sorted(drawn["labels"]) == sorted(shown)
    all_users = visit(f"/feed?{RANGE}").kpi("Feed on the last day", "views")[0]
    assert int(all_users) > shown[DAY.isoformat()][1]  # the slice is smaller than everyone


def test_the_retention_form_switches_to_rolling_retention(visit, admin):
    seen = visit(f"/retention?{RANGE}")
    seen.page.select_option("select[name=retention_mode]", "rolling")
    seen.page.click("form.filters button[type=submit]")
    seen.page.wait_for_url("**retention_mode=rolling**")
    seen.page.wait_for_selector("body[data-rendered='yes']")
    assert "source=" not in seen.page.url  # empty filters are left out of the URL
    shown = [(row["cohort_start"][1], int(row["day_number"][0]), float(row["retention"][0]))
             for row in seen.table("Retention by cohort and day")]
    expected = mart(admin, "select cohort_start, day_number, rolling_retention from analytics.agg_retention "
                           "where service = 'app' and cohort_period = 'day' and breakdown = 'total' "
                           "and cohort_start between {a:Date} and {b:Date} order by cohort_start, day_number",
                    a=FIRST, b=DAY)
    assert shown == [(start.isoformat(), day, value) for start, day, value in expected]
    # the heatmap's cells are the same rows
    (cells,) = chart_data(seen, "Retention by cohort and day")["datasets"]
    assert [(c["y"], int(c["x"]), c["v"]) for c in cells["data"]] == shown
    # oldest cohort on top, as in a cohort table
    top, bottom = seen.card("Retention by cohort and day").locator("canvas").evaluate(
        "canvas => { const y = Chart.getChart(canvas).scales.y; return [y.getPixelForValue(0), "
        "y.getPixelForValue(y.getLabels().length - 1)]; }")
    assert top < bottom
    assert seen.console_errors == []


def test_lifecycle_draws_dormant_users_below_zero_and_tables_them_as_the_mart_says(visit, admin):
    seen = visit(f"/lifecycle?{RANGE}")
    title = "New / returning / resurrecting / dormant users"
    expected = mart(admin, "select period_start, new_users, returning_users, resurrecting_users, dormant_users "
                           "from analytics.agg_lifecycle where service = 'app' and period = 'day' "
                           "and period_start between {a:Date} and {b:Date} order by period_start", a=FIRST, b=DAY)
    shown = [(row["period_start"][1], int(row["dormant_users"][0])) for row in seen.table(title)]
    assert shown == [(start.isoformat(), dormant) for start, *_, dormant in expected]
    drawn = chart_data(seen, title)
    assert drawn["labels"] == [start.isoformat() for start, *_ in expected]
    assert {d["label"]: d["data"] for d in drawn["datasets"]} == {
        "new users": [row[1] for row in expected], "returning users": [row[2] for row in expected],
        "resurrecting users": [row[3] for row in expected], "dormant users": [-row[4] for row in expected]}
    assert any(row[4] > 0 for row in expected)


def test_the_experiment_test_matches_a_welch_test_over_raw_events(visit, admin):
    seen = visit(f"/experiments?{RANGE}&group_a=0&group_b=1")
    (row,) = seen.table("Test for the chosen pair")
    per_user = defaultdict(lambda: [0, 0])
    groups = {}
    # the staging rules: no user or no post is not an event; exact duplicates are kept
    raw = admin.query("select * from product.feed_actions where toDate(time) between {a:Date} and {b:Date} "
                      "and exp_group in (0, 1)", parameters={"a": FIRST, "b": DAY})
    for event in (dict(zip(raw.column_names, row)) for row in raw.result_rows):
        if event["user_id"] and event["post_id"] and event["action"] in ("view", "like"):
            per_user[event["user_id"]][event["action"] == "like"] += 1
            groups[event["user_id"]] = event["exp_group"]
    samples = [[likes / views for user, (views, likes) in per_user.items() if groups[user] == g and views]
               for g in (0, 1)]
    t, p = welch(*samples)
    assert (int(row["users_a"][0]), int(row["users_b"][0])) == (len(samples[0]), len(samples[1]))
    assert float(row["t_statistic"][0]) == pytest.approx(t, rel=1e-9)
    assert float(row["t_test_p_value"][0]) == pytest.approx(p, rel=1e-6)


def test_a_bad_url_shows_the_message_and_no_charts(visit):
    seen = visit("/feed?date_from=2025-13-01")
    assert seen.response.status == 400
    assert "date_from must be a date written YYYY-MM-DD; got '2025-13-01'" in seen.page.locator("#message").text_content()
    assert seen.page.locator("article.card").count() == 0
    seen.screenshot("dashboard-bad-filter")
    # the only console error is the browser reporting the page's own 400 status
    assert all("status of 400" in error for error in seen.console_errors)


def welch(a, b):
    """Welch's t statistic and two-sided p-value, from the definitions (no scipy here)."""
    mean = lambda xs: sum(xs) / len(xs)  # noqa: E731
    var = lambda xs: sum((x - mean(xs)) ** 2 for x in xs) / (len(xs) - 1)  # noqa: E731
    se2a, se2b = var(a) / len(a), var(b) / len(b)
    t = (mean(a) - mean(b)) / math.sqrt(se2a + se2b)
    df = (se2a + se2b) ** 2 / (se2a ** 2 / (len(a) - 1) + se2b ** 2 / (len(b) - 1))
    return t, incomplete_beta(df / 2, 0.5, df / (df + t * t))


def incomplete_beta(a, b, x):
    """Regularized incomplete beta I_x(a, b) by its continued fraction (Numerical Recipes, betacf)."""
    if x <= 0 or x >= 1:
        return float(x >= 1)
    if x > (a + 1) / (a + b + 2):
        return 1 - incomplete_beta(b, a, 1 - x)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log(1 - x)) / a
    c, d, f = 1.0, 1 - (a + b) * x / (a + 1), 0.0
    d = 1 / d
    f = d
    for m in range(1, 300):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 / (1 + numerator * d)
            c = 1 + numerator / c
            f *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return front * f


def test_the_superset_charts_queries_run_on_the_built_marts(admin):
    """Each chart of the Superset bundle, as the SQL Superset would send, answers with rows."""
    from test_superset_bundle import committed

    documents = committed()
    tables = {doc["uuid"]: doc["table_name"] for path, doc in documents.items() if path.startswith("datasets/")}
    for path, chart in documents.items():
        if not path.startswith("charts/"):
            continue
        form = chart["params"]
        groups = [form["x_axis"], *([form["groupby"]] if isinstance(form["groupby"], str) else form["groupby"])]
        metrics = form.get("metrics") or [form["metric"]]
        filters = " and ".join(f["sqlExpression"] for f in form["adhoc_filters"]) or "1"
        sql = (f"select {', '.join(groups)}, {', '.join(m['sqlExpression'] for m in metrics)} "
               f"from analytics.{tables[chart['dataset_uuid']]} where {filters} group by {', '.join(groups)}")
        assert admin.query(sql).result_rows, chart["slice_name"]
