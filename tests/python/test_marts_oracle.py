"""The dashboard marts, built the way production builds them (a first load, then one day at a
time as the data arrives), agree EXACTLY with plain Python over the raw events, pass their
data tests, and equal a full refresh. One generated data set, one endpoint (module scope)."""

from __future__ import annotations

import datetime as dt

import pytest
from marts_support import (MART_MODELS, MART_TESTS, SERVICES, RawEvents, dbt, generate, mann_whitney_u,
                                table_rows, welch_t_test, window_vars)

pytestmark = pytest.mark.slow

START = dt.date(2025, 3, 3)      # a Monday, so weekly periods start on day 1
FIRST_LOAD_DAYS = 34             # the first build; then a day arrives and is loaded alone
APPENDED_DAYS = 1                # 35 days in all: cohorts of the first 5 days reach day 30
MARTS = ("int_user_daily_activity", "agg_app_daily_activity", "agg_feed_daily_activity",
         "agg_messenger_daily_activity", "agg_active_users", "agg_retention", "agg_lifecycle",
         "agg_engagement_daily", "agg_top_posts_daily", "agg_experiment_daily",
         "agg_experiment_users_daily", "agg_experiment_users_30d")


@pytest.fixture(scope="module")
def warehouse(endpoint, tmp_path_factory):
    work = tmp_path_factory.mktemp("marts")
    generate(endpoint, "--start", START.isoformat(), "--days", str(FIRST_LOAD_DAYS),
             "--scale", "0.01", "--seed", "7")
    last = START + dt.timedelta(days=FIRST_LOAD_DAYS - 1)
    # and the table of the trailing mart's window the dashboard reads with its filter options
    dbt(endpoint, work, "run", "--select", f"+{MART_MODELS}", "dim_trailing_windows", "--vars", window_vars(START, last))
    for _ in range(APPENDED_DAYS):
        generate(endpoint, "--append-day")
        last += dt.timedelta(days=1)
        dbt(endpoint, work, "run", "--select", f"+{MART_MODELS}", "--vars", window_vars(last))
    client = endpoint.client()
    return {"client": client, "raw": RawEvents(client), "work": work, "last": last}


def query(warehouse, sql, **parameters):
    return warehouse["client"].query(sql, parameters=parameters).result_rows


def test_the_data_set_spans_the_loaded_days(warehouse):
    raw = warehouse["raw"]
    assert (raw.first_date, raw.last_date) == (START, warehouse["last"])
    assert len(raw.days["app"]) > 500, "too few users for the comparisons to mean anything"


def test_dau_wau_mau_match_distinct_users_over_each_window(warehouse):
    raw = warehouse["raw"]
    rows = query(warehouse, "select date, service, dau, wau, mau from analytics.agg_active_users "
                            "where breakdown = 'total'")
    marts = {(day, service): (dau, wau, mau) for day, service, dau, wau, mau in rows}
    expected = {(day, service): (raw.active_users(service, day, 1), raw.active_users(service, day, 7),
                                 raw.active_users(service, day, 30))
                for day in raw.dates() for service in SERVICES}
    assert marts == expected


def test_mau_by_exp_group_counts_each_user_once(warehouse):
    raw = warehouse["raw"]
    rows = query(warehouse, "select breakdown_value, mau from analytics.agg_active_users "
                            "where breakdown = 'exp_group' and service = 'app' and date = {day:Date}",
                 day=raw.last_date)
    expected = {str(group): raw.active_users("app", raw.last_date, 30, group=group)
                for group in set(raw.exp_group.values())}
    assert dict(rows) == expected


def test_new_users_and_new_users_7_days_ago(warehouse):
    raw = warehouse["raw"]
    # the slices of one day are disjoint sets of users, so their sum is that day's count
    rows = query(warehouse, "select date, sum(new_users_lifetime_0), sum(new_users_7_days_ago), "
                            "sum(total_users) from analytics.agg_app_daily_activity group by date")
    marts = {day: (new, new_7, total) for day, new, new_7, total in rows}
    expected = {day: (raw.new_users("app", day), raw.new_users("app", day - dt.timedelta(days=7)),
                      raw.active_users("app", day, 1)) for day in raw.dates()}
    assert marts == expected


@pytest.mark.parametrize("service,mart,column", [
    ("feed", "agg_feed_daily_activity", "feed_new_users_7_days_ago"),
    ("messenger", "agg_messenger_daily_activity", "new_messenger_users_7_days_ago"),
])
def test_feed_and_messenger_new_users_7_days_ago(warehouse, service, mart, column):
    """Users active in the service seven days before the row's date, whose first day in the
    app was that day (the marts' lifetime is global: dim_users.first_active_date)."""
    raw = warehouse["raw"]
    rows = query(warehouse, f"select date, sum({column}) from analytics.{mart} group by date")
    marts = {day: count for day, count in rows if count}
    expected = {}
    for day in raw.dates():
        week_ago = day - dt.timedelta(days=7)
        count = sum(1 for user, days in raw.days[service].items()
                    if week_ago in days and raw.first["app"][user] == week_ago)
        if count:
            expected[day] = count
    assert expected, "no new user a week before any loaded day"
    assert marts == expected


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("cohort_period,cohort_days", [("day", 1), ("week", 7)])
def test_retention_on_days_1_7_30(warehouse, service, cohort_period, cohort_days):
    raw = warehouse["raw"]
    rows = query(warehouse, "select cohort_start, day_number, cohort_size, retained_users, "
                            "rolling_retained_users from analytics.agg_retention "
                            "where breakdown = 'total' and service = {service:String} "
                            "and cohort_period = {period:String} and day_number in (0, 1, 7, 30)",
                 service=service, period=cohort_period)
    marts = {(start, n): (size, classic, rolling) for start, n, size, classic, rolling in rows}
    expected = {}
    for start in sorted({first for first in raw.first[service].values()}):
        if cohort_period == "week":
            start -= dt.timedelta(days=start.weekday())
        for n in (0, 1, 7, 30):
            if start + dt.timedelta(days=cohort_days - 1 + n) <= raw.last_date:
                expected[(start, n)] = raw.retention(service, start, cohort_days, n)
    assert marts == expected
    assert any(n == (30 if cohort_period == "day" else 7) for _, n in expected), "no cohort old enough"


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("period", ["day", "week"])
def test_lifecycle_counts(warehouse, service, period):
    rows = query(warehouse, "select period_start, active_users, new_users, returning_users, "
                            "resurrecting_users, dormant_users from analytics.agg_lifecycle "
                            "where service = {service:String} and period = {period:String}",
                 service=service, period=period)
    assert {row[0]: tuple(row[1:]) for row in rows} == warehouse["raw"].lifecycle(service, period)


def test_ctr_by_exp_group_per_day_and_over_the_range(warehouse):
    raw = warehouse["raw"]
    daily = query(warehouse, "select date, exp_group, users, views, likes, ctr from analytics.agg_experiment_daily")
    for day, group, users, views, likes, ctr in daily:
        assert (users, views, likes) == raw.feed_by_group(day)[group]
        assert ctr == pytest.approx(likes / views, rel=1e-9)
    assert len(daily) == sum(len(raw.feed_by_group(day)) for day in raw.dates())
    over_range = query(warehouse, "select exp_group, uniqExact(user_id), sum(views), sum(likes) "
                                  "from analytics.agg_experiment_users_daily group by exp_group")
    assert {group: (users, views, likes) for group, users, views, likes in over_range} == raw.feed_by_group()


def test_30_day_totals_are_the_sums_of_the_daily_rows_for_every_end_date(warehouse):
    """agg_experiment_users_30d against plain Python sums of agg_experiment_users_daily (itself
    checked against the raw events above), for every loaded day, the appended one included."""
    daily = query(warehouse, "select date, exp_group, user_id, views, likes from analytics.agg_experiment_users_daily")
    expected = {}
    for day, group, user, views, likes in daily:
        for later in range(30):
            end = day + dt.timedelta(days=later)
            if end <= warehouse["last"]:
                totals = expected.setdefault((end, group, user), [0, 0])
                totals[0] += views
                totals[1] += likes
    rows = query(warehouse, "select end_date, exp_group, user_id, views, likes from analytics.agg_experiment_users_30d")
    assert len(rows) == len(expected)
    assert {(end, group, user): [views, likes] for end, group, user, views, likes in rows} == expected
    assert max(end for end, _, _ in expected) == warehouse["last"]


def test_experiment_panels_give_the_same_numbers_from_either_mart(warehouse):
    from feedstar.dashboard.filters import Filters
    from feedstar.dashboard.queries import PANELS

    from feedstar.dashboard.queries.experiment_users import WINDOW_SQL

    last = warehouse["last"]
    client = warehouse["client"]
    window = client.command(WINDOW_SQL.replace("from ", "from analytics.", 1))
    assert window == 30  # dbt_project.yml's experiment_window_days
    for name in ("experiment_groups", "experiment_test"):
        answers = []
        for last_loaded in (last, None):  # None: nothing known about loads, so the daily rows
            chosen = Filters(date_from=last - dt.timedelta(days=window - 1), date_to=last, group_a=1, group_b=2,
                             last_loaded_date=last_loaded, experiment_window_days=window)
            built = PANELS[name].build(chosen)
            sql = built.sql.replace(f"from {built.mart}", f"from analytics.{built.mart}")
            answers.append((built.mart, client.query(sql, parameters=built.parameters).result_rows))
        (trailing_mart, trailing), (daily_mart, daily) = answers
        assert (trailing_mart, daily_mart) == ("agg_experiment_users_30d", "agg_experiment_users_daily")
        assert trailing and len(trailing) == len(daily), name
        for got, want in zip(trailing, daily):
            assert got == pytest.approx(want, rel=1e-9, nan_ok=True), name


def test_ab_test_analysis_p_values_match_a_plain_python_welch_test(warehouse, endpoint):
    dbt(endpoint, warehouse["work"], "compile", "--select", "ab_test_ctr",
        "--vars", "{ab_group_a: 1, ab_group_b: 2}")
    compiled = warehouse["work"] / "target" / "compiled" / "feedstar" / "analyses" / "ab_test_ctr.sql"
    readout = {row[0]: row[1:] for row in query(warehouse, compiled.read_text())}
    ctr = {1: [], 2: []}
    per_user = {}
    for (day, user), (views, likes) in warehouse["raw"].feed_day_user.items():
        totals = per_user.setdefault(user, [0, 0])
        totals[0] += views
        totals[1] += likes
    for user, (views, likes) in per_user.items():
        group = warehouse["raw"].exp_group[user]
        if group in ctr and views > 0:
            ctr[group].append(likes / views)
    t, p = welch_t_test(ctr[1], ctr[2])
    users_a, users_b, _, _, statistic, p_value = readout["per_user_welch_t"]
    assert (users_a, users_b) == (len(ctr[1]), len(ctr[2]))
    assert statistic == pytest.approx(t, rel=1e-9) and p_value == pytest.approx(p, rel=1e-6)
    assert readout["per_user_mann_whitney"][4] == mann_whitney_u(ctr[1], ctr[2])
    assert 0 <= readout["per_user_mann_whitney"][5] <= 1 and 0 <= readout["bucketed_welch_t"][5] <= 1


def test_unknown_slices_still_add_up_to_the_totals(warehouse):
    # Receive-only users have no attributes that day (all slice keys NULL) and some events
    # have no city: those rows are kept, and every breakdown adds up to its total.
    null_slices = query(warehouse, "select sum(receive_only_users), countIf(city is null and total_users > 0) "
                                   "from analytics.agg_app_daily_activity")
    assert null_slices[0][0] > 0
    rows = query(warehouse, "select date, service, breakdown, sum(dau) from analytics.agg_active_users "
                            "group by date, service, breakdown")
    by_breakdown = {}
    for day, service, breakdown, dau in rows:
        by_breakdown.setdefault((day, service), {})[breakdown] = dau
    for totals in by_breakdown.values():
        assert set(totals.values()) == {totals["total"]}, totals


def test_the_marts_data_tests_pass(warehouse, endpoint):
    done = dbt(endpoint, warehouse["work"], "test", "--select", MART_MODELS, MART_TESTS)
    for name in ("app_service_mix_adds_up", "retention_day_0_is_the_cohort",
                 "lifecycle_new_users_are_first_seen_that_day", "active_users_windows_nest",
                 "agg_lifecycle_hand_computed_week", "agg_active_users_hand_computed_windows",
                 "experiment_users_30d_sums_the_daily_rows"):
        assert name in done.stdout, f"data test {name} did not run"


def test_a_bad_load_window_is_a_clear_error_and_changes_no_mart(warehouse, endpoint):
    client = warehouse["client"]
    before = table_rows(client, "agg_active_users")
    done = dbt(endpoint, warehouse["work"], "run", "--select", MART_MODELS,
               "--vars", "{start_date: \"2025-02-30\"}", check=False)
    assert done.returncode != 0
    assert "start_date = 2025-02-30" in done.stdout and "no such day" in done.stdout
    assert table_rows(client, "agg_active_users") == before


def test_incremental_loads_equal_a_full_refresh(warehouse, endpoint):
    client = warehouse["client"]
    incremental = {table: table_rows(client, table) for table in MARTS}
    # the star schema is complete already: rebuild every mart from it, from scratch
    dbt(endpoint, warehouse["work"], "run", "--full-refresh", "--select", MART_MODELS,
        "--vars", window_vars(START, warehouse["last"]))
    for table in MARTS:
        assert incremental[table], f"{table} is empty"
        assert table_rows(client, table) == incremental[table], f"{table} differs after a full refresh"
