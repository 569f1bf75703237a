"""Where the generator's tables live, and what a cluster changes in the SQL it sends.

The database is FEEDSTAR_SOURCE_DATABASE (default `product`), the one the models' sources
and the daily DAG's arrival check read.  On one node (targets `local` and `prod`) every
table is a plain MergeTree table named as the generator names it.  With FEEDSTAR_TARGET=cluster
(the cluster FEEDSTAR_CH_CLUSTER, docs/production.md) the layout follows the one dbt's
cluster target uses for the warehouse:

- the event tables (`feed_actions`, `message_actions` and their `_stage` / `_cut` work
  tables) are sharded by `cityHash64(user_id)`: a `<name>_local` ReplicatedMergeTree table
  per shard (ZooKeeper path `/clickhouse/tables/{uuid}/{shard}`) and a Distributed table
  `<name>` over them, which INSERTs and reads go through;
- the generator's own small tables (`_users`, `_generate_meta`) are whole on every node,
  one replica group (`/clickhouse/tables/{uuid}/all`): the events SQL reads every user;
- every CREATE, DROP, EXCHANGE, TRUNCATE and ALTER runs `ON CLUSTER`, the ones that touch
  rows on the `_local` tables: a work table's day moves into the source table with
  `REPLACE PARTITION` on each shard, from that shard's rows, and a stage table is swapped
  in with `EXCHANGE TABLES` on every node, each after every replica has the stage's rows.

Table names come from the generator's constants; the database and cluster names from the
settings are checked to be plain names before they reach SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from feedstar.settings import SETTINGS, SettingsError, setting

# Tables split over the shards by user: a user's events, stage and cut rows are on one shard.
SHARDED = ("feed_actions", "message_actions", "_feed_actions_stage", "_message_actions_stage",
           "_feed_actions_cut", "_message_actions_cut")
SHARDING_KEY = "cityHash64(user_id)"
LOCAL_SUFFIX = "_local"  # dbt-clickhouse's default, the suffix the warehouse's local tables use

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CLUSTER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")

# Every statement on a cluster waits for what it starts: a distributed INSERT is on its
# shards before the REPLACE PARTITION that reads them, an ALTER or mutation on every replica
# before the next statement (the session defaults dbt-clickhouse's cluster target uses).
CLUSTER_SESSION_SETTINGS = {"insert_distributed_sync": 1, "alter_sync": 2, "mutations_sync": 2}


@dataclass(frozen=True)
class Layout:
    database: str = "product"
    cluster: str | None = None

    def __post_init__(self):
        if not _NAME.fullmatch(self.database):
            raise SettingsError(f"{SETTINGS['source_database'].env_var}={self.database!r} is not a plain "
                                "database name (letters, digits, underscores)")
        if self.cluster is not None and not _CLUSTER_NAME.fullmatch(self.cluster):
            raise SettingsError(f"{SETTINGS['cluster'].env_var}={self.cluster!r} is not a cluster name")

    @classmethod
    def from_settings(cls) -> Layout:
        """The source database, and the cluster when the target is `cluster`."""
        on_cluster = setting("dbt_target").strip().lower() == "cluster"
        return cls(setting("source_database"), setting("cluster") if on_cluster else None)

    # -- names -------------------------------------------------------------------------------
    def table(self, name: str) -> str:
        """What reads and INSERTs name: the table, or the Distributed table of a sharded one."""
        return f"{self.database}.{name}"

    def render(self, template: str) -> str:
        """A generator SQL template with its `{db}` (the source database) filled in."""
        return template.replace("{db}", self.database)

    def node_table(self, name: str) -> str:
        """The table holding `name`'s rows on a node (its `_local` table when sharded), unqualified."""
        return name + LOCAL_SUFFIX if self.cluster and name in SHARDED else name

    def on_cluster(self) -> str:
        return f' on cluster "{self.cluster}"' if self.cluster else ""

    def rows(self, name: str) -> str:
        """The head of a statement on `name`'s rows (ALTER, TRUNCATE): the node's table, on every node."""
        return f"{self.database}.{self.node_table(name)}{self.on_cluster()}"

    def whole(self, name: str) -> str:
        """A table named as itself, on every node (DROP, EXCHANGE, ALTER of a whole table)."""
        return f"{self.table(name)}{self.on_cluster()}"

    def parts(self) -> str:
        """system.parts of this node, or of every replica of the cluster."""
        return f'clusterAllReplicas("{self.cluster}", system.parts)' if self.cluster else "system.parts"

    # -- DDL ---------------------------------------------------------------------------------
    def create_database(self) -> str:
        return f"create database if not exists {self.database}{self.on_cluster()}"

    def create_table(self, name: str, columns: str, keys: str, engine: str = "MergeTree") -> list[str]:
        """CREATE TABLE IF NOT EXISTS statements for `name` (`keys`: its PARTITION BY / ORDER BY)."""
        if not self.cluster:
            return [f"create table if not exists {self.table(name)} ({columns})\nengine = {engine}\n{keys}"]
        sharded = name in SHARDED
        statements = [f"create table if not exists {self.database}.{self.node_table(name)}{self.on_cluster()}"
                      f" ({columns})\nengine = {self._replicated(engine, sharded)}\n{keys}"]
        if sharded:
            statements.append(self._distributed(name))
        return statements

    def create_like(self, name: str, like: str, keys: str, engine: str = "MergeTree") -> str:
        """CREATE TABLE `name` with `like`'s columns (whole tables only): `keys` as `like`'s."""
        if not self.cluster:
            return f"create table {self.table(name)} as {self.table(like)}"
        return (f"create table {self.whole(name)} as {self.table(like)}\n"
                f"engine = {self._replicated(engine, False)}\n{keys}")

    def _replicated(self, engine: str, sharded: bool) -> str:
        # {uuid}: ON CLUSTER gives every node the initiator's uuid, and a table recreated under
        # the same name starts a fresh path; {shard}: one replica group per shard, `all`: one
        # over every node (macros/cluster.sql writes the warehouse's paths the same way).
        group = "{shard}" if sharded else "all"
        return f"Replicated{engine}('/clickhouse/tables/{{uuid}}/{group}', '{{replica}}')"

    def _distributed(self, name: str) -> str:
        return (f"create table if not exists {self.whole(name)} as {self.database}.{self.node_table(name)}\n"
                f"engine = Distributed('{self.cluster}', '{self.database}', '{self.node_table(name)}', "
                f"{SHARDING_KEY})")

    # -- moving rows -------------------------------------------------------------------------
    def wait_for_replicas(self, name: str) -> list[str]:
        """What must run before `name`'s rows move on (a REPLACE PARTITION reads its parts, an
        EXCHANGE makes it the live table): on a cluster every replica fetches what an INSERT
        wrote to one of them."""
        if not self.cluster:
            return []
        # (SYSTEM statements name the cluster before the table)
        return [f"system sync replica{self.on_cluster()} {self.database}.{self.node_table(name)}"]

    def prepare(self, client) -> None:
        """Session settings a cluster needs on every statement of this client."""
        if self.cluster:
            for key, value in CLUSTER_SESSION_SETTINGS.items():
                client.set_client_setting(key, value)
