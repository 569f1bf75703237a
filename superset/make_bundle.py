"""The Superset bundle (Superset's v1 import format: YAML files under one folder, zipped).

    python superset/make_bundle.py --out feedstar_superset.zip \
        [--uri clickhousedb://user:password@host:8123/analytics]

writes the zip that `superset import-dashboards -p feedstar_superset.zip -u admin` imports,
pointing at the ClickHouse of --uri (default: the embedded endpoint's read-only user).
`--yaml` rewrites the committed, reviewable copy in superset/feedstar/.
Charts read the marts as they are: a per-day distinct count is taken with max() over the
one row that holds it, never summed across days or slices.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import uuid
import zipfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLE = os.path.join(HERE, "feedstar")
DEFAULT_URI = "clickhousedb://dashboard:@127.0.0.1:8123/analytics"
DATABASE_NAME = "feedstar"
TIMESTAMP = "2025-01-01T00:00:00+00:00"  # fixed, so that re-running gives identical files
NAMESPACE = uuid.UUID("8a6f5f0e-3c1b-4d7e-9a51-0fee0d5a7000")  # uuids derived from names: stable across runs


def stable_uuid(kind: str, name: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{kind}:{name}"))


# mart -> columns (name, ClickHouse type), as in docs/marts.md
DATASETS = {
    "agg_active_users": [("date", "Date"), ("service", "String"), ("breakdown", "String"),
                         ("breakdown_value", "String"), ("dau", "UInt64"), ("wau", "UInt64"), ("mau", "UInt64"),
                         ("stickiness", "Float64")],
    "agg_app_daily_activity": [("date", "Date"), ("source", "Nullable(String)"), ("os", "Nullable(String)"),
                               ("country", "Nullable(String)"), ("city", "Nullable(String)"),
                               ("total_users", "UInt64"), ("feed_only_users", "UInt64"),
                               ("messenger_only_users", "UInt64"), ("both_services_users", "UInt64"),
                               ("new_users_lifetime_0", "UInt64")],
    "agg_engagement_daily": [("date", "Date"), ("ctr", "Nullable(Float64)"), ("views_per_user", "Nullable(Float64)"),
                             ("views", "UInt64"), ("likes", "UInt64")],
    "agg_retention": [("service", "String"), ("cohort_period", "String"), ("cohort_start", "Date"),
                      ("breakdown", "String"), ("breakdown_value", "String"), ("day_number", "UInt16"),
                      ("cohort_size", "UInt64"), ("retention", "Float64"), ("rolling_retention", "Float64")],
    "agg_lifecycle": [("service", "String"), ("period", "String"), ("period_start", "Date"),
                      ("new_users", "UInt64"), ("returning_users", "UInt64"), ("resurrecting_users", "UInt64"),
                      ("dormant_users", "UInt64")],
    "agg_experiment_daily": [("date", "Date"), ("exp_group", "Nullable(UInt8)"), ("users", "UInt64"),
                             ("ctr", "Nullable(Float64)")],
}
TIME_COLUMNS = {"agg_retention": "cohort_start", "agg_lifecycle": "period_start"}


def sql_metric(expression: str, label: str) -> dict:
    return {"expressionType": "SQL", "sqlExpression": expression, "label": label}


def where(expression: str) -> dict:
    return {"expressionType": "SQL", "clause": "WHERE", "sqlExpression": expression}


TOTAL_APP = [where("breakdown = 'total'")]
# (title, dataset, viz_type, form data) -- the core charts of the local dashboard's pages
CHARTS = [
    ("DAU per service", "agg_active_users", "echarts_timeseries_line",
     {"x_axis": "date", "metrics": [sql_metric("max(dau)", "DAU")], "groupby": ["service"],
      "adhoc_filters": TOTAL_APP}),
    ("Stickiness (DAU / MAU)", "agg_active_users", "echarts_timeseries_line",
     {"x_axis": "date", "metrics": [sql_metric("max(stickiness)", "stickiness")], "groupby": ["service"],
      "adhoc_filters": TOTAL_APP, "y_axis_format": ".1%"}),
    ("Audience split", "agg_app_daily_activity", "echarts_timeseries_bar",
     {"x_axis": "date", "stack": "Stack", "groupby": [], "adhoc_filters": [],
      "metrics": [sql_metric("sum(feed_only_users)", "feed only"),
                  sql_metric("sum(messenger_only_users)", "messenger only"),
                  sql_metric("sum(both_services_users)", "both")]}),
    ("New users", "agg_app_daily_activity", "echarts_timeseries_bar",
     {"x_axis": "date", "groupby": [], "adhoc_filters": [],
      "metrics": [sql_metric("sum(new_users_lifetime_0)", "new users")]}),
    ("CTR", "agg_engagement_daily", "echarts_timeseries_line",
     {"x_axis": "date", "groupby": [], "adhoc_filters": [], "metrics": [sql_metric("max(ctr)", "CTR")],
      "y_axis_format": ".1%"}),
    ("Retention heatmap (app, daily cohorts)", "agg_retention", "heatmap_v2",
     {"x_axis": "day_number", "groupby": "cohort_start", "metric": sql_metric("max(retention)", "retention"),
      "adhoc_filters": [where("service = 'app'"), where("cohort_period = 'day'"), where("breakdown = 'total'")],
      "y_axis_format": ".0%", "sort_x_axis": "alpha_asc", "sort_y_axis": "alpha_asc"}),
    ("Lifecycle (app, daily)", "agg_lifecycle", "echarts_timeseries_bar",
     {"x_axis": "period_start", "stack": "Stack", "groupby": [],
      "adhoc_filters": [where("service = 'app'"), where("period = 'day'")],
      "metrics": [sql_metric("sum(new_users)", "new"), sql_metric("sum(returning_users)", "returning"),
                  sql_metric("sum(resurrecting_users)", "resurrecting"),
                  sql_metric("-sum(dormant_users)", "dormant")]}),
    ("CTR by exp_group", "agg_experiment_daily", "echarts_timeseries_line",
     {"x_axis": "date", "groupby": ["exp_group"], "adhoc_filters": [], "metrics": [sql_metric("max(ctr)", "CTR")],
      "y_axis_format": ".1%"}),
]


def database(uri: str) -> dict:
    return {
        "database_name": DATABASE_NAME, "sqlalchemy_uri": uri, "cache_timeout": None, "expose_in_sqllab": True,
        "allow_run_async": False, "allow_ctas": False, "allow_cvas": False, "allow_dml": False,
        "allow_file_upload": False, "extra": {"allows_virtual_table_explore": True},
        "uuid": stable_uuid("database", DATABASE_NAME), "version": "1.0.0",
    }


def dataset(table: str, uri: str) -> dict:
    time_column = TIME_COLUMNS.get(table, "date")
    schema = uri.rsplit("/", 1)[-1] or "analytics"
    return {
        "table_name": table, "main_dttm_col": time_column, "description": f"dbt mart {table} (docs/marts.md)",
        "default_endpoint": None, "offset": 0, "cache_timeout": None, "schema": schema, "sql": None,
        "params": None, "template_params": None, "filter_select_enabled": True, "fetch_values_predicate": None,
        "extra": None, "normalize_columns": False, "always_filter_main_dttm": False,
        "metrics": [{"metric_name": "count", "verbose_name": "COUNT(*)", "metric_type": "count",
                     "expression": "count()", "description": None, "d3format": None, "extra": {},
                     "warning_text": None}],
        "columns": [{"column_name": name, "verbose_name": None, "is_dttm": name == time_column, "is_active": True,
                     "type": column_type, "groupby": True, "filterable": True, "expression": None,
                     "description": None, "python_date_format": None, "extra": {}}
                    for name, column_type in DATASETS[table]],
        "version": "1.0.0", "uuid": stable_uuid("dataset", table),
        "database_uuid": stable_uuid("database", DATABASE_NAME),
    }


def query_context(index: int, table: str, params: dict) -> str:
    """The chart's saved query (JSON), as Superset's explore view saves it with the chart.

    Superset answers `GET /api/v1/chart/<id>/data/` (and CSV export, alerts and reports) from
    this saved query only; a chart imported without one gets 400 "Chart has no query context
    saved" until someone re-saves it by hand.  The query asks for what the chart draws, in
    long form: the x axis (a temporal one at the chart's time grain), the series columns,
    the metrics, and the chart's SQL filters.  The importer rewrites the datasource id.
    """
    x_axis = params["x_axis"]
    if x_axis == TIME_COLUMNS.get(table, "date"):
        x_column = {"columnType": "BASE_AXIS", "sqlExpression": x_axis, "label": x_axis, "expressionType": "SQL",
                    "timeGrain": params["time_grain_sqla"]}
    else:
        x_column = x_axis
    groupby = params["groupby"] if isinstance(params["groupby"], list) else [params["groupby"]]
    metrics = params.get("metrics") or [params["metric"]]
    wheres = [f"({item['sqlExpression']})" for item in params["adhoc_filters"] if item["clause"] == "WHERE"]
    datasource = {"id": index, "type": "table"}
    query = {"columns": [x_column, *groupby], "metrics": metrics,
             "orderby": [[metrics[0], False]], "row_limit": params["row_limit"],
             "filters": [{"col": TIME_COLUMNS.get(table, "date"), "op": "TEMPORAL_RANGE",
                          "val": params["time_range"]}],
             "extras": {"where": " AND ".join(wheres), "having": "", "time_grain_sqla": params["time_grain_sqla"]},
             "annotation_layers": [], "applied_time_extras": {}, "url_params": {}, "custom_params": {},
             "custom_form_data": {}, "series_limit": 0, "order_desc": True}
    return json.dumps({"datasource": datasource, "force": False, "queries": [query], "form_data": params,
                       "result_format": "json", "result_type": "full"}, sort_keys=True)


def chart(index: int, title: str, table: str, viz_type: str, form: dict) -> dict:
    params = {"viz_type": viz_type, "datasource": f"{index}__table", "time_range": "No filter",
              "time_grain_sqla": "P1D", "row_limit": 10000, **form}
    return {"slice_name": title, "description": None, "certified_by": None, "certification_details": None,
            "viz_type": viz_type, "params": params, "query_context": query_context(index, table, params),
            "cache_timeout": None, "uuid": stable_uuid("chart", title), "version": "1.0.0",
            "dataset_uuid": stable_uuid("dataset", table)}


def dashboard() -> dict:
    position = {"DASHBOARD_VERSION_KEY": "v2",
                "ROOT_ID": {"children": ["GRID_ID"], "id": "ROOT_ID", "type": "ROOT"},
                "HEADER_ID": {"id": "HEADER_ID", "meta": {"text": "feedstar"}, "type": "HEADER"},
                "GRID_ID": {"children": [], "id": "GRID_ID", "parents": ["ROOT_ID"], "type": "GRID"}}
    for row_number in range(0, len(CHARTS), 2):
        row_id = f"ROW-{row_number // 2}"
        position["GRID_ID"]["children"].append(row_id)
        position[row_id] = {"children": [], "id": row_id, "meta": {"background": "BACKGROUND_TRANSPARENT"},
                            "parents": ["ROOT_ID", "GRID_ID"], "type": "ROW"}
        for offset, (title, *_rest) in enumerate(CHARTS[row_number:row_number + 2]):
            chart_id = f"CHART-{row_number + offset}"
            position[row_id]["children"].append(chart_id)
            position[chart_id] = {"children": [], "id": chart_id, "parents": ["ROOT_ID", "GRID_ID", row_id],
                                  "type": "CHART", "meta": {"chartId": row_number + offset + 1, "height": 50,
                                                            "width": 6, "sliceName": title,
                                                            "uuid": stable_uuid("chart", title)}}
    return {"dashboard_title": "feedstar", "description": None, "css": "", "slug": "feedstar",
            "certified_by": None, "certification_details": None, "published": True,
            "uuid": stable_uuid("dashboard", "feedstar"), "position": position,
            "metadata": {"color_scheme": None, "refresh_frequency": 0, "expanded_slices": {},
                         "timed_refresh_immune_slices": [], "cross_filters_enabled": False,
                         "default_filters": "{}", "chart_configuration": {}, "native_filter_configuration": []},
            "version": "1.0.0"}


def files(uri: str) -> dict[str, dict]:
    """Relative path -> YAML document, for the whole bundle."""
    out = {"metadata.yaml": {"version": "1.0.0", "type": "Dashboard", "timestamp": TIMESTAMP},
           f"databases/{DATABASE_NAME}.yaml": database(uri),
           "dashboards/feedstar.yaml": dashboard()}
    for table in DATASETS:
        out[f"datasets/{DATABASE_NAME}/{table}.yaml"] = dataset(table, uri)
    tables = list(DATASETS)
    for index, (title, table, viz_type, form) in enumerate(CHARTS, start=1):
        name = title.split(" (")[0].replace(" ", "_").replace("/", "").replace("__", "_")
        out[f"charts/{name}_{index}.yaml"] = chart(tables.index(table) + 1, title, table, viz_type, form)
    return out


def write_yaml(bundle: str = BUNDLE) -> None:
    """The committed copy, with the default URI (no password in the repository)."""
    shutil.rmtree(bundle, ignore_errors=True)
    for relative, document in files(DEFAULT_URI).items():
        path = os.path.join(bundle, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(dump(document))


def write_zip(out: str, uri: str = DEFAULT_URI) -> None:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative, document in sorted(files(uri).items()):
            archive.writestr(f"feedstar/{relative}", dump(document))


def dump(document: dict) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write the importable zip here")
    parser.add_argument("--uri", default=DEFAULT_URI, help="SQLAlchemy URI of the ClickHouse holding the marts")
    parser.add_argument("--yaml", action="store_true", help="rewrite the committed YAML in superset/feedstar/")
    arguments = parser.parse_args()
    if not (arguments.out or arguments.yaml):
        parser.error("nothing to do: give --out FILE.zip and/or --yaml")
    if arguments.yaml:
        write_yaml()
        print(f"wrote {BUNDLE}/")
    if arguments.out:
        write_zip(arguments.out, arguments.uri)
        print(f"wrote {arguments.out} (database: {arguments.uri.split('@')[-1]})")
