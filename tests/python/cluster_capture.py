"""Every statement dbt sends for a target, recorded: what test_targets_sql.py snapshots and parses.

No cluster can run on these machines, so the `cluster` target is run against the embedded
endpoint with the statements *recorded as dbt-clickhouse sends them* and *executed in a
single-node form*: `emulate_single_node` strips what only a cluster understands (ON CLUSTER,
the Replicated* engines' ZooKeeper path and replica name, SYSTEM SYNC REPLICA, the cluster()
table function) and stands a Merge table in for each Distributed table (its INSERTs go to the
local table: one shard).  The recording is what a real cluster would receive; the emulation
only lets the run go on so that every later statement (incremental loads, hooks, swaps) is
produced by the real materializations against real tables.

Run in-process with dbtRunner so the client can be wrapped: `record_run(...)`.
"""

from __future__ import annotations

import os
import re
import threading

# `ON CLUSTER "name"` / on cluster "name" as dbt-clickhouse and macros/cluster.sql write it
ON_CLUSTER = re.compile(r'\s+on\s+cluster\s+"[^"]*"', re.I)
REPLICATED_ENGINE = re.compile(
    r"Replicated(\w*)MergeTree\(\s*'[^']*'\s*,\s*'[^']*'\s*(?:,\s*)?", re.I)
DISTRIBUTED_ENGINE = re.compile(
    r"ENGINE\s*=\s*Distributed\('[^']*',\s*'([^']*)',\s*'([^']*)'.*?\)\s*$", re.I | re.S)
CLUSTER_FUNCTION = re.compile(r'\b(?:cluster|clusterAllReplicas)\("[^"]*",\s*(system\.\w+)\)', re.I)
CREATE_DISTRIBUTED = re.compile(
    r"create\s+or\s+replace\s+table\s+(`[^`]*`\.`[^`]*`)", re.I)
INSERT_INTO = re.compile(r"^(\s*(?:/\*.*?\*/\s*)?insert\s+into\s+)(`[^`]*`\.`[^`]*`)", re.I | re.S)


class SingleNodeEmulation:
    """Rewrites a cluster target's statements so one embedded endpoint can execute them."""

    def __init__(self):
        self.local_of = {}  # Distributed table -> its local table (both `db`.`name`)

    def __call__(self, sql: str) -> str:
        text = ON_CLUSTER.sub("", sql)
        if re.match(r"\s*(?:/\*.*?\*/\s*)?SYSTEM\s+SYNC\s+REPLICA", text, re.I | re.S):
            return "SELECT 1"
        text = REPLICATED_ENGINE.sub(lambda m: f"{m.group(1)}MergeTree(", text)
        text = CLUSTER_FUNCTION.sub(r"\1", text)
        text = text.replace("count(distinct _shard_num)", "count(distinct 1)")  # one shard
        distributed = DISTRIBUTED_ENGINE.search(text)
        if distributed:
            database, local = distributed.groups()
            name = CREATE_DISTRIBUTED.search(text).group(1)
            self.local_of[name] = f"`{database}`.`{local}`"
            text = text[:distributed.start()] + f"ENGINE = Merge('{database}', '^{re.escape(local)}$')"
        insert = INSERT_INTO.match(text)
        if insert and insert.group(2) in self.local_of:
            text = insert.group(1) + self.local_of[insert.group(2)] + text[insert.end():]
        return text


def record_run(args: list[str], env: dict, emulate: bool) -> tuple[object, list[str]]:
    """dbtRunner().invoke(args) with every statement the ClickHouse client sends recorded
    (in order, each once); `emulate` executes the single-node form of each."""
    from dbt.adapters.clickhouse.httpclient import ChHttpClient
    from dbt.cli.main import dbtRunner

    recorded: list[str] = []
    lock = threading.Lock()
    rewrite = SingleNodeEmulation() if emulate else (lambda sql: sql)
    originals = {name: getattr(ChHttpClient, name) for name in ("query", "command", "columns_in_query")}

    def wrap(name):
        original = originals[name]

        def method(self, sql, *a, **kw):
            with lock:
                recorded.append(sql)
            return original(self, rewrite(sql), *a, **kw)
        return method

    saved_env = dict(os.environ)
    os.environ.update(env)
    for name in originals:
        setattr(ChHttpClient, name, wrap(name))
    try:
        result = dbtRunner().invoke(args)
    finally:
        for name, original in originals.items():
            setattr(ChHttpClient, name, original)
        os.environ.clear()
        os.environ.update(saved_env)
    return result, recorded


REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SNAPSHOTS = os.path.join(REPO, "tests", "compiled")
TARGETS = ("local", "prod", "cluster")
CLUSTER_NAME = "feedstar"
FIRST_DAY, SECOND_DAY = "2025-03-01", "2025-03-02"
# A first (full) build, then the daily load of the second day after every source row of the
# first day vanished: the window [first, second] renders every hook (drop_vanished_partitions
# drops the first day's partitions).
RUNS = (
    ("build", ["build", "--exclude-resource-type", "test", "unit_test"], {"intraday_day": SECOND_DAY}),
    ("daily", ["run"], {"start_date": SECOND_DAY, "lookback_days": 1, "intraday_day": SECOND_DAY}),
)
SOURCES = ("feed_actions", "message_actions")
# statements that change the warehouse: what the snapshots keep (introspection is left out)
CHANGING = re.compile(
    r"^\s*(create|insert|alter|delete|optimize|exchange|rename|drop|truncate|system)\b", re.I)
QUERY_COMMENT = re.compile(r"^\s*/\*\s*(\{.*?\})\s*\*/\s*", re.S)
INVOCATION = re.compile(r"__dbt_new_data_[0-9a-f]{8}(?:_[0-9a-f]{4}){3}_[0-9a-f]{12}")


def target_profile(directory: str, target: str) -> str:
    """profiles.yml.example with `target` selected, in `directory`; returns the directory."""
    import yaml

    with open(os.path.join(REPO, "profiles.yml.example")) as source:
        profiles = yaml.safe_load(source)
    profiles["feedstar"]["target"] = target
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "profiles.yml"), "w") as handle:
        yaml.safe_dump(profiles, handle)
    return directory


def target_env(endpoint, profiles_dir: str, password: str, source_database: str) -> dict:
    """The fake profile's environment: every target pointed at the test's embedded endpoint
    (plain HTTP: it has no TLS), with its password, the sources in `source_database`."""
    return {"DBT_PROFILES_DIR": profiles_dir, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "FEEDSTAR_CH_HOST": endpoint.host, "FEEDSTAR_CH_PORT": str(endpoint.port),
            "FEEDSTAR_CH_SECURE": "false", "FEEDSTAR_CH_PASSWORD": password,
            "FEEDSTAR_CH_CLUSTER": CLUSTER_NAME, "FEEDSTAR_CH_DATABASE": "analytics",
            "FEEDSTAR_SOURCE_DATABASE": source_database}


def keep_sources(client) -> None:
    """A pristine copy of the generated sources (product_pristine), restored by run_target."""
    client.command("CREATE DATABASE IF NOT EXISTS product_pristine")
    for table in SOURCES:
        client.command(f"CREATE TABLE product_pristine.{table} AS product.{table}")
        client.command(f"INSERT INTO product_pristine.{table} SELECT * FROM product.{table}")


def normalized(sql: str) -> str:
    """The statement as sent, without trailing spaces, blank lines and this run's invocation id."""
    lines = (line.rstrip() for line in INVOCATION.sub("__dbt_new_data_<invocation>", sql).splitlines())
    return "\n".join(line for line in lines if line)


def run_target(endpoint, work_dir: str, target: str, password: str = "", source_database: str = "product",
               project_dir: str = REPO, runs: tuple = RUNS) -> dict[str, dict[str, list[str]]]:
    """RUNS on `target`, the sources (keep_sources' copy) in `source_database`: {run name:
    {node id: [statement, ...]}}, the statements that change the warehouse, normalized, in
    the order dbt sent them for each node."""
    import json

    import yaml
    from dbt.adapters.clickhouse import dbclient

    client = endpoint.client(password=password)
    client.command("DROP DATABASE IF EXISTS analytics SYNC")
    client.command("CREATE DATABASE analytics")  # a cluster target would CREATE ... ON CLUSTER
    client.command(f"CREATE DATABASE IF NOT EXISTS {source_database}")
    for table in SOURCES:
        client.command(f"CREATE TABLE IF NOT EXISTS {source_database}.{table} AS product_pristine.{table}")
        client.command(f"TRUNCATE TABLE {source_database}.{table}")
        client.command(f"INSERT INTO {source_database}.{table} SELECT * FROM product_pristine.{table}")
    dbclient._ensured_databases.clear()
    env = target_env(endpoint, target_profile(os.path.join(work_dir, "profile"), target), password, source_database)
    recorded_runs = {}
    for name, command, variables in runs:
        if name == "daily":
            for table in SOURCES:
                client.command(f"ALTER TABLE {source_database}.{table} DELETE WHERE toDate(time) = '{FIRST_DAY}'",
                               settings={"mutations_sync": 2})
        args = [*command, "--project-dir", project_dir, "--target-path", os.path.join(work_dir, "target"),
                "--log-path", os.path.join(work_dir, "logs"),
                "--vars", yaml.safe_dump(variables, default_flow_style=True).strip()]
        result, recorded = record_run(args, env, emulate=(target == "cluster"))
        if not result.success:
            failed = [str(r.message) for r in (result.result or []) if r.status not in ("success", "pass")]
            raise AssertionError(f"dbt {' '.join(command)} on {target} failed: {result.exception}\n"
                                 + "\n".join(failed))
        per_node: dict[str, list[str]] = {}
        for sql in recorded:
            comment = QUERY_COMMENT.match(sql)
            node = (json.loads(comment.group(1)).get("node_id") if comment else None) or "-"
            sql = sql[comment.end():] if comment else sql
            # a node's statements; "-" is the connection's own set-up (dbt-clickhouse's EXCHANGE
            # probe, once per process), not a model's
            if node != "-" and CHANGING.match(sql):
                per_node.setdefault(node, []).append(normalized(sql))
        recorded_runs[name] = {node: per_node[node] for node in sorted(per_node)}
    return recorded_runs


def snapshot_files(runs: dict) -> dict[str, str]:
    """{relative path: text}: one file per run and node, its statements separated by `;`."""
    return {f"{run}/{node}.sql": "\n;\n".join(statements) + "\n;\n"
            for run, nodes in runs.items() for node, statements in nodes.items()}
