"""Every target's SQL, as dbt-clickhouse sends it, snapshotted and parsed by ClickHouse's parser.

One endpoint with a password, two generated days; for each target of profiles.yml.example (`local`, `prod`,
`cluster`) the whole project is built, then the second day loaded after the first day's source
rows vanished, so every model, materialization step and post-hook renders its statements
(`dbt compile` alone would not render the DDL or the hooks).
`cluster` is run against the endpoint as cluster_capture.py explains (recorded as sent,
executed in a one-node form).  The statements that change the warehouse are compared with
tests/compiled/<target>/<run>/<node>.sql (local, whose statements prod must equal, and cluster) (FEEDSTAR_UPDATE_SNAPSHOTS=1 rewrites them: review
the diff), every one is parsed by the engine's parser (formatQuerySingleLine with the text as a
bound parameter), and the cluster layout of docs/production.md is asserted on the parsed forms.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from cluster_capture import (CLUSTER_NAME, FIRST_DAY, REPO, RUNS, SNAPSHOTS, TARGETS, keep_sources,
                             run_target, snapshot_files)
from endpoint import start_endpoint

FEEDSTAR = os.path.join(os.path.dirname(sys.executable), "feedstar")
# docs/production.md: the sharded tables and their keys; every other table is whole on every node
SHARDING = {
    "fact_daily_feed": "cityHash64(user_id)",
    "fact_daily_messenger": "cityHash64(user_id)",
    "fact_user_connections": "cityHash64(sender_id)",
    "fact_daily_posts": "cityHash64(post_id)",
    "int_user_daily_attributes": "cityHash64(user_id)",
    "int_user_monthly_attributes": "cityHash64(user_id)",
    "int_user_closed_history": "cityHash64(user_id)",
    "int_user_daily_activity": "cityHash64(user_id)",
}
# tables whose rows vanish with the first day in the daily run: their hook drops its partition
DROPPED_BY_HOOK = ["fact_daily_feed", "fact_daily_messenger", "fact_user_connections", "fact_daily_posts",
                   "int_user_daily_attributes"]


PASSWORD = "targets-sql-secret"
# the cluster's sources are in another database than the default `product`: FEEDSTAR_SOURCE_DATABASE
SOURCE_DATABASE = {"local": "product", "prod": "product", "cluster": "events"}


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    server = start_endpoint(str(tmp_path_factory.mktemp("endpoint") / "data"), env={"FEEDSTAR_PASSWORD": PASSWORD})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def statements(endpoint, tmp_path_factory):
    subprocess.run([FEEDSTAR, "generate", "--start", FIRST_DAY, "--days", "2", "--scale", "0.001",
                    "--seed", "5", "--url", endpoint.url, "--no-progress"],
                   check=True, capture_output=True, timeout=300, env={**os.environ, "FEEDSTAR_CH_PASSWORD": PASSWORD})
    keep_sources(endpoint.client(password=PASSWORD))
    work = tmp_path_factory.mktemp("targets_sql")
    # prod: the first build only (its statements are local's; the daily run would add CI time)
    return {target: run_target(endpoint, str(work / target), target, PASSWORD, SOURCE_DATABASE[target],
                               runs=RUNS[:1] if target == "prod" else RUNS)
            for target in TARGETS}


def canonical(client, sql: str) -> str:
    """The statement as ClickHouse's parser reads it (one line); raises if it does not parse.
    A seed's INSERT ... FORMAT CSV is parsed up to its data."""
    head = re.split(r"(?i)(?<=\bformat CSV)\s", sql, maxsplit=1)[0]
    return client.query("SELECT formatQuerySingleLine({q:String})", parameters={"q": head}).result_rows[0][0]


@pytest.fixture(scope="module")
def parsed(endpoint, statements):
    """{target: [(run, node, canonical statement)]} -- every recorded statement parsed."""
    client = endpoint.client(password=PASSWORD)
    return {target: [(run, node, canonical(client, sql))
                     for run, nodes in runs.items() for node, sqls in nodes.items() for sql in sqls]
            for target, runs in statements.items()}


# prod's statements are local's (test_local_and_prod_send_the_same_sql): one snapshot for both
@pytest.mark.parametrize("target", ["local", "cluster"])
def test_snapshots_unchanged(statements, target):
    files = snapshot_files(statements[target])
    directory = os.path.join(SNAPSHOTS, target)
    if os.environ.get("FEEDSTAR_UPDATE_SNAPSHOTS") == "1":
        for path, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(directory, path)), exist_ok=True)
            with open(os.path.join(directory, path), "w") as handle:
                handle.write(text)
    kept = {os.path.relpath(os.path.join(root, name), directory)
            for root, _, names in os.walk(directory) for name in names}
    assert sorted(kept) == sorted(files), f"snapshot files of {target} differ (FEEDSTAR_UPDATE_SNAPSHOTS=1)"
    for path, text in files.items():
        with open(os.path.join(directory, path)) as handle:
            assert handle.read() == text, f"{target}/{path} changed (FEEDSTAR_UPDATE_SNAPSHOTS=1, review the diff)"


def test_local_and_prod_send_the_same_sql(statements):
    # prod differs from local in its connection only (TLS, verify, port, credentials)
    assert statements["prod"] == {"build": statements["local"]["build"]}


@pytest.mark.parametrize("target", ["local", "prod"])
def test_single_node_targets_have_no_cluster_sql(parsed, target):
    for run, node, sql in parsed[target]:
        assert " ON CLUSTER " not in sql, (run, node, sql[:300])
        assert not re.search(r"ENGINE = (Replicated|Distributed)", sql), (run, node, sql[:300])


def _statements(parsed, kind):
    return [(run, node, sql) for run, node, sql in parsed["cluster"] if re.match(kind, sql)]


def test_cluster_every_ddl_runs_on_cluster(parsed):
    ddl = _statements(parsed, r"(CREATE|DROP|RENAME|EXCHANGE|OPTIMIZE|DELETE|SYSTEM) ")
    assert len(ddl) > 100
    for run, node, sql in ddl:
        assert f" ON CLUSTER {CLUSTER_NAME}" in sql, (run, node, sql[:300])


def test_cluster_every_table_is_replicated_or_distributed(parsed):
    creates = _statements(parsed, r"CREATE (OR REPLACE )?TABLE ")
    engines = [re.search(r" ENGINE = (\w+)\(", sql) for _, _, sql in creates]
    assert creates and all(engines), [sql[:300] for (_, _, sql), e in zip(creates, engines) if not e]
    for (run, node, sql), engine in zip(creates, engines):
        assert engine.group(1) == "Distributed" or re.fullmatch(r"Replicated\w*MergeTree", engine.group(1)), sql[:300]
        path = re.search(r"MergeTree\('/clickhouse/tables/\{uuid\}/(\{shard\}|all)', '\{replica\}'", sql)
        if engine.group(1) != "Distributed":
            assert path, (run, node, sql[:300])
            local = re.match(r"CREATE TABLE analytics\.`?(\w+?)(_local|__dbt_new_data_<invocation>)?`? ", sql)
            sharded = local.group(1) in SHARDING and local.group(2) is not None
            assert path.group(1) == ("{shard}" if sharded else "all"), (run, node, sql[:300])


def test_cluster_sharding_keys(parsed):
    distributed = {}
    for run, node, sql in _statements(parsed, r"CREATE OR REPLACE TABLE "):
        match = re.search(r"ENGINE = Distributed\('(\w+)', 'analytics', '(\w+?)(_local|__dbt_new_data_<invocation>)', (.+)\)$",
                          sql)
        assert match and match.group(1) == CLUSTER_NAME, sql[:300]
        distributed.setdefault(match.group(2), set()).add(match.group(4))
    assert distributed == {table: {key} for table, key in SHARDING.items()}


def test_cluster_maintenance_names_the_local_tables(parsed):
    maintenance = _statements(parsed, r"(ALTER TABLE|OPTIMIZE TABLE|DELETE FROM) ")
    for run, node, sql in maintenance:
        table = re.match(r"(?:ALTER TABLE|OPTIMIZE TABLE|DELETE FROM) analytics\.(\w+)", sql).group(1)
        # a Distributed table is never altered: its local tables are, on every shard
        assert table not in SHARDING, (run, node, sql[:300])
        if table.endswith("_local") or not table.startswith(tuple(SHARDING)):
            continue
        raise AssertionError((run, node, sql[:300]))
    on_cluster = [sql for _, _, sql in maintenance if f" ON CLUSTER {CLUSTER_NAME} " in sql]
    for table in DROPPED_BY_HOOK:
        day = FIRST_DAY.replace("-", "")
        assert f"ALTER TABLE analytics.{table}_local ON CLUSTER {CLUSTER_NAME} (DROP PARTITION ID '{day}')" in on_cluster
    # dim_users, a whole table rebuilt on every run, is swapped in on every node and needs no
    # maintenance of its own
    assert not [sql for _, _, sql in maintenance if re.match(r"\w+ (TABLE|FROM) analytics\.dim_users\b", sql)]
    swaps = [sql for run, _, sql in _statements(parsed, "EXCHANGE ") if run == "daily"]
    assert f"EXCHANGE TABLES analytics.dim_users__dbt_backup AND analytics.dim_users ON CLUSTER {CLUSTER_NAME}" in swaps


def test_sources_come_from_the_source_database(parsed):
    # FEEDSTAR_SOURCE_DATABASE moves every read of the sources; nothing names the default
    for target in TARGETS:
        database = SOURCE_DATABASE[target]
        reads = [sql for _, _, sql in parsed[target] if f"{database}.feed_actions" in sql]
        assert reads, target
    assert not [sql for _, _, sql in parsed["cluster"] if re.search(r"\bproduct\.", sql)]


def test_every_variable_the_profiles_read_is_a_declared_setting():
    # profiles.yml.example reads FEEDSTAR_CH_* / FEEDSTAR_TARGET: each is declared in settings.py
    # (so README's table documents it), the cluster keys with the same defaults
    from feedstar import settings

    with open(os.path.join(REPO, "profiles.yml.example")) as handle:
        profile = handle.read()
    read = set(re.findall(r"env_var\('(\w+)'", profile))
    declared = {setting.env_var: setting.default for setting in settings.SETTINGS.values()}
    assert read and read <= set(declared), read - set(declared)
    for name in ("FEEDSTAR_CH_VERIFY", "FEEDSTAR_CH_CLUSTER", "FEEDSTAR_CH_DATABASE_ENGINE"):
        assert f"env_var('{name}', '{declared[name]}')" in profile, name
