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
from feedstar.server.sessions import Session

log = logging.getLogger("feedstar.server")

# How many idle connections per (database, settings) state are kept for reuse, and in all:
# clients that vary settings per query must not make the pool grow without bound.
POOL_SIZE_PER_STATE = 8
POOL_SIZE_TOTAL = 32
DEFAULT_SESSION_TIMEOUT_S = 60
LOCK_FILE_NAME = "feedstar-serve.lock"
MAX_SESSION_TIMEOUT_S = 3600


class DataDirectoryBusy(RuntimeError):
    """Another process owns the chDB data directory."""


@dataclass(frozen=True)
class ConnectionState:
    """What a connection must have applied before it runs a request's query."""

    database: str | None = None
    settings: tuple[tuple[str, str], ...] = ()  # sorted; `readonly` is applied last


class Engine:
    """Owns one chDB data directory for the life of the endpoint process."""

    def __init__(self, path: str):
        self.path = os.path.abspath(path)
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
            self._root = chdb.connect(f"file:{self.path}")
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

    # -- pooled connections -------------------------------------------------
    def acquire(self, state: ConnectionState):
        """A connection with `state` applied; give it back with `release`."""
        with self._pool_lock:
            idle = self._pool.get(state)
            if idle:
                return idle.pop()
        connection = chdb.connect(f"file:{self.path}")
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
        timeout_s = min(max(timeout_s, 1), MAX_SESSION_TIMEOUT_S)
        now = time.monotonic()
        with self._sessions_lock:
            self._reap_expired(now)
            key = (user, session_id)
            session = self._sessions.get(key)
            if session is None and must_exist:
                raise ClickHouseError(372, f"Session {session_id} not found", "SESSION_NOT_FOUND")
            if session is None:
                connection = chdb.connect(f"file:{self.path}")
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
