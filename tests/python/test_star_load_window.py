"""macros/load_window.sql through real dbt: the window it renders, and a clear compiler error
(naming the var and the value) for every bad value, before any SQL reaches ClickHouse.

A tiny dbt project that links the repo's macros keeps each dbt start cheap.
"""

from __future__ import annotations

import os

import pytest

from star_support import REPO, run_dbt

PROBE = "select {{ load_window_start() }} as s, {{ load_window_end() }} as e"


@pytest.fixture(scope="module")
def macro_project(tmp_path_factory):
    project = tmp_path_factory.mktemp("load_window_project")
    os.symlink(os.path.join(REPO, "macros"), project / "macros")
    (project / "dbt_project.yml").write_text(
        "name: load_window_probe\nversion: '1.0.0'\nconfig-version: 2\nprofile: feedstar\n"
        "macro-paths: ['macros']\nflags:\n  send_anonymous_usage_stats: false\n"
    )
    return str(project)


def compile_probe(project, vars, endpoint=None):
    return run_dbt(endpoint, os.path.join(project, "run"), "compile", "-q", "--inline", PROBE,
                   vars=vars, check=False, project_dir=project)


def test_window_applies_lookback_to_the_start_and_accepts_a_string_or_a_yaml_date(macro_project, endpoint):
    import datetime as dt

    # start 2025-03-09 (a YAML date), end "2025-03-12" (a string), lookback 2:
    # the partitions to rebuild are [03-09 - 2 days, 03-12] = [03-07, 03-12]
    result = compile_probe(macro_project, {"start_date": dt.date(2025, 3, 9), "end_date": "2025-03-12",
                                           "lookback_days": 2}, endpoint)
    assert result.returncode == 0, result.stdout
    assert "select toDate('2025-03-07') as s, toDate('2025-03-12') as e" in result.stdout


@pytest.mark.parametrize("vars, message", [
    # a string that looks like a date but is no day of the calendar
    ({"start_date": "2025-02-30"}, "var start_date = 2025-02-30 is not a calendar date"),
    ({"start_date": "2025-03-10", "end_date": "2025-03-09"},
     "var start_date = 2025-03-10 is after end_date = 2025-03-09"),
    ({"start_date": "2025-03-09", "lookback_days": -1},
     "var lookback_days = -1 is not a non-negative whole number"),
    # an injection attempt never reaches SQL
    ({"start_date": "2025-03-09') or 1=1 --"}, "var start_date = 2025-03-09') or 1=1 -- is not a date"),
])
def test_bad_vars_are_compiler_errors_naming_var_and_value(macro_project, vars, message):
    result = compile_probe(macro_project, vars)  # no endpoint: it fails before connecting
    assert result.returncode != 0
    assert message in result.stdout + result.stderr
    assert "toDate(" not in result.stdout


@pytest.mark.parametrize("value, ok", [(7, True), ("30", True), (0, False), (-2, False), ("2w", False), (True, False)])
def test_the_experiment_window_is_a_positive_whole_number(macro_project, endpoint, value, ok):
    result = run_dbt(endpoint, os.path.join(macro_project, "run"), "compile", "-q", "--inline",
                     "select {{ marts_experiment_window_days() }} as days",
                     vars={"experiment_window_days": value}, check=False, project_dir=macro_project)
    if ok:
        assert result.returncode == 0 and f"select {int(value)} as days" in result.stdout, result.stdout
    else:
        assert result.returncode != 0
        assert f"var experiment_window_days = {value} is not a positive whole number" in result.stdout + result.stderr


WINDOW_VARS = {"start_date", "end_date", "lookback_days"}


def test_every_unit_test_sets_every_window_var():
    """A unit test that leaves a window var unset takes it from the run's --vars: a backfill
    ending before the test's own start_date then fails the test (start_date > end_date) and
    skips everything downstream of its model."""
    import glob

    import yaml

    unit_tests = []
    for path in glob.glob(os.path.join(REPO, "models", "**", "*.yml"), recursive=True):
        with open(path) as handle:
            unit_tests += (yaml.safe_load(handle) or {}).get("unit_tests", [])
    assert len(unit_tests) >= 10
    missing = {test["name"]: sorted(WINDOW_VARS - set((test.get("overrides") or {}).get("vars") or {}))
               for test in unit_tests}
    assert {name: left_out for name, left_out in missing.items() if left_out} == {}
