"""`system.query_log`, as a server keeps it: one row when a query starts, one when it ends.

chDB (clickhouse-local) keeps no query log, so the endpoint keeps one in the same shape
(the server's column names and types, a subset of its columns): a `Memory` table in
`system`, created at startup and holding the newest MAX_ROWS rows for the life of the
process.  Recording a query only appends a tuple to a list; a background thread inserts
the rows every FLUSH_INTERVAL_S (a server's `flush_interval_milliseconds` is 7500), and
`SYSTEM FLUSH LOGS` inserts them before it returns, as on a server.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time

from feedstar.server.engine_sql import run_statement
from feedstar.server.errors import ClickHouseError

log = logging.getLogger("feedstar.server")

FLUSH_INTERVAL_S = 7.5
MAX_ROWS = 100_000
TABLE_DDL = f"""
CREATE TABLE IF NOT EXISTS system.query_log (
    hostname LowCardinality(String),
    type Enum8('QueryStart' = 1, 'QueryFinish' = 2, 'ExceptionBeforeStart' = 3, 'ExceptionWhileProcessing' = 4),
    event_date Date DEFAULT toDate(event_time), event_time DateTime, event_time_microseconds DateTime64(6),
    query_start_time DateTime, query_start_time_microseconds DateTime64(6), query_duration_ms UInt64,
    read_rows UInt64, read_bytes UInt64, written_rows UInt64, written_bytes UInt64,
    result_rows UInt64, result_bytes UInt64,
    current_database String, query String, query_kind LowCardinality(String),
    exception_code Int32, exception String,
    is_initial_query UInt8, user String, query_id String, initial_user String, initial_query_id String,
    interface UInt8, http_method UInt8, http_user_agent String,
    Settings Map(LowCardinality(String), String)
) ENGINE = Memory SETTINGS min_rows_to_keep = {MAX_ROWS}, max_rows_to_keep = {MAX_ROWS}
"""
_KINDS = {
    "SelectWithUnionQuery": "Select", "SelectIntersectExceptQuery": "Select", "InsertQuery": "Insert",
    "CreateQuery": "Create", "DropQuery": "Drop", "AlterQuery": "Alter", "RenameQuery": "Rename",
    "OptimizeQuery": "Optimize", "SystemQuery": "System", "SetQuery": "Set", "UseQuery": "Use",
    "DeleteQuery": "Delete", "ExplainQuery": "Explain", "Describe": "Describe", "ShowCreate": "Show",
    "ShowTablesQuery": "Show", "ShowColumnsQuery": "Show", "ShowGrants": "Show", "Exists": "Exists",
}


class QueryLog:
    def __init__(self, connect):
        self._connect = connect
        self._rows: list[dict] = []
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._hostname = socket.gethostname()
        self._stop = threading.Event()
        self._connection = connect()
        run_statement(self._connection, TABLE_DDL)
        self._thread = threading.Thread(target=self._run, name="feedstar-query-log", daemon=True)
        self._thread.start()

    def record(self, entry: "Entry", kind: str, summary: dict | None = None, error=None) -> None:
        """Queue one row (cheap: no engine call)."""
        now = time.time()
        row = {
            "hostname": self._hostname, "type": kind,
            "event_time": int(now), "event_time_microseconds": f"{now:.6f}",
            "query_start_time": int(entry.started), "query_start_time_microseconds": f"{entry.started:.6f}",
            "query_duration_ms": 0 if kind == "QueryStart" else int((now - entry.started) * 1000),
            "current_database": entry.database or "default", "query": entry.query,
            "query_kind": _KINDS.get(entry.kind, "") if entry.kind else "",
            "exception_code": error.code if error is not None else 0,
            "exception": error.message if error is not None else "",
            "is_initial_query": 1, "user": entry.user, "query_id": entry.query_id, "initial_user": entry.user,
            "initial_query_id": entry.query_id, "interface": 2, "http_method": 1 if entry.is_get else 2,
            "http_user_agent": entry.user_agent, "Settings": entry.settings,
        }
        for key in ("read_rows", "read_bytes", "written_rows", "written_bytes", "result_rows", "result_bytes"):
            row[key] = int((summary or {}).get(key, 0))
        with self._lock:
            self._rows.append(row)

    def flush(self) -> None:
        """Insert the queued rows (SYSTEM FLUSH LOGS, the timer, shutdown)."""
        with self._flush_lock:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows:
                return
            data = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows).encode()
            try:
                with self._connection.send_insert("INSERT INTO system.query_log", "JSONEachRow") as inserter:
                    inserter.append(data)
                    inserter.finish()
            except Exception as exc:  # a log write must never fail a query
                log.warning("could not write %d query_log rows: %s", len(rows), exc)

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_INTERVAL_S):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.flush()
        self._connection.close()


def logged(chunks, query_log: QueryLog, entry: "Entry", summary: dict):
    """`chunks`, with the query's last row written when they end (or fail, or the client leaves)."""
    try:
        yield from chunks
    except GeneratorExit:
        query_log.record(entry, "ExceptionWhileProcessing", summary,
                         ClickHouseError(394, "Query was cancelled (the client went away)", "QUERY_WAS_CANCELLED"))
        raise
    except Exception as exc:
        error = exc if isinstance(exc, ClickHouseError) else ClickHouseError.from_engine(exc)
        query_log.record(entry, "ExceptionWhileProcessing", summary, error)
        raise
    query_log.record(entry, "QueryFinish", summary)


class Entry:
    """What the log says about one query; `started` is set when it is created."""

    __slots__ = ("query_id", "user", "query", "kind", "database", "settings", "is_get", "user_agent", "started")

    def __init__(self, query_id: str, user: str, query: str, database: str | None, settings: dict,
                 is_get: bool, user_agent: str):
        self.query_id, self.user, self.query, self.database = query_id, user, query, database
        self.settings, self.is_get, self.user_agent = settings, is_get, user_agent
        self.kind: str | None = None
        self.started = time.time()
