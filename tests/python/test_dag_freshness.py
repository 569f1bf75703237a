"""The daily DAG's freshness step (orchestration/freshness.py) with the real `dbt source freshness`.

Generated sources in a non-default database: ending yesterday they pass; ending in 2025
they are stale and the refusal names each table, its newest event and the limit; a
backfill day is not checked at all (freshness compares with now).
"""

import datetime as dt
import logging
import os
import re
import subprocess
import sys

import pytest
from dbt_profile import REPO_ROOT, dbt_profiles_dir

from feedstar.orchestration.dbt_build import DbtCommand
from feedstar.orchestration.freshness import (FreshnessCheckFailed, SourceStale, is_backfill,
                                              judge, run_freshness)

pytestmark = pytest.mark.slow
log = logging.getLogger("test_dag_freshness")
DBT = os.path.join(os.path.dirname(sys.executable), "dbt")
TODAY = dt.datetime.now(dt.timezone.utc).date()


def env_for(endpoint, database):
    return {"FEEDSTAR_CH_PORT": str(endpoint.port), "FEEDSTAR_SOURCE_DATABASE": database,
            "DBT_PROFILES_DIR": dbt_profiles_dir()}


def generate(endpoint, database, start, days):
    subprocess.run([sys.executable, "-m", "feedstar.cli", "generate", "--start", start.isoformat(), "--days", str(days),
                    "--scale", "0.001", "--no-progress", "--url", endpoint.url],
                   check=True, capture_output=True, text=True, timeout=300,
                   env={**os.environ, "FEEDSTAR_SOURCE_DATABASE": database})


def freshness(endpoint, database, tmp_path):
    target_path = str(tmp_path / database)
    command = DbtCommand(DBT, REPO_ROOT, dbt_profiles_dir(), "local", target_path, env=env_for(endpoint, database))
    results = run_freshness(command, log)
    return judge(results, database, log)


@pytest.fixture(scope="module")
def sources(endpoint):
    generate(endpoint, "app_recent", TODAY - dt.timedelta(days=2), 2)  # ends yesterday
    generate(endpoint, "app_old", dt.date(2025, 3, 1), 2)  # ends 2025-03-02
    return endpoint


def test_sources_ending_yesterday_pass(sources, tmp_path):
    assert freshness(sources, "app_recent", tmp_path) == {"app_recent.feed_actions": "pass",
                                                          "app_recent.message_actions": "pass"}


def test_stale_sources_are_refused_naming_each_table_and_its_age(sources, tmp_path):
    with pytest.raises(SourceStale) as refused:
        freshness(sources, "app_old", tmp_path)
    message = str(refused.value)
    assert message.startswith("stale source data, nothing was loaded: app_old.feed_actions is stale: "
                              "its newest event is from 2025-03-02 ")
    assert "app_old.message_actions is stale" in message
    hours = (dt.datetime.now(dt.timezone.utc) - dt.datetime(2025, 3, 3, tzinfo=dt.timezone.utc)).total_seconds() / 3600
    # the age dbt measured: from the newest event (on 2025-03-02) to now, within a day
    reported = float(re.search(r"feed_actions is stale: [^,]*, ([0-9.]+) hours before the check", message).group(1))
    assert hours <= reported <= hours + 24
    assert "(error after 72 hours)" in message


def test_a_missing_source_is_a_check_failure_worth_a_retry(sources, tmp_path):
    # (dbt writes no sources.json when a source's query fails: the dbt output says which)
    with pytest.raises(FreshnessCheckFailed, match=r"dbt source freshness (wrote no results|could not check)"):
        freshness(sources, "app_missing", tmp_path)


def test_only_a_run_loading_yesterday_is_checked():
    assert not is_backfill(TODAY - dt.timedelta(days=1), TODAY)
    assert is_backfill(TODAY - dt.timedelta(days=2), TODAY)
    assert is_backfill(dt.date(2025, 3, 1), TODAY)
