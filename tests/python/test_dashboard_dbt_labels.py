"""The dashboard shows the labels and the window dbt builds, and follows them when they change.

dbt builds the small tables the dashboard reads them from (dim_slice_labels, dim_age_buckets,
dim_trailing_windows) on a real endpoint, from this project's macros and vars or from a copy
of the project with a changed macro and var; the marts around them are the hand-written ones
of dashboard_marts.py.  Expected labels and numbers are worked out by hand from those rows.
"""

import os
import shutil
import subprocess
import sys

import pytest
from starlette.testclient import TestClient
from dashboard_marts import D1, D2, create_marts
from dashboard_support import readonly_url
from dbt_profile import REPO_ROOT, dbt_profiles_dir

from feedstar.dashboard.app import create_app
from feedstar.dashboard.db import MartReader
from feedstar.dashboard.queries.labels import label_expression
from feedstar.dashboard.queries.options import load_options
from feedstar.chclient import connection

RANGE = f"date_from={D1}&date_to={D2}"
DIMS = ["dim_slice_labels", "dim_age_buckets", "dim_trailing_windows"]
# What dbt needs of the project (dbt_project.yml's paths; tests/ holds the generic tests).
PROJECT_PARTS = ["dbt_project.yml", ".dbtignore", "macros", "models", "seeds", "snapshots", "analyses", "tests"]


def dbt_build_dims(endpoint, project: str, database: str, work: str, dbt_vars: str = "{}") -> None:
    env = {**os.environ, "FEEDSTAR_CH_PORT": str(endpoint.port), "FEEDSTAR_CH_DATABASE": database,
           "DBT_PROFILES_DIR": dbt_profiles_dir(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "dbt"), "build", "--select", *DIMS, "--vars", dbt_vars,
         "--target-path", os.path.join(work, "target"), "--log-path", os.path.join(work, "logs")],
        cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]


def changed_project(directory) -> str:
    """A copy of the project whose unknown label is 'n/a' (macro marts_unknown_label)."""
    directory.mkdir()
    for part in PROJECT_PARTS:
        source = os.path.join(REPO_ROOT, part)
        if os.path.isdir(source):
            shutil.copytree(source, directory / part, ignore=shutil.ignore_patterns("python", "compiled"))
        else:
            shutil.copy(source, directory / part)
    helpers = directory / "macros" / "marts_helpers.sql"
    text = helpers.read_text()
    assert text.count("    'unknown'\n") == 1  # the macro's body: the one place the label is written
    helpers.write_text(text.replace("    'unknown'\n", "    'n/a'\n"))
    return str(directory)


@pytest.fixture(scope="module")
def admin(endpoint):
    return endpoint.client()


def dashboard(endpoint, database: str) -> TestClient:
    return TestClient(create_app(connection(readonly_url(endpoint, database), readonly=True)))


def rows(client, panel, query=RANGE):
    response = client.get(f"/api/panels/{panel}?{query}")
    assert response.status_code == 200, response.text
    body = response.json()
    return body["mart"], [dict(zip(body["columns"], row)) for row in body["rows"]]


def labels(endpoint, admin, database: str, attribute: str, raw_values: str) -> list[str]:
    """The dashboard's label for each raw value, with the labels it reads from `database`."""
    options = load_options(MartReader(connection(readonly_url(endpoint, database), readonly=True)))
    expression, parameters = label_expression(attribute, options.slice_labels)
    sql = f"select {expression} from (select arrayJoin({raw_values}) as {attribute})"
    return [row[0] for row in admin.query(sql, parameters=parameters).result_rows]


def test_the_dashboard_shows_the_labels_and_window_this_project_builds(endpoint, admin, tmp_path):
    create_marts(admin, "labelled")
    # an A/B day whose users have no exp_group (a NULL group in the mart)
    admin.command(f"insert into labelled.agg_experiment_daily values ('{D1}', NULL, 1, 10, 1, 0.1, 0.1)")
    dbt_build_dims(endpoint, REPO_ROOT, "labelled", str(tmp_path))
    # every raw value, known or not: codes 1 and 0 are male and female (models/sources.yml),
    # anything else and NULL unknown; an empty or NULL string is unknown, any other is itself
    assert labels(endpoint, admin, "labelled", "gender", "[toNullable(toUInt8(1)), 0, 2, 255, NULL]") == [
        "male", "female", "unknown", "unknown", "unknown"]
    assert labels(endpoint, admin, "labelled", "source", "[toNullable('ads'), '', NULL, 'unknown']") == [
        "ads", "unknown", "unknown", "unknown"]
    with dashboard(endpoint, "labelled") as client:
        options = client.get("/api/options").json()
        _, female = rows(client, "app_activity", RANGE + "&gender=female")
        _, unknown_source = rows(client, "app_activity", RANGE + "&source=unknown")
        _, groups = rows(client, "experiment_daily")
        two_days, _ = rows(client, "experiment_groups")
    # the fixture's genders 1, 0 and NULL; sources ads, organic and NULL
    assert options["values"]["gender"] == ["female", "male", "unknown"]
    assert options["values"]["source"] == ["ads", "organic", "unknown"]
    # female = rows 2 and 3 of 2025-03-02: 5 + 7 active users
    assert [(r["date"], r["total_users"]) for r in female] == [(str(D2), 12)]
    # the NULL-attribute row of 2025-03-02: no active user, 4 receive-only
    assert [(r["total_users"], r["receive_only_users"]) for r in unknown_source] == [(0, 4)]
    assert [(r["date"], r["exp_group"]) for r in groups] == [(str(D1), "unknown"), (str(D2), "1"), (str(D2), "2")]
    # an empty source and a NULL one are both unknown: one series, their sum (3 + 2 active, 1 + 0 new)
    admin.command("insert into labelled.agg_app_daily_activity (date, gender, source, total_users, "
                  f"new_users_lifetime_0) values ('{D2}', 1, '', 3, 1), ('{D2}', 1, NULL, 2, 0)")
    with dashboard(endpoint, "labelled") as client:
        _, sources = rows(client, "users_by_source", f"date_from={D2}&date_to={D2}")
    assert [(r["source"], r["total_users"], r["new_users"]) for r in sources] == [
        ("ads", 15, 4), ("organic", 7, 2), ("unknown", 5, 1)]
    # this project's window is 30 days: a 2-day range sums the daily rows
    assert admin.query("select window_days from labelled.dim_trailing_windows").result_rows == [(30,)]
    assert two_days == "agg_experiment_users_daily"


def test_a_changed_macro_and_window_change_what_the_dashboard_shows(endpoint, admin, tmp_path):
    project = changed_project(tmp_path / "project")
    create_marts(admin, "relabelled")
    # agg_experiment_users_30d as dbt would build it with a 2-day window: the sums of
    # agg_experiment_users_daily over 2025-03-01..02 (user 1: 10 + 10 views, 1 + 1 likes)
    admin.command("create table relabelled.agg_experiment_users_30d (end_date Date, exp_group UInt8, "
                  "user_id UInt32, views UInt32, likes UInt32) engine = MergeTree order by tuple()")
    admin.command(f"insert into relabelled.agg_experiment_users_30d values ('{D2}', 1, 1, 20, 2), "
                  f"('{D2}', 1, 2, 10, 3), ('{D2}', 2, 3, 10, 4), ('{D2}', 2, 4, 10, 5), ('{D2}', 2, 5, 10, 6)")
    dbt_build_dims(endpoint, project, "relabelled", str(tmp_path / "work"), "{experiment_window_days: 2}")
    with dashboard(endpoint, "relabelled") as client:
        options = client.get("/api/options").json()
        _, missing = rows(client, "app_activity", RANGE + "&city=n/a")
        stale = client.get(f"/api/panels/app_activity?{RANGE}&city=unknown")
        two_days, groups = rows(client, "experiment_groups")
        one_day, _ = rows(client, "experiment_groups", f"date_from={D2}&date_to={D2}")
    # the missing attributes are 'n/a' everywhere the dashboard labels raw values; 'unknown' is gone
    assert options["values"]["city"] == ["Helsinki", "Moscow", "n/a"]
    assert options["values"]["gender"] == ["female", "male", "n/a"]
    assert options["values"]["age_bucket"] == ["18-24", "25-34", "35-44", "n/a"]  # marts_age_bucket's NULL
    assert [(r["total_users"], r["receive_only_users"]) for r in missing] == [(0, 4)]
    assert stale.status_code == 400 and stale.json()["parameter"] == "city"
    # 2 days ending on the last loaded day is now the window: the panel reads the totals ...
    assert two_days == "agg_experiment_users_30d"
    # ... with the same sample as the daily rows: group 1's CTRs 2/20 and 3/10, group 2's 0.4..0.6
    assert [(g["exp_group"], g["users"], g["views"], g["likes"]) for g in groups] == [(1, 2, 30, 5), (2, 3, 30, 15)]
    assert groups[0]["user_ctr_mean"] == pytest.approx(0.2) and groups[1]["user_ctr_mean"] == pytest.approx(0.5)
    # and any other length sums the daily rows
    assert one_day == "agg_experiment_users_daily"

