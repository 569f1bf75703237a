"""dbt-clickhouse against the endpoint: `dbt debug`, then a tiny `dbt build` run twice."""

import csv
import os
import shutil
from collections import defaultdict

import pytest

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "tiny_dbt")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the fixture project, so that dbt's target/ and logs/ stay out of the repository."""
    path = tmp_path_factory.mktemp("tiny_dbt") / "project"
    shutil.copytree(FIXTURE, path)
    return str(path)


def dbt(project, endpoint, *args):
    """Run dbt in-process (dbtRunner: dbt's programmatic entry point), saving its start-up per call."""
    from dbt.adapters.clickhouse import dbclient
    from dbt.cli.main import dbtRunner

    # dbt-clickhouse remembers, per process, which databases it already created; each test
    # module has its own fresh endpoint, so an in-process run must not trust that memory.
    dbclient._ensured_databases.clear()

    previous = os.environ.get("FEEDSTAR_CH_PORT")
    os.environ["FEEDSTAR_CH_PORT"] = str(endpoint.port)
    try:
        result = dbtRunner().invoke([*args, "--project-dir", project, "--profiles-dir", project, "--no-use-colors"])
    finally:
        if previous is None:
            os.environ.pop("FEEDSTAR_CH_PORT")
        else:
            os.environ["FEEDSTAR_CH_PORT"] = previous
    assert result.success, result.exception or result.result
    return result


def seed_rows():
    with open(os.path.join(FIXTURE, "seeds", "tiny_events.csv")) as handle:
        return [(row["day"], int(row["user_id"]), int(row["clicks"])) for row in csv.DictReader(handle)]


def expected_tables():
    """The oracle: every model recomputed in plain Python from the seed file."""
    per_user_day = defaultdict(int)
    per_day = defaultdict(lambda: [0, set()])
    for day, user, clicks in seed_rows():
        per_user_day[(day, user)] += clicks
        per_day[day][0] += clicks
        per_day[day][1].add(user)
    return {
        "user_days": sorted((day, user, clicks) for (day, user), clicks in per_user_day.items()),
        "daily_clicks": sorted((day, clicks, len(users)) for day, (clicks, users) in per_day.items()),
        "busy_days": sorted((day, clicks) for day, (clicks, _) in per_day.items() if clicks > 4),
    }


def actual_tables(client):
    def rows(sql):
        return [tuple(str(v) if i == 0 else v for i, v in enumerate(row)) for row in client.query(sql).result_rows]
    return {
        "user_days": rows("SELECT day, user_id, clicks FROM tiny.user_days ORDER BY day, user_id"),
        "daily_clicks": rows("SELECT day, clicks, users FROM tiny.daily_clicks ORDER BY day"),
        "busy_days": rows("SELECT day, clicks FROM tiny.busy_days ORDER BY day"),
    }


def checksum(client):
    return client.query("SELECT count(), groupBitXor(cityHash64(day, user_id, clicks)) FROM tiny.user_days").result_rows


def test_dbt_debug_connects(endpoint, project):
    assert dbt(project, endpoint, "debug").result is True  # every check passed, the connection test too


def test_dbt_build_twice_gives_the_same_tables(endpoint, project):
    client = endpoint.client()
    results = dbt(project, endpoint, "build").result
    assert sorted(str(r.status) for r in results) == ["pass"] * 3 + ["success"] * 4  # 3 tests; seed + 3 models
    assert actual_tables(client) == expected_tables()
    first = checksum(client)
    kinds = dict(client.query("SELECT name, engine FROM system.tables WHERE database = 'tiny'").result_rows)
    assert (kinds["busy_days"], kinds["daily_clicks"], kinds["user_days"]) == ("View", "MergeTree", "MergeTree")
    # Re-running rebuilds the incremental model's partitions in place: same rows, nothing doubled.
    dbt(project, endpoint, "build")
    assert checksum(client) == first
    assert actual_tables(client) == expected_tables()
    partitions = client.query("SELECT uniqExact(partition) FROM system.parts "
                              "WHERE database = 'tiny' AND table = 'user_days' AND active").result_rows
    assert partitions == [(3,)]  # one partition per day of the seed
