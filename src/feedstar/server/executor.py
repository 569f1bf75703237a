"""Running one decoded request on a chDB connection (synchronous: called from worker threads)."""

from __future__ import annotations

import time

from feedstar.server import external
from feedstar.server.answers import grants_query
from feedstar.server.auth import User
from feedstar.server.engine import ConnectionState, Engine, apply_state
from feedstar.server.engine_sql import run_statement
from feedstar.server.errors import ClickHouseError
from feedstar.server.policy import Policy, readonly_level
from feedstar.server.protocol import QueryRequest, split_insert_data
from feedstar.server.query_log import Entry, logged
from feedstar.server.results import Outcome, stream_select, summary
from feedstar.server.statement import Statement


class Executor:
    def __init__(self, engine: Engine, policy: Policy | None = None):
        self.engine = engine
        self.policy = policy or Policy()

    def run(self, request: QueryRequest, user: User, body: bytes) -> Outcome:
        """Run the request (logged in system.query_log); raises ClickHouseError before any byte of the answer exists.

        What the statement may do is decided here, once, from the parser's facts; nothing
        has run on the engine before that verdict.
        """
        entry = Entry(request.query_id or "", user.name, request.query, request.database, dict(request.settings),
                      request.is_get, request.user_agent)
        query_log = self.engine.query_log
        try:
            outcome = self._run(request, user, body, entry)
        except ClickHouseError as error:
            query_log.record(entry, "ExceptionWhileProcessing" if entry.kind else "ExceptionBeforeStart", error=error)
            raise
        if outcome.complete is not None:
            query_log.record(entry, "QueryFinish", outcome.summary)
        else:
            outcome.chunks = logged(outcome.chunks, query_log, entry, outcome.summary)
        return outcome

    def _run(self, request: QueryRequest, user: User, body: bytes, entry: Entry) -> Outcome:
        full_query, insert = self._statement(request, body)
        entry.query = insert[0] if insert is not None else full_query
        # An insert's data is read by its input format, never as SQL: the verdict is on the statement.
        statement = self.engine.parser.parse(f"{insert[0]} FORMAT {insert[1]}" if insert is not None else full_query)
        self.policy.check_url_settings(request.settings, user)
        readonly = readonly_level(request.settings.get("readonly"), user, request.is_get)
        self.policy.check(statement, user, is_get=request.is_get, database=request.database)
        entry.kind = statement.kind
        entry.settings.update((name, str(value)) for name, value in statement.settings)
        self.engine.query_log.record(entry, "QueryStart")
        if statement.kind == "SystemQuery" and statement.system_action == "FLUSH_LOGS":
            self.engine.query_log.flush()
        if statement.kind == "ShowGrants":
            full_query, request.params = grants_query(user, self.policy), {}
        if request.session_id:
            return self._run_in_session(request, statement, user, full_query, insert)
        state = self._state(request, readonly)
        if request.external:
            # External tables live on a connection of their own, closed after the request.
            connection = self.engine.connect()
            try:
                external.load(connection, self.engine.parser, request.external)
                apply_state(connection, state)
            except BaseException:
                connection.close()
                raise
            done = lambda ok: connection.close()  # noqa: E731
        else:
            connection = self.engine.acquire(state)
            if statement.is_read or statement.is_insert:
                done = lambda ok: self.engine.release(state, connection, reusable=ok)  # noqa: E731
            else:
                # DDL, SET, USE, temporary tables...: whatever they change must not reach the next
                # client of a pooled connection, so the connection is thrown away after them.
                done = lambda ok: connection.close()  # noqa: E731
        try:
            return self._execute(connection, request, statement, full_query, insert, on_done=done)
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
    def _state(request: QueryRequest, readonly: str | None) -> ConnectionState:
        settings = {k: v for k, v in request.settings.items() if k != "readonly"}
        if readonly is not None:
            settings["readonly"] = readonly
        return ConnectionState(database=request.database, settings=tuple(sorted(settings.items())))

    def _run_in_session(self, request, statement: Statement, user, full_query, insert) -> Outcome:
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
            if statement.kind in ("SetQuery", "UseQuery"):
                session.take_off()  # SET/USE change the session itself, as on a server
            else:
                session.lay_over(url_settings, request.database)
            tables = self._session_external(session, request, user)
            return self._execute(session.connection, request, statement, full_query, insert,
                                 on_done=lambda ok: _finish_session_request(session, ok, tables))
        except BaseException:
            _finish_session_request(session, False)
            raise

    def _session_external(self, session, request: QueryRequest, user: User) -> list[str]:
        """Load the request's external tables into the session (dropped again after the request)."""
        if not request.external:
            return []
        if user.readonly:
            raise ClickHouseError(48, "External data in a read-only user's session is not supported by the embedded "
                                      "endpoint (its session cannot create the tables): send it without session_id",
                                  "NOT_IMPLEMENTED")
        tables = [table.name for table in request.external]
        try:
            external.load(session.connection, self.engine.parser, request.external)
        except BaseException:
            external.drop(session.connection, tables)
            raise
        return tables

    def _execute(self, connection, request: QueryRequest, statement: Statement, sql: str, insert,
                 on_done) -> Outcome:
        """Run on `connection`; `on_done(ok)` is called once the connection is free again.

        If this raises, `on_done` has not been called: the caller frees the connection.
        """
        started = time.perf_counter()
        fmt = statement.format or request.default_format
        if insert is not None:
            insert_sql, data_format, data = insert
            try:
                with connection.send_insert(insert_sql, data_format) as inserter:
                    if data:
                        inserter.append(data)
                    result = inserter.finish()
            except ClickHouseError:
                raise
            except Exception as exc:
                raise ClickHouseError.from_engine(exc) from None
            on_done(True)
            return Outcome(fmt, iter(()), summary(
                written_rows=result.rows_written, written_bytes=result.bytes_written,
                elapsed=time.perf_counter() - started), complete=b"", produces_result=False)
        params = request.params
        if statement.streamable and not request.wait_end_of_query:
            outcome = stream_select(connection, sql, fmt, params, started, on_done)
            if outcome is not None:
                return outcome
        # Everything else (and `wait_end_of_query=1`, as on a server) is answered once complete,
        # so that a failure still gets an error status.
        result = run_statement(connection, sql, params, fmt)
        on_done(True)
        data = result.get_memview().view()  # the result's own buffer: no copy of a large result
        return Outcome(fmt, iter(()), summary(
            read_rows=result.rows_read(), read_bytes=result.bytes_read(),
            written_rows=result.rows_written(), written_bytes=result.bytes_written(),
            result_bytes=len(data), elapsed=time.perf_counter() - started), complete=data, keep=result,
            produces_result=statement.is_read)

def _finish_session_request(session, ok: bool, external_tables: list[str] = ()) -> None:
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
        if external_tables:
            external.drop(session.connection, list(external_tables))
    finally:
        session.lock.release()
