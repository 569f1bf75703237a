"""Running one decoded request on a chDB connection (synchronous: called from worker threads)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Iterator

from feedstar.server.auth import User
from feedstar.server.engine import ConnectionState, Engine, apply_state
from feedstar.server.engine_sql import run_statement
from feedstar.server.errors import ClickHouseError, readonly_error
from feedstar.server.protocol import (
    READ_STATEMENTS,
    STATEFUL,
    STREAMABLE,
    QueryRequest,
    creates_temporary_table,
    split_insert_data,
    writes_server_file,
)


# A streamable result that ends within this many bytes is sent whole (see Executor._stream).
PREFETCH_BYTES = 256 * 1024


@dataclass
class Outcome:
    """A result: whole in `complete`, or streaming from `chunks` (its first chunks already fetched)."""

    format: str
    chunks: Iterator[bytes]
    summary: dict
    complete: bytes | memoryview | None = None
    keep: object = None  # what `complete` points into, kept alive with it


def summary(read_rows=0, read_bytes=0, written_rows=0, written_bytes=0, result_rows=0, result_bytes=0, elapsed=0.0):
    return {
        "read_rows": str(read_rows), "read_bytes": str(read_bytes),
        "written_rows": str(written_rows), "written_bytes": str(written_bytes),
        "total_rows_to_read": str(read_rows), "result_rows": str(result_rows),
        "result_bytes": str(result_bytes), "elapsed_ns": str(int(elapsed * 1e9)),
    }


def summary_header(values: dict) -> str:
    return json.dumps(values, separators=(",", ":"))


class Executor:
    def __init__(self, engine: Engine):
        self.engine = engine

    def run(self, request: QueryRequest, user: User, body: bytes) -> Outcome:
        """Run the request; raises ClickHouseError before any byte of the answer exists."""
        full_query, insert = self._statement(request, body)
        keyword = request.keyword
        if request.is_get and keyword not in READ_STATEMENTS:
            raise readonly_error("Cannot execute query")
        if user.readonly:
            # A readonly=1 user may change no setting; restating readonly=1 itself is harmless.
            changed = sorted(name for name, value in request.settings.items() if (name, value) != ("readonly", "1"))
            if changed:
                raise readonly_error(f"Cannot modify '{changed[0]}' setting")
        if insert is None and writes_server_file(full_query):
            raise ClickHouseError(344, "INTO OUTFILE is not allowed", "INTO_OUTFILE_NOT_ALLOWED")
        if request.session_id:
            return self._run_in_session(request, user, full_query, insert)
        state = self._state(request, user)
        connection = self.engine.acquire(state)
        if keyword in STATEFUL or creates_temporary_table(full_query):
            # Without a session such statements only last for the query: the connection is thrown away.
            done = lambda ok: connection.close()  # noqa: E731
        else:
            done = lambda ok: self.engine.release(state, connection, reusable=ok)  # noqa: E731
        try:
            return self._execute(connection, request, full_query, insert, on_done=done)
        except BaseException:
            done(False)
            raise

    # -------------------------------------------------------------------------
    def _statement(self, request: QueryRequest, body: bytes):
        """The SQL to run and, for `INSERT ... FORMAT X` with data, (statement, format, data)."""
        text = request.query.encode()
        if body:
            text = (text + b"\n" + body) if text else body
        insert = split_insert_data(text)
        if insert is not None:
            return insert[0], insert
        try:
            sql = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ClickHouseError(62, "Query is not valid UTF-8 text", "SYNTAX_ERROR") from None
        if not sql.strip():
            raise ClickHouseError(62, "Empty query", "SYNTAX_ERROR")
        request.query = sql
        return sql, None

    @staticmethod
    def _state(request: QueryRequest, user: User) -> ConnectionState:
        settings = dict(request.settings)
        if user.readonly:
            settings["readonly"] = "1"
        elif request.is_get and settings.get("readonly", "0") == "0":
            settings["readonly"] = "2"
        return ConnectionState(database=request.database, settings=tuple(sorted(settings.items())))

    def _run_in_session(self, request, user, full_query, insert) -> Outcome:
        session = self.engine.session(user.name, request.session_id, request.session_timeout,
                                      must_exist=request.session_check)
        if not session.lock.acquire(blocking=False):
            raise ClickHouseError(
                373, f"Session {request.session_id} is locked by a concurrent client.", "SESSION_IS_LOCKED"
            )
        try:
            if not session.initialized:
                if user.readonly:
                    apply_state(session.connection, ConnectionState(settings=(("readonly", "1"),)))
                session.initialized = True
            # A readonly user's session is readonly already (and may not SET it again).
            url_settings = {k: v for k, v in request.settings.items() if not (user.readonly and k == "readonly")}
            if request.keyword in STATEFUL:
                session.take_off()  # SET/USE change the session itself, as on a server
            else:
                session.lay_over(url_settings, request.database)
            return self._execute(session.connection, request, full_query, insert,
                                 on_done=lambda ok: _finish_session_request(session, ok))
        except BaseException:
            _finish_session_request(session, False)
            raise

    def _execute(self, connection, request: QueryRequest, sql: str, insert, on_done) -> Outcome:
        """Run on `connection`; `on_done(ok)` is called once the connection is free again.

        If this raises, `on_done` has not been called: the caller frees the connection.
        """
        started = time.perf_counter()
        if insert is not None:
            statement, fmt, data = insert
            try:
                with connection.send_insert(statement, fmt) as inserter:
                    if data:
                        inserter.append(data)
                    result = inserter.finish()
            except ClickHouseError:
                raise
            except Exception as exc:
                raise ClickHouseError.from_engine(exc) from None
            on_done(True)
            return Outcome(request.result_format, iter(()), summary(
                written_rows=result.rows_written, written_bytes=result.bytes_written,
                elapsed=time.perf_counter() - started), complete=b"")
        fmt = request.result_format
        params = request.params
        if request.keyword in STREAMABLE and not request.wait_end_of_query:
            return self._stream(connection, sql, fmt, params, started, on_done)
        # Everything else (and `wait_end_of_query=1`, as on a server) is answered once complete,
        # so that a failure still gets an error status.
        result = run_statement(connection, sql, params, fmt)
        on_done(True)
        data = result.get_memview().view()  # the result's own buffer: no copy of a large result
        return Outcome(fmt, iter(()), summary(
            read_rows=result.rows_read(), read_bytes=result.bytes_read(),
            result_bytes=len(data), elapsed=time.perf_counter() - started), complete=data, keep=result)

    @staticmethod
    def _stream(connection, sql, fmt, params, started, on_done) -> Outcome:
        """Stream a SELECT, unless it ends within PREFETCH_BYTES: then it is answered whole.

        Most dashboard and client queries return a few rows; answering those complete from
        this one worker-thread hop (rather than one hop per chunk plus a streaming response)
        is most of an endpoint round trip's cost, and a failure among them still gets a
        proper error status.
        """
        prefetched, size, ended = [], 0, False
        try:
            stream = connection.send_query(sql, fmt, params=params or {})
            while size < PREFETCH_BYTES and not ended:
                chunk = stream.fetch()
                ended = chunk is None
                data = b"" if ended else chunk.bytes()
                if data:
                    prefetched.append(data)
                    size += len(data)
        except Exception as exc:  # the caller frees the connection
            raise ClickHouseError.from_engine(exc) from None
        if ended:
            on_done(True)
            return Outcome(fmt, iter(()), summary(result_bytes=size, elapsed=time.perf_counter() - started),
                           complete=b"".join(prefetched))

        def chunks():
            finished = False
            try:
                yield from prefetched
                while (chunk := stream.fetch()) is not None:
                    data = chunk.bytes()
                    if data:
                        yield data
                finished = True
            finally:
                if not finished:
                    stream.cancel()
                on_done(finished)

        return Outcome(fmt, chunks(), summary(elapsed=time.perf_counter() - started))


def _finish_session_request(session, ok: bool) -> None:
    """Free the session for its next request.

    chDB 4.4 keeps the partial output of a query that failed and prepends it to the
    next result on the same connection; a pooled connection is closed after a failure,
    but a session must keep its connection, so one throwaway query takes the leftovers.
    """
    try:
        if not ok:
            try:
                session.connection.query("SELECT 1", "TabSeparated")
            except Exception:  # noqa: BLE001 - the leftovers' own error, if any, is not the client's
                pass
    finally:
        session.lock.release()
