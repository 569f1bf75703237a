"""`feedstar generate` on a cluster (generate/layout.py): every statement it would send,
parsed by ClickHouse's parser, and the layout of docs/production.md asserted on it.

The same generator session -- a full run, a narrower full run (it drops a day), a late
share, --append-day, then --until with an incident -- runs twice on one endpoint: with the
cluster layout through generator_capture.RecordingClient (recorded as sent, executed in a
one-node form) in the source database `app_raw`, and plainly in `app_plain`.  The parsed
statements must show the cluster layout, and the one-node form must leave exactly the
tables the plain run leaves (so the recorded SQL is the generator's real work, not a
different program).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from generator_capture import RecordingClient, canonical

from feedstar.generate import intraday, run
from feedstar.generate.layout import SHARDED, Layout
from feedstar.generate.options import make_plan

CLUSTER = "feedstar"
SOURCE_DATABASE, PLAIN_DATABASE = "app_raw", "app_plain"
TABLES = ("feed_actions", "message_actions", "_users", "_generate_meta")
WHOLE = ("_users", "_users_stage", "_generate_meta", "_generate_meta_stage")


def session(client, layout: Layout) -> None:
    plan = {"scale": 0.002, "seed": 3}
    run.generate(client, make_plan(start="2025-03-01", days=4, **plan), progress=False, layout=layout)
    # a narrower window: 2025-03-01 is dropped; the last day holds 10% of its events back
    run.generate(client, make_plan(start="2025-03-02", days=3, late_share=0.1, **plan), progress=False, layout=layout)
    run.append_day(client, progress=False, layout=layout)
    intraday.generate(client, plan_given=False, until="2025-03-06T12:00", progress=False, layout=layout,
                      incident_specs=["2025-03-06T08:00/2h:feed_views=0.3"])


@pytest.fixture(scope="module")
def runs(endpoint):
    recording = RecordingClient(endpoint.client())
    session(recording, Layout(SOURCE_DATABASE, CLUSTER))
    session(endpoint.client(), Layout(PLAIN_DATABASE))
    return recording


@pytest.fixture(scope="module")
def parsed(endpoint, runs):
    client = endpoint.client()
    return [canonical(client, sql) for sql in runs.sent]


def _kind(parsed, pattern):
    return [sql for sql in parsed if re.match(pattern, sql)]


def _table(name: str) -> str:
    return f"{SOURCE_DATABASE}.{name}"


def test_every_create_is_on_cluster_with_a_replicated_or_distributed_engine(parsed):
    assert set(_kind(parsed, "CREATE DATABASE ")) == {f"CREATE DATABASE IF NOT EXISTS {SOURCE_DATABASE} ON CLUSTER {CLUSTER}"}
    creates = _kind(parsed, "CREATE TABLE ")
    assert creates
    created = set()
    for sql in creates:
        name = re.match(r"CREATE TABLE (?:IF NOT EXISTS )?([\w.]+) ON CLUSTER " + CLUSTER + " ", sql)
        assert name, sql
        engine = re.search(r"ENGINE = (\w+)\((.*?)\)(?: |$)", sql)
        table = name.group(1).split(".")[1]
        created.add(table)
        if engine.group(1) == "Distributed":
            # the Distributed table over its shards' local tables, by user
            assert table in SHARDED, sql
            assert engine.group(2) == f"'{CLUSTER}', '{SOURCE_DATABASE}', '{table}_local', cityHash64(user_id)", sql
        else:
            assert engine.group(1) == "ReplicatedMergeTree", sql
            group = "{shard}" if table.endswith("_local") else "all"
            assert engine.group(2) == f"'/clickhouse/tables/{{uuid}}/{group}', '{{replica}}'", sql
            assert (table.removesuffix("_local") in SHARDED) == table.endswith("_local"), sql
    # every sharded table (the cuts included) has its local and its Distributed table
    assert created == {*SHARDED, *(f"{name}_local" for name in SHARDED), *WHOLE}


def test_inserts_go_through_the_distributed_tables(parsed):
    targets = {re.match(r"INSERT INTO ([\w.]+)", sql).group(1) for sql in _kind(parsed, "INSERT ")}
    assert targets == {_table(name) for name in ("_users_stage", "_feed_actions_stage", "_message_actions_stage",
                                                  "_feed_actions_cut", "_message_actions_cut", "_generate_meta_stage")}


def test_every_change_to_rows_runs_on_cluster_on_the_local_tables(parsed):
    changes = _kind(parsed, r"(ALTER|TRUNCATE|DROP|EXCHANGE|SYSTEM) ")
    kinds = {sql.split(" ")[0] for sql in changes}
    assert kinds == {"ALTER", "TRUNCATE", "DROP", "EXCHANGE", "SYSTEM"}
    for sql in changes:
        assert f" ON CLUSTER {CLUSTER}" in sql, sql
        head = re.match(r"(?:ALTER TABLE|TRUNCATE TABLE|SYSTEM SYNC REPLICA ON CLUSTER \w+) ([\w.]+)", sql)
        if head:
            table = head.group(1).split(".")[1]
            assert table.endswith("_local") or table in WHOLE, sql
    # REPLACE / DROP PARTITION name local tables on both sides: each shard moves its own rows
    partition_moves = [sql for sql in changes if "PARTITION" in sql]
    assert any("DROP PARTITION ID '20250301'" in sql for sql in partition_moves)
    for sql in partition_moves:
        names = re.findall(rf"\b{SOURCE_DATABASE}\.(\w+)", sql)
        assert all(name.endswith("_local") for name in names), sql


def test_rows_move_on_only_once_every_replica_has_them(parsed):
    moves = 0
    for index, sql in enumerate(parsed):
        # a REPLACE PARTITION reads its source's parts; an EXCHANGE makes its stage the live table
        source = re.search(r"REPLACE PARTITION ID '\d+' FROM ([\w.]+)|EXCHANGE TABLES ([\w.]+) AND", sql)
        if source:
            moves += 1
            table = source.group(1) or source.group(2)
            assert parsed[index - 1] == f"SYSTEM SYNC REPLICA ON CLUSTER {CLUSTER} {table}", sql
    assert moves > 0


def test_the_session_waits_for_distributed_inserts_and_replicas(runs):
    assert runs.session_settings == {"insert_distributed_sync": 1, "alter_sync": 2, "mutations_sync": 2}


def test_only_the_source_database_is_named(parsed):
    assert not [sql for sql in parsed if re.search(r"\bproduct\.", sql)]
    tables = {*SHARDED, *(f"{name}_local" for name in SHARDED), *WHOLE}
    named = {database for sql in parsed for database, table in re.findall(r"\b(\w+)\.(\w+)", sql) if table in tables}
    assert named == {SOURCE_DATABASE}


@pytest.mark.parametrize("table", TABLES)
def test_the_one_node_form_leaves_the_tables_a_plain_run_leaves(endpoint, runs, table):
    client = endpoint.client()

    def fingerprint(database):
        return client.query(f"select count(), groupBitXor(cityHash64(*)) from {database}.{table}").result_rows[0]

    cluster, plain = fingerprint(SOURCE_DATABASE), fingerprint(PLAIN_DATABASE)
    assert cluster == plain and cluster[0] > 0


def test_without_a_cluster_nothing_names_one(endpoint):
    recording = RecordingClient(endpoint.client())
    run.generate(recording, make_plan(start="2025-03-01", days=1, scale=0.001, seed=1), progress=False,
                 layout=Layout("app_single"))
    assert not [sql for sql in recording.sent if re.search(r"(?i)on cluster|replicated|distributed|_local\b", sql)]
    assert recording.session_settings == {}
    assert not [sql for sql in recording.sent if re.search(r"\bproduct\.", sql)]


def test_settings_pick_the_layout(monkeypatch):
    monkeypatch.setenv("FEEDSTAR_SOURCE_DATABASE", "app_raw")
    monkeypatch.setenv("FEEDSTAR_CH_CLUSTER", "east")
    monkeypatch.setenv("FEEDSTAR_TARGET", "prod")
    assert Layout.from_settings() == Layout("app_raw", None)  # a cluster name alone is dbt's cluster target's
    monkeypatch.setenv("FEEDSTAR_TARGET", "cluster")
    assert Layout.from_settings() == Layout("app_raw", "east")
    monkeypatch.setenv("FEEDSTAR_SOURCE_DATABASE", "app; drop")
    with pytest.raises(ValueError, match="FEEDSTAR_SOURCE_DATABASE='app; drop' is not a plain database name"):
        Layout.from_settings()


def test_the_dag_s_arrival_check_counts_the_day_through_the_distributed_tables(endpoint, runs):
    from feedstar.orchestration.arrival import check_arrival

    day = dt.date(2025, 3, 5)
    recording = RecordingClient(endpoint.client())
    arrival = check_arrival(recording, SOURCE_DATABASE, day)
    plain = endpoint.client()
    expected = {table: plain.query(f"select count() from {PLAIN_DATABASE}.{table} where toDate(time) = {{d:Date}}",
                                   parameters={"d": day}).result_rows[0][0] for table in ("feed_actions", "message_actions")}
    assert arrival.events == expected and min(expected.values()) > 0
    # it names the tables every shard answers through, never a node's _local table
    counted = [sql for sql in recording.sent if "count()" in sql]
    assert counted and all(f"`{SOURCE_DATABASE}`.`" in sql and "_local" not in sql for sql in counted)
