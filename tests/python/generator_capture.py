"""Every statement `feedstar generate` sends on a cluster, recorded as sent and run in a one-node form.

No cluster can run here, so the generator's cluster layout (generate/layout.py) is checked
the way cluster_capture.py checks dbt's: `RecordingClient` wraps a real clickhouse-connect
client, keeps each statement exactly as a cluster would receive it, and executes a
single-node form on the embedded endpoint (ON CLUSTER and the Replicated engines' paths
stripped, SYSTEM SYNC REPLICA skipped, clusterAllReplicas(...) read locally, a Merge table
standing in for each Distributed table, whose INSERTs go to its local table: one shard).
The run goes on against real tables, so every later statement (the REPLACE PARTITIONs, the
swaps, the intraday cuts) is the one the real code produces.
"""

from __future__ import annotations

import re

from cluster_capture import CLUSTER_FUNCTION, DISTRIBUTED_ENGINE, ON_CLUSTER, REPLICATED_ENGINE

CREATE_TABLE = re.compile(r"^\s*create\s+table\s+(?:if\s+not\s+exists\s+)?([\w.]+)", re.I)
INSERT = re.compile(r"^(\s*insert\s+into\s+)([\w.]+)", re.I)
SYNC_REPLICA = re.compile(r"^\s*system\s+sync\s+replica\b", re.I)


class RecordingClient:
    """The generator's view of a client: command, query, insert, set_client_setting."""

    def __init__(self, client):
        self._client = client
        self.sent: list[str] = []  # every statement, as a cluster would receive it
        self.session_settings: dict = {}
        self._local_of: dict[str, str] = {}  # Distributed table -> its local table (db.name)

    def command(self, sql, *args, **kwargs):
        self.sent.append(sql)
        return self._client.command(self._single_node(sql), *args, **kwargs)

    def query(self, sql, *args, **kwargs):
        self.sent.append(sql)
        return self._client.query(self._single_node(sql), *args, **kwargs)

    def insert(self, table, data, **kwargs):
        self.sent.append(f"insert into {table} ({', '.join(kwargs.get('column_names') or ())}) values")
        return self._client.insert(self._local_of.get(table, table), data, **kwargs)

    def set_client_setting(self, key, value):
        self.session_settings[key] = value
        self._client.set_client_setting(key, value)

    def _single_node(self, sql: str) -> str:
        if SYNC_REPLICA.match(sql):
            return "select 1"  # one node: nothing to wait for
        text = ON_CLUSTER.sub("", sql)
        text = REPLICATED_ENGINE.sub(lambda m: f"{m.group(1)}MergeTree(", text)
        text = CLUSTER_FUNCTION.sub(r"\1", text)
        distributed = DISTRIBUTED_ENGINE.search(text)
        if distributed:
            database, local = distributed.groups()
            self._local_of[CREATE_TABLE.match(text).group(1)] = f"{database}.{local}"
            text = text[:distributed.start()] + f"engine = Merge('{database}', '^{re.escape(local)}$')"
        insert = INSERT.match(text)
        if insert and insert.group(2) in self._local_of:
            text = insert.group(1) + self._local_of[insert.group(2)] + text[insert.end():]
        return text


def canonical(client, sql: str) -> str:
    """`sql` as ClickHouse's parser reads it, on one line (raises if it does not parse)."""
    return client.query("select formatQuerySingleLine({q:String})", parameters={"q": sql}).result_rows[0][0]
