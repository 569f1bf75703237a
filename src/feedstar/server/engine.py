"""The chDB side of the endpoint: owning the data directory and handing out connections.

chDB lets one process open a data directory; inside that process every
`chdb.connect(path)` is a cheap (~0.5 ms) independent client session with its own
settings, current database and temporary tables.  The endpoint keeps one *root*
connection for its whole life (it holds the directory lock and keeps background
merges running) and gives each HTTP request a connection from a small pool keyed by
the (database, settings) state that was applied to it, so the common case costs no
`SET` round trips.  Named HTTP sessions (`session_id=`) get a dedicated connection.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import chdb

from feedstar.server.engine_sql import quote_identifier, quote_setting_value, run_statement
from feedstar.server.errors import ClickHouseError
from feedstar.server.policy import FORCED_SETTINGS
from feedstar.server.query_log import QueryLog
from feedstar.server.sessions import Session
from feedstar.server.statement import Parser

log = logging.getLogger("feedstar.server")

# How many idle connections per (database, settings) state are kept for reuse, and in all:
# clients that vary settings per query must not make the pool grow without bound.
POOL_SIZE_PER_STATE = 8
POOL_SIZE_TOTAL = 32
DEFAULT_SESSION_TIMEOUT_S = 60
LOCK_FILE_NAME = "feedstar-serve.lock"
MAX_SESSION_TIMEOUT_S = 3600
MAX_SESSIONS = 256


class DataDirectoryBusy(RuntimeError):
    """Another process owns the chDB data directory."""


@dataclass(frozen=True)
class ConnectionState:
    """What a connection must have applied before it runs a request's query."""

    database: str | None = None
    settings: tuple[tuple[str, str], ...] = ()  # sorted; `readonly` is applied last


@dataclass(frozen=True)
class MemoryLimits:
    """What a ClickHouse server on this machine would start with.

    The whole process is capped (`max_server_memory_usage`, as a server caps itself at
    90% of RAM), one query at half of that, and GROUP BY / ORDER BY spill to disk past
    half of a query's budget: a query that needs more fails with MEMORY_LIMIT_EXCEEDED
    instead of taking the process (and every other client) down.
    """

    server_bytes: int
    query_bytes: int

    @classmethod
    def for_machine(cls, server_ratio: float = 0.8) -> "MemoryLimits":
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        server = int(total * server_ratio)
        return cls(server_bytes=server, query_bytes=server // 2)

    def connection_settings(self) -> tuple[tuple[str, str], ...]:
        return (
            ("max_memory_usage", str(self.query_bytes)),
            # In bytes: the ratio settings did not make a GROUP BY spill before its query's cap.
            ("max_bytes_before_external_group_by", str(self.query_bytes // 2)),
            ("max_bytes_before_external_sort", str(self.query_bytes // 2)),
        )


class Engine:
    """Owns one chDB data directory for the life of the endpoint process."""

    def __init__(self, path: str, memory: MemoryLimits | None = None):
        self.path = os.path.abspath(path)
        self.memory = memory or MemoryLimits.for_machine()
        os.makedirs(self.path, exist_ok=True)
        # Our own advisory lock first: chDB's refusal of a second process is a generic
        # "Error initializing EmbeddedServer", and it prints the real reason to stderr.
        self._lock_file = open(os.path.join(self.path, LOCK_FILE_NAME), "a+")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock_file.close()
            raise DataDirectoryBusy(
                f"data directory {self.path} is already open in another process"
                f"{_owner_hint(self.path)}; stop it first (make stop) or pick another --path"
            ) from None
        try:
            self._root = chdb.connect(f"file:{self.path}?max_server_memory_usage={self.memory.server_bytes}")
        except Exception as exc:
            self._lock_file.close()
            raise DataDirectoryBusy(f"chDB could not open {self.path}: {exc}") from None
        self.version, self.timezone, self.http_compression_default = (
            self._root.query("SELECT version(), timezone(), getSetting('enable_http_compression')",
                             "TabSeparated").bytes().decode().strip().split("\t")
        )
        # Least recently released state first, so that the oldest states are evicted first.
        self._pool: OrderedDict[ConnectionState, list] = OrderedDict()
        self._pool_lock = threading.Lock()
        self._sessions: dict[tuple[str, str], Session] = {}
        self._sessions_lock = threading.Lock()
        self.parser = Parser(lambda: chdb.connect(f"file:{self.path}"))
        self.query_log = QueryLog(self.connect)

    def connect(self):
        """A new connection with the endpoint's own settings (which clients may not lift) applied."""
        connection = chdb.connect(f"file:{self.path}")
        try:
            for name, value in FORCED_SETTINGS + self.memory.connection_settings():
                run_statement(connection, f"SET {name} = {quote_setting_value(value)}")
        except Exception:
            connection.close()
            raise
        return connection

    # -- pooled connections -------------------------------------------------
    def acquire(self, state: ConnectionState):
        """A connection with `state` applied; give it back with `release`."""
        with self._pool_lock:
            idle = self._pool.get(state)
            if idle:
                return idle.pop()
        connection = self.connect()
        try:
            apply_state(connection, state)
        except Exception:
            connection.close()
            raise
        return connection

    def release(self, state: ConnectionState, connection, reusable: bool = True) -> None:
        evicted = []
        if reusable:
            with self._pool_lock:
                idle = self._pool.setdefault(state, [])
                self._pool.move_to_end(state)
                if len(idle) < POOL_SIZE_PER_STATE:
                    idle.append(connection)
                    connection = None
                    evicted = self._evict_beyond_total()
        for spare in evicted + ([connection] if connection is not None else []):
            spare.close()

    def _evict_beyond_total(self) -> list:
        """Take idle connections of the least recently used states until the pool fits its bound."""
        evicted = []
        while sum(len(idle) for idle in self._pool.values()) > POOL_SIZE_TOTAL:
            oldest_state, idle = next(iter(self._pool.items()))
            evicted.append(idle.pop(0))
            if not idle:
                del self._pool[oldest_state]
        return evicted

    def idle_connections(self) -> int:
        with self._pool_lock:
            return sum(len(idle) for idle in self._pool.values())

    # -- named sessions (session_id=) ----------------------------------------
    def session(self, user: str, session_id: str, timeout_s: float, must_exist: bool = False) -> Session:
        """The session, created on first use (unless `must_exist`: session_check=1); lock it before use."""
        now = time.monotonic()
        with self._sessions_lock:
            self._reap_expired(now)
            key = (user, session_id)
            session = self._sessions.get(key)
            if session is None and must_exist:
                raise ClickHouseError(372, f"Session {session_id} not found", "SESSION_NOT_FOUND")
            if session is None:
                if len(self._sessions) >= MAX_SESSIONS:
                    raise ClickHouseError(
                        202, f"Too many open sessions ({MAX_SESSIONS}); close some or wait for them to expire",
                        "TOO_MANY_SIMULTANEOUS_QUERIES")
                connection = self.connect()
                session = Session(connection=connection, timeout_s=timeout_s)
                self._sessions[key] = session
            session.last_used = now
            session.timeout_s = timeout_s
        return session

    def _reap_expired(self, now: float) -> None:
        for key, session in list(self._sessions.items()):
            if session.expired(now) and session.lock.acquire(blocking=False):
                del self._sessions[key]
                session.connection.close()
                session.lock.release()

    def cancel_running_queries(self) -> None:
        """Cancel every query still running (at shutdown, after the grace period).

        A cancelled query's client gets an error, so nothing it was told is stored gets
        lost; without this a long query would keep the process alive after SIGTERM.
        """
        try:
            killed = self._root.query("KILL QUERY WHERE query_id != queryID() SYNC", "TabSeparated")
        except Exception as exc:  # shutting down anyway: report and go on
            log.warning("could not cancel running queries: %s", exc)
            return
        count = len([line for line in killed.bytes().decode().splitlines() if line.strip()])
        if count:
            log.warning("cancelled %d query(ies) still running at shutdown", count)

    def close(self) -> None:
        self.cancel_running_queries()
        with self._sessions_lock:
            for session in self._sessions.values():
                session.connection.close()
            self._sessions.clear()
        with self._pool_lock:
            for idle in self._pool.values():
                for connection in idle:
                    connection.close()
            self._pool.clear()
        self.parser.close()
        self.query_log.close()
        self._root.close()
        self._lock_file.close()  # releases the flock
        log.info("data directory %s closed", self.path)


def apply_state(connection, state: ConnectionState) -> None:
    """Apply a request's database and settings to a connection, `readonly` last.

    `readonly` goes last because once it is 1 no other setting may change.
    """
    if state.database:
        run_statement(connection, f"USE {quote_identifier(state.database)}")
    readonly = None
    for name, value in state.settings:
        if name == "readonly":
            readonly = value
            continue
        run_statement(connection, f"SET {name} = {quote_setting_value(value)}")
    if readonly is not None:
        run_statement(connection, f"SET readonly = {quote_setting_value(readonly)}")


def _owner_hint(path: str) -> str:
    pid_file = os.path.join(path, "feedstar-serve.pid")
    try:
        with open(pid_file) as handle:
            return f" (pid {handle.read().strip()}, see {pid_file})"
    except OSError:
        return ""
