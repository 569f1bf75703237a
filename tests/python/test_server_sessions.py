"""`session_id=`: session-scoped SET, USE and temporary tables, as on a ClickHouse server."""

import http.client
import time
import uuid

from endpoint import http as http_request


def run(endpoint, sql, session=None, **params):
    if session:
        params["session_id"] = session
    answer = http_request(endpoint, "POST", params, sql.encode())
    return answer


def ok(endpoint, sql, session=None, **params):
    answer = run(endpoint, sql, session, **params)
    assert answer.status == 200, answer.text
    return answer.text


def new_session():
    return f"s-{uuid.uuid4()}"


DEFAULT_BLOCK_SIZE = "65409"  # ClickHouse's default max_block_size


def test_set_lasts_for_the_session_only(endpoint):
    session = new_session()
    ok(endpoint, "SET max_block_size = 777", session)
    assert ok(endpoint, "SELECT getSetting('max_block_size')", session) == "777\n"
    assert ok(endpoint, "SELECT getSetting('max_block_size')", new_session()) == DEFAULT_BLOCK_SIZE + "\n"
    assert ok(endpoint, "SELECT getSetting('max_block_size')") == DEFAULT_BLOCK_SIZE + "\n"


def test_temporary_table_lives_in_its_session(endpoint):
    session = new_session()
    ok(endpoint, "CREATE TEMPORARY TABLE scratch (x UInt8)", session)
    ok(endpoint, "INSERT INTO scratch VALUES (1), (2), (3)", session)
    assert ok(endpoint, "SELECT sum(x) FROM scratch", session) == "6\n"
    elsewhere = run(endpoint, "SELECT sum(x) FROM scratch", new_session())
    assert elsewhere.status == 404 and elsewhere.headers["x-clickhouse-exception-code"] == "60"
    without_session = run(endpoint, "SELECT sum(x) FROM scratch")
    assert without_session.headers["x-clickhouse-exception-code"] == "60"


def test_url_settings_apply_to_one_request_of_a_session(endpoint):
    session = new_session()
    ok(endpoint, "SET max_block_size = 777", session)
    assert ok(endpoint, "SELECT getSetting('max_block_size')", session, max_block_size="555") == "555\n"
    # The session's own value is back for the next request ...
    assert ok(endpoint, "SELECT getSetting('max_block_size')", session) == "777\n"
    # ... and one never SET in the session is back at its default.
    assert ok(endpoint, "SELECT getSetting('max_threads')", session, max_threads="1") == "1\n"
    assert ok(endpoint, "SELECT getSetting('max_threads')", session) != "1\n"
    # A SET sent with URL settings still changes the session itself.
    ok(endpoint, "SET max_block_size = 999", session, max_block_size="555")
    assert ok(endpoint, "SELECT getSetting('max_block_size')", session) == "999\n"


def test_url_database_applies_to_one_request_of_a_session(endpoint):
    ok(endpoint, "CREATE DATABASE IF NOT EXISTS sess_db")
    session = new_session()
    assert ok(endpoint, "SELECT currentDatabase()", session, database="sess_db") == "sess_db\n"
    assert ok(endpoint, "SELECT currentDatabase()", session) == "default\n"
    ok(endpoint, "USE sess_db", session)  # USE changes the session
    assert ok(endpoint, "SELECT currentDatabase()", session) == "sess_db\n"


def test_a_session_used_concurrently_is_locked(endpoint):
    session = new_session()
    # Request 1: a long result, only its headers read, so it keeps the session busy.
    busy = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=30)
    busy.request("POST", f"/?session_id={session}", body=b"SELECT number FROM system.numbers")
    first = busy.getresponse()
    assert first.status == 200
    second = run(endpoint, "SELECT 1", session)
    assert second.status == 500 and second.headers["x-clickhouse-exception-code"] == "373"
    assert b"SESSION_IS_LOCKED" in second.body
    # The client leaving frees the session (and stops the endless query).
    busy.close()
    deadline = time.monotonic() + 15
    while (answer := run(endpoint, "SELECT 1", session)).headers.get("x-clickhouse-exception-code") == "373" \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (answer.status, answer.body) == (200, b"1\n")


def test_a_failed_query_leaves_nothing_behind_in_its_session(endpoint):
    # chDB 4.4 would prepend a failed query's partial output to the next result.
    session = new_session()
    failing = "SELECT throwIf(number = 30000, 'late failure') FROM numbers(40000) SETTINGS max_block_size = 1000"
    answer = run(endpoint, failing, session, wait_end_of_query="1")
    assert answer.status >= 400 and answer.headers["x-clickhouse-exception-code"] == "395"
    assert ok(endpoint, "SELECT 1", session) == "1\n"


def test_session_check_refuses_an_unknown_session(endpoint):
    answer = run(endpoint, "SELECT 1", new_session(), session_check="1")
    assert answer.headers["x-clickhouse-exception-code"] == "372" and b"SESSION_NOT_FOUND" in answer.body
    session = new_session()
    ok(endpoint, "SET max_block_size = 321", session)  # creates it
    assert ok(endpoint, "SELECT getSetting('max_block_size')", session, session_check="1") == "321\n"
