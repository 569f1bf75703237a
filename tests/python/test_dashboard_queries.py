"""Panel queries without a server: values are bound, never spliced; each mart is asked only what it can answer."""

import datetime as dt
import re

import pytest

from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries import PANELS, active_users, experiment_users, feed_engagement, retention
from feedstar.dashboard.queries.base import PanelUnavailable, breakdown_predicate, slice_predicate
from feedstar.dashboard.queries.labels import AGE_BUCKETS, SLICE_LABELS, SLICE_LABELS_SQL

DAY = dt.date(2025, 3, 2)
# A value that would break out of a string literal if it were ever pasted into SQL.
HOSTILE = "x' or 1=1) union select name from system.tables --"


def filters(**kwargs) -> Filters:
    base = {"date_from": DAY, "date_to": DAY}
    base.update(kwargs)
    return Filters(**base)


def built(panel, filters_):
    try:
        return panel.build(filters_)
    except PanelUnavailable:
        return None


@pytest.mark.parametrize("name", sorted(PANELS))
@pytest.mark.parametrize("attribute", ["source", "os", "gender", "age_bucket", "country", "city", "exp_group"])
def test_filter_values_travel_only_as_bound_parameters(name, attribute):
    # Deliberately skip parse_filters (which would refuse HOSTILE) to check the SQL layer alone.
    query = built(PANELS[name], filters(slices=((attribute, HOSTILE),), group_a=1, group_b=2))
    if query is None:
        return  # this panel's mart has no such attribute: it refuses rather than ignores
    assert HOSTILE not in query.sql
    assert "union" not in query.sql
    # (an attribute's label selects raw values: the value travels in a bound array)
    assert any(value == HOSTILE or isinstance(value, list) and HOSTILE in value for value in query.parameters.values())
    # every {name:Type} placeholder has a value, and every value has a placeholder
    placeholders = set(re.findall(r"\{(\w+):[\w()]+\}", query.sql))
    assert placeholders == set(query.parameters)


@pytest.mark.parametrize("name", sorted(PANELS))
def test_every_panel_reads_only_dashboard_marts(name):
    query = PANELS[name].build(filters(group_a=1, group_b=2))
    tables = set(re.findall(r"\bfrom\s+([a-z_]+)", query.sql))
    assert tables, query.sql
    # agg_* marts, dbt's label tables (dim_*), or the query's own CTE names
    ctes = set(re.findall(r"\b([a-z_]+) as \(", query.sql))
    assert all(table.startswith(("agg_", "dim_")) or table in ctes for table in tables), tables
    assert query.mart.startswith("agg_")


@pytest.mark.parametrize("name", sorted(PANELS))
def test_an_age_bucket_filter_reads_the_buckets_dbt_built(name):
    query = built(PANELS[name], filters(slices=(("age_bucket", "18-24"),), group_a=1, group_b=2))
    if query is None or query.mart == "agg_active_users" or query.mart == "agg_retention":
        return  # refused, or a breakdown mart: its age_bucket values are stored, not computed
    # no bucket boundary of its own: the ages map through dbt's table of buckets
    assert AGE_BUCKETS in query.sql
    assert not re.search(r"age\s*<", query.sql)


def test_no_slice_reads_the_total_row_not_a_sum():
    assert breakdown_predicate(filters(), "m") == ("breakdown = 'total'", {})


def test_one_slice_reads_that_breakdown_row():
    sql, parameters = breakdown_predicate(filters(slices=(("os", "iOS"),)), "m")
    assert parameters == {"breakdown": "os", "breakdown_value": "iOS"}
    assert sql == "breakdown = {breakdown:String} and breakdown_value = {breakdown_value:String}"


def test_distinct_counts_are_never_combined_across_two_slices():
    with pytest.raises(PanelUnavailable, match="one attribute at a time, not source and os"):
        breakdown_predicate(filters(slices=(("source", "ads"), ("os", "iOS"))), "agg_active_users")


def test_attributes_a_mart_lacks_are_refused_with_the_reason():
    with pytest.raises(PanelUnavailable, match="cannot be filtered by city"):
        active_users.build(filters(slices=(("city", "Moscow"),)))
    with pytest.raises(PanelUnavailable, match="cannot be filtered by exp_group"):
        slice_predicate(filters(slices=(("exp_group", "1"),)), "agg_app_daily_activity")


def test_slice_marts_accept_several_attributes_at_once():
    sql, parameters = slice_predicate(filters(slices=(("gender", "male"), ("city", "Moscow"))), "m")
    # no labels known: every value is its own label, NULL's label is none of them
    assert parameters == {"slice_gender": ["male"], "slice_gender_is_null_label": False,
                          "slice_city": ["Moscow"], "slice_city_is_null_label": False}
    assert re.findall(r"\{(slice_\w+):Array\(String\)\}\)( and |$)", sql) == [("slice_gender", " and "),
                                                                             ("slice_city", "")]


@pytest.mark.parametrize("name, label, raw, null", [
    ("gender", "f", ["0", "f"], False),  # gender 0 is labelled f, and an unlisted raw 'f' is itself
    ("gender", "n/a", ["n/a"], True),  # only NULL is (and a raw 'n/a' would be its own label)
    ("city", "n/a", ["", "n/a"], True),  # '' and NULL are n/a
    ("city", "Moscow", ["Moscow"], False),  # an unlisted value is its own label
    ("country", "n/a", ["n/a"], False),  # no rows for country: no NULL label either
])
def test_a_slice_filter_selects_the_raw_values_dbt_gives_its_label(name, label, raw, null):
    sql, parameters = slice_predicate(filters(slices=((name, label),), slice_labels=OTHER_LABELS), "m")
    assert parameters == {f"slice_{name}": raw, f"slice_{name}_is_null_label": null}
    assert sql == (f"if({name} is null, {{slice_{name}_is_null_label:Bool}}, "
                   f"toString(assumeNotNull({name})) in {{slice_{name}:Array(String)}})")


# dim_slice_labels' rows as another build of the macros might hold them (hand-written)
OTHER_LABELS = (("city", None, "n/a"), ("city", "", "n/a"), ("exp_group", None, "none"), ("gender", None, "n/a"),
                ("gender", "0", "f"), ("gender", "1", "m"), ("os", None, "n/a"), ("source", None, "n/a"))


@pytest.mark.parametrize("name", sorted(PANELS))
@pytest.mark.parametrize("attribute", ["source", "os", "gender", "country", "city"])
def test_no_panel_spells_a_label_of_its_own(name, attribute):
    query = built(PANELS[name], filters(slices=((attribute, "n/a"),), group_a=1, group_b=2, slice_labels=OTHER_LABELS))
    if query is None:
        return
    # the labels come from dbt's table (macros marts_slice_value, marts_gender_label) as bound
    # values: the SQL spells none, nor the rule that an empty string is unknown
    assert not re.search(r"'(unknown|male|female|n/a)'|nullIf\(", query.sql), query.sql


def test_users_by_source_labels_sources_with_dbt_s_labels():
    query = PANELS["users_by_source"].build(filters(slice_labels=OTHER_LABELS))
    assert (query.parameters["label_source_missing"], query.parameters["label_source_values"]) == ("n/a", [])


def test_experiment_daily_labels_exp_group_with_dbt_s_labels():
    query = PANELS["experiment_daily"].build(filters(slice_labels=OTHER_LABELS))
    assert "'unknown'" not in query.sql
    assert query.parameters["label_exp_group_missing"] == "none" and query.parameters["label_exp_group_values"] == []


def test_feed_panel_reads_the_engagement_mart_unless_sliced():
    assert feed_engagement.build(filters()).mart == "agg_engagement_daily"
    sliced = feed_engagement.build(filters(slices=(("os", "iOS"),)))
    assert sliced.mart == "agg_feed_daily_activity"
    # a mean of per-slice means is not the slice's mean: the panel leaves it out
    assert "cast(null as Nullable(Float64)) as avg_view_to_like_seconds" in sliced.sql


def test_retention_mode_picks_columns_from_an_allow_list():
    assert "rolling_retention as retention" in retention.build(filters(retention_mode="rolling")).sql
    assert "rolling" not in retention.build(filters(retention_mode="classic")).sql
    with pytest.raises(KeyError):
        retention.build(filters(retention_mode="retention; drop table x"))


def test_experiment_test_needs_two_groups():
    with pytest.raises(PanelUnavailable, match="Choose group_a and group_b"):
        PANELS["experiment_test"].build(filters())


def test_active_users_sql_snapshot():
    query = active_users.build(filters(slices=(("country", "Finland"),)))
    assert query.sql.strip() == (
        "select date, service, dau, wau, mau, stickiness\n"
        "from agg_active_users\n"
        "where date between {date_from:Date} and {date_to:Date} and "
        "breakdown = {breakdown:String} and breakdown_value = {breakdown_value:String}\n"
        "order by date, service"
    )
    assert query.parameters == {"date_from": DAY, "date_to": DAY, "breakdown": "country", "breakdown_value": "Finland"}


def test_dbt_exposures_list_every_mart_each_page_reads():
    import os

    import yaml

    from feedstar.dashboard.pages import PAGES

    path = os.path.join(os.path.dirname(__file__), "..", "..", "models", "exposures.yml")
    with open(path) as handle:
        exposures = {item["name"]: item for item in yaml.safe_load(handle)["exposures"]}
    # one day, and the default 30 days ending on the last loaded day (some panels then read other marts)
    ranges = ({}, {"date_from": DAY - dt.timedelta(days=29), "last_loaded_date": DAY, "experiment_window_days": 30})
    variants = [filters(group_a=1, group_b=2, slices=slices, **days)
                for slices in ((), (("os", "iOS"),), (("age_bucket", "18-24"),)) for days in ranges]
    for page in PAGES:
        sql = " ".join(query.sql for card in page.cards for chosen in variants
                       if (query := built(PANELS[card.panel], chosen)))
        read = set(re.findall(r"\b((?:agg|dim)_[a-z0-9_]+)", sql))
        if any(name.startswith("label_") or name.endswith("_is_null_label") for card in page.cards
               for chosen in variants if (query := built(PANELS[card.panel], chosen)) for name in query.parameters):
            # the filter options read dbt's labels for the panels that label raw values
            read.add(SLICE_LABELS)
        if experiment_users.TRAILING_MART in read:
            # the filter options read its window, to pick it (experiment_users.per_user_ctr)
            read.add(experiment_users.TRAILING_WINDOWS)
        declared = {ref[len("ref('"):-2] for ref in exposures[f"dashboard_{page.slug}"]["depends_on"]}
        assert read == declared, page.slug


@pytest.mark.parametrize("days, last_loaded, window, mart", [
    (30, DAY, 30, "agg_experiment_users_30d"),      # the default range, ending on the last loaded day
    (30, DAY + dt.timedelta(days=5), 30, "agg_experiment_users_30d"),  # ending on an earlier loaded day
    (29, DAY, 30, "agg_experiment_users_daily"),    # any other length sums the daily rows
    (31, DAY, 30, "agg_experiment_users_daily"),
    (30, DAY - dt.timedelta(days=1), 30, "agg_experiment_users_daily"),  # ends after the last loaded day
    (30, None, 30, "agg_experiment_users_daily"),   # nothing known about what is loaded
    (7, DAY, 7, "agg_experiment_users_30d"),        # dbt built a 7-day window: 7 days is its range
    (30, DAY, 7, "agg_experiment_users_daily"),     # ... and 30 days is not
    (30, DAY, None, "agg_experiment_users_daily"),  # no window table read: never the totals
])
def test_experiment_panels_read_the_trailing_totals_only_for_a_range_of_their_window_they_cover(
        days, last_loaded, window, mart):
    chosen = filters(date_from=DAY - dt.timedelta(days=days - 1), group_a=1, group_b=2, last_loaded_date=last_loaded,
                     experiment_window_days=window)
    for name in ("experiment_groups", "experiment_test"):
        query = PANELS[name].build(chosen)
        assert query.mart == mart
        assert f"from {mart}" in query.sql



class RecordingReader:
    """Stands in for MartReader to collect the Today page's SQL (no rows: nothing to draw)."""

    def __init__(self):
        self.sql = []

    def select(self, sql, parameters):
        self.sql.append(sql)
        return [], []


def test_on_a_cluster_the_dashboard_reads_only_tables_every_node_holds_whole():
    import glob
    import os

    from feedstar.dashboard.queries import options, today

    reader = RecordingReader()
    today.newest_day(reader)
    today.slices(reader, DAY)
    today.load(reader, DAY, "all")
    variants = [filters(group_a=1, group_b=2, slices=slices)
                for slices in ((), (("os", "iOS"),), (("age_bucket", "18-24"),), (("city", "Moscow"),))]
    sql = [options.DATES_SQL, options.BREAKDOWN_VALUES_SQL, options.slice_values_query(())[0], SLICE_LABELS_SQL,
           experiment_users.WINDOW_SQL, *reader.sql,
           *(query.sql for panel in PANELS.values() for chosen in variants if (query := built(panel, chosen)))]
    ctes = {name for text in sql for name in re.findall(r"\b([a-z_]+) as \(", text)}
    read = {name for text in sql for name in re.findall(r"\bfrom\s+([a-z_]+)", text)} - ctes
    repo = os.path.join(os.path.dirname(__file__), "..", "..")
    # the names ref() gives: what the cluster target creates under each model's name
    models = {os.path.basename(path)[:-4] for path in glob.glob(os.path.join(repo, "models", "**", "*.sql"),
                                                                 recursive=True)}
    assert read and read <= models, read - models
    # the sharded models (a Distributed table over <name>_local) in the cluster target's statements
    sharded = {name for path in glob.glob(os.path.join(repo, "tests", "compiled", "cluster", "build", "*.sql"))
               for name in re.findall(r"Distributed\('[^']*', '[^']*', '(\w+)_local'", open(path).read())}
    assert "fact_daily_feed" in sharded
    assert not read & sharded  # docs/production.md: whole on every node, any node answers alone
