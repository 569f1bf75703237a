"""The Superset bundle in superset/: consistent, in step with its generator, and what Superset imports.

The import into a real Superset 6.1 is optional (it installs ~830 MB): see
test_superset_import.py, enabled with FEEDSTAR_SUPERSET_TEST=1.
"""

import importlib.util
import io
import json
import os
import zipfile

import yaml

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUNDLE_DIR = os.path.join(REPO_ROOT, "superset", "feedstar")


def load_make_bundle():
    spec = importlib.util.spec_from_file_location(
        "make_bundle", os.path.join(REPO_ROOT, "superset", "make_bundle.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def committed() -> dict:
    documents = {}
    for folder, _, names in os.walk(BUNDLE_DIR):
        for name in names:
            path = os.path.join(folder, name)
            with open(path) as handle:
                documents[os.path.relpath(path, BUNDLE_DIR)] = yaml.safe_load(handle)
    return documents


def test_committed_yaml_is_what_the_generator_writes():
    make_bundle = load_make_bundle()
    assert committed() == make_bundle.files(make_bundle.DEFAULT_URI)


def test_every_reference_resolves():
    documents = committed()
    assert documents["metadata.yaml"]["type"] == "Dashboard"
    by_kind = {kind: [doc for path, doc in documents.items() if path.startswith(kind + "/")]
               for kind in ("databases", "datasets", "charts", "dashboards")}
    (database,) = by_kind["databases"]
    assert database["sqlalchemy_uri"].startswith("clickhousedb://")
    assert ":@" in database["sqlalchemy_uri"]  # no password in the repository
    datasets = {doc["uuid"]: doc for doc in by_kind["datasets"]}
    assert all(doc["database_uuid"] == database["uuid"] for doc in datasets.values())
    charts = {doc["uuid"]: doc for doc in by_kind["charts"]}
    for chart in charts.values():
        dataset = datasets[chart["dataset_uuid"]]
        columns = {column["column_name"] for column in dataset["columns"]}
        form = chart["params"]
        used = {form["x_axis"], *([form["groupby"]] if isinstance(form["groupby"], str) else form["groupby"])}
        assert used <= columns, (chart["slice_name"], used - columns)
    (dashboard,) = by_kind["dashboards"]
    placed = {item["meta"]["uuid"] for item in dashboard["position"].values()
              if isinstance(item, dict) and item.get("type") == "CHART"}
    assert placed == set(charts)


def test_distinct_counts_are_never_summed():
    # a chart over agg_active_users reads the one row per (date, service) with max(); sum() would
    # add the days of a time grain or the slices of a breakdown.
    documents = committed()
    active_users = documents["datasets/feedstar/agg_active_users.yaml"]["uuid"]
    for path, document in documents.items():
        if path.startswith("charts/") and document["dataset_uuid"] == active_users:
            for metric in document["params"]["metrics"]:
                assert metric["sqlExpression"].startswith("max(")
            assert {"expressionType": "SQL", "clause": "WHERE", "sqlExpression": "breakdown = 'total'"} in \
                document["params"]["adhoc_filters"]


def test_the_zip_has_superset_layout_and_the_given_uri(tmp_path):
    make_bundle = load_make_bundle()
    out = tmp_path / "bundle.zip"
    make_bundle.write_zip(str(out), "clickhousedb://reader:pw@ch.example:8123/marts")
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        database = yaml.safe_load(io.BytesIO(archive.read("feedstar/databases/feedstar.yaml")))
        dataset = yaml.safe_load(io.BytesIO(archive.read("feedstar/datasets/feedstar/agg_lifecycle.yaml")))
    assert "feedstar/metadata.yaml" in names and all(name.startswith("feedstar/") for name in names)
    assert database["sqlalchemy_uri"] == "clickhousedb://reader:pw@ch.example:8123/marts"
    assert dataset["schema"] == "marts"


def test_every_chart_saves_the_query_it_draws():
    # Superset's chart-data API (and CSV export, alerts) answers from the saved query only
    for path, document in committed().items():
        if not path.startswith("charts/"):
            continue
        context = json.loads(document["query_context"])
        form = document["params"]
        assert context["form_data"] == form
        [query] = context["queries"]
        columns = [column if isinstance(column, str) else column["sqlExpression"] for column in query["columns"]]
        groupby = form["groupby"] if isinstance(form["groupby"], list) else [form["groupby"]]
        assert columns == [form["x_axis"], *groupby], path
        assert query["metrics"] == (form.get("metrics") or [form["metric"]])
        filters = [item["sqlExpression"] for item in form["adhoc_filters"]]
        assert query["extras"]["where"] == " AND ".join(f"({sql})" for sql in filters)
