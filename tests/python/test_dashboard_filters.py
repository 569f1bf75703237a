"""The dashboard's filter parsing: defaults, and a clear, named error for every kind of bad value."""

import datetime as dt

import pytest

from feedstar.dashboard.filters import FilterError, Filters, Options, parse_filters

OPTIONS = Options(
    first_date=dt.date(2025, 3, 1),
    last_date=dt.date(2025, 4, 20),
    values={
        "source": ("ads", "organic"),
        "os": ("Android", "iOS"),
        "gender": ("female", "male", "unknown"),
        "age_bucket": ("18-24", "25-34"),
        "country": ("Finland", "Russia"),
        "city": ("Moscow", "Saint Petersburg"),
        "exp_group": ("0", "1", "2", "unknown"),
    },
)


def test_defaults_are_the_last_30_days_of_the_marts():
    filters = parse_filters({}, OPTIONS)
    # 2025-04-20 is the marts' last day; 30 days back inclusive starts 2025-03-22
    assert (filters.date_from, filters.date_to) == (dt.date(2025, 3, 22), dt.date(2025, 4, 20))
    assert filters.slices == ()
    assert (filters.service, filters.cohort_period, filters.retention_mode, filters.period) == (
        "app", "day", "classic", "day")


def test_default_start_never_precedes_the_first_day_of_data():
    filters = parse_filters({"date_to": "2025-03-10"}, OPTIONS)
    assert (filters.date_from, filters.date_to) == (dt.date(2025, 3, 1), dt.date(2025, 3, 10))


def test_valid_filters_are_kept_in_the_filter_bar_order():
    filters = parse_filters(
        {"city": "Saint Petersburg", "source": "ads", "exp_group": "2", "date_from": "2025-03-05",
         "date_to": "2025-03-06", "service": "feed", "group_a": "0", "group_b": "2"}, OPTIONS)
    assert filters.slices == (("source", "ads"), ("city", "Saint Petersburg"), ("exp_group", "2"))
    assert filters.service == "feed"
    assert (filters.group_a, filters.group_b) == (0, 2)


def test_empty_values_mean_no_filter():
    assert parse_filters({"source": "", "service": "", "date_to": ""}, OPTIONS) == parse_filters({}, OPTIONS)


def test_query_string_round_trip():
    filters = parse_filters({"os": "iOS", "retention_mode": "rolling", "date_from": "2025-04-01",
                             "group_a": "1", "group_b": "0"}, OPTIONS)
    assert parse_filters(dict(filters.query_string_items()), OPTIONS) == filters
    # defaults are left out of links
    assert "service" not in dict(filters.query_string_items())


@pytest.mark.parametrize("params, parameter, message", [
    ({"date_from": "2025-3-1"}, "date_from", "YYYY-MM-DD"),
    ({"date_to": "2025-02-30"}, "date_to", "YYYY-MM-DD"),
    ({"date_to": "yesterday"}, "date_to", "YYYY-MM-DD"),
    ({"date_from": "2025-04-02", "date_to": "2025-04-01"}, "date_from", "is after date_to"),
    ({"date_from": "2024-01-01", "date_to": "2025-04-01"}, "date_from", "at most 400 days"),
    ({"source": "tv"}, "source", "Choose one of: ads, organic"),
    ({"os": "ios"}, "os", "Unknown os"),  # case matters: the marts say iOS
    ({"gender": "1"}, "gender", "Unknown gender"),
    ({"age_bucket": "18-25"}, "age_bucket", "Unknown age_bucket"),
    ({"city": "Atlantis"}, "city", "Unknown city"),
    ({"exp_group": "7"}, "exp_group", "Unknown exp_group"),
    ({"service": "sms"}, "service", "service must be one of app, feed, messenger"),
    ({"cohort_period": "month"}, "cohort_period", "must be one of day, week"),
    ({"retention_mode": "sticky"}, "retention_mode", "classic, rolling"),
    ({"period": "year"}, "period", "must be one of day, week"),
    ({"group_a": "9"}, "group_a", "exp_group present in the marts"),
    ({"group_a": "unknown"}, "group_a", "exp_group present in the marts"),  # not a number
    ({"group_a": "1", "group_b": "1"}, "group_b", "two different"),
    ({"colour": "red"}, "colour", "Unknown parameter 'colour'"),
    ([("source", "ads"), ("source", "organic")], "source", "more than once"),
])
def test_bad_values_name_the_parameter_and_say_why(params, parameter, message):
    with pytest.raises(FilterError) as caught:
        parse_filters(params, OPTIONS)
    assert caught.value.parameter == parameter
    assert message in caught.value.message


@pytest.mark.parametrize("value", [
    "ads' or '1'='1", "ads; drop table analytics.agg_active_users", "ads\x00", "{source:String}", "ads" + "x" * 5000,
])
def test_injection_attempts_are_refused_before_any_sql(value):
    with pytest.raises(FilterError) as caught:
        parse_filters({"source": value}, OPTIONS)
    # The message quotes the value cut short and without control characters.
    assert len(caught.value.message) < 300
    assert "\x00" not in caught.value.message


def test_no_data_yet_still_gives_a_range():
    filters = parse_filters({}, Options(None, None, {}))
    assert filters.date_to == dt.date.today()
    assert isinstance(filters, Filters)
