"""The feedstar_intraday DAG: its shape, and which day and slot each run handles."""

import datetime as dt
import os

import pytest

from feedstar.orchestration import intraday_load

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


@pytest.mark.parametrize("interval_end, day", [
    (dt.datetime(2025, 4, 7, 14, 15, tzinfo=dt.timezone.utc), "2025-04-07"),
    (dt.datetime(2025, 4, 8, 0, 0, tzinfo=dt.timezone.utc), "2025-04-07"),  # 23:45 slot of the day before
    (dt.datetime(2025, 4, 8, 0, 15, tzinfo=dt.timezone.utc), "2025-04-08"),
])
def test_a_run_builds_the_day_of_the_slot_that_just_ended(interval_end, day):
    assert intraday_load.slot_day(interval_end).isoformat() == day


def test_dbt_command_builds_only_the_intraday_models_of_that_day():
    command = intraday_load.IntradayDbtCommand("dbt", "/p", "/profiles", "local", "/t-intraday")
    argv = command.argv(dt.date(2025, 4, 7))
    assert argv[:6] == ["dbt", "build", "--select", "tag:intraday", "--vars", '{"intraday_day": "2025-04-07"}']
    assert "--exclude-resource-type" in argv and argv[argv.index("--target-path") + 1] == "/t-intraday"


def test_dag_every_15_minutes_build_then_alerts():
    pytest.importorskip("airflow")
    import importlib.util

    spec = importlib.util.spec_from_file_location("feedstar_intraday_dag", os.path.join(REPO, "dags", "feedstar_intraday.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag = module.feedstar_intraday()
    assert dag.dag_id == "feedstar_intraday"
    assert dag.max_active_runs == 1 and dag.catchup is False
    assert dag.timetable.expression == "*/15 * * * *"
    assert [t.task_id for t in dag.tasks] == ["build_intraday", "check_alerts"]
    assert dag.get_task("check_alerts").upstream_task_ids == {"build_intraday"}
