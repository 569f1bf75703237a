"""Bad input: each gets a ClickHouse-style error (or a closed connection), the server keeps
serving, and data already stored is unchanged."""

import http.client as httplib
import os
import socket
import time

import pytest
from endpoint import http, start_endpoint

BODY_LIMIT = 4096


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An endpoint that accepts request bodies of at most BODY_LIMIT bytes, holding 3 rows."""
    data_dir = tmp_path_factory.mktemp("errors") / "data"
    endpoint = start_endpoint(str(data_dir), "--max-body-bytes", str(BODY_LIMIT))
    http(endpoint, "POST", {}, b"CREATE TABLE kept (x UInt32) ENGINE = MergeTree ORDER BY x")
    http(endpoint, "POST", {}, b"INSERT INTO kept VALUES (1), (2), (3)")
    yield endpoint
    endpoint.stop()


def kept_rows(server) -> bytes:
    return http(server, "GET", {"query": "SELECT count(), sum(x) FROM kept"}).body


UNCHANGED = b"3\t6\n"


def assert_clickhouse_error(answer, code: int, status: int):
    assert answer.status == status, answer.text
    assert answer.headers["x-clickhouse-exception-code"] == str(code)
    assert answer.body.startswith(f"Code: {code}. DB::Exception: ".encode()), answer.text
    assert b"(version " in answer.body


@pytest.mark.parametrize("sql, code, status", [
    ("SELECT 1 FORMAT NoSuchFormat", 73, 404),          # UNKNOWN_FORMAT (404 on a server)
    ("SELEC 1", 62, 400),                               # SYNTAX_ERROR
    ("SELECT * FROM no_such_table", 60, 404),           # UNKNOWN_TABLE
    ("SELECT no_such_column FROM kept", 47, 404),       # UNKNOWN_IDENTIFIER
    ("", 62, 400),                                      # no query at all
    ("INSERT INTO kept FORMAT CSV\nnot-a-number\n", 117, 400),  # INCORRECT_DATA
])
def test_bad_queries_get_clickhouse_errors(server, sql, code, status):
    assert_clickhouse_error(http(server, "POST", {}, sql.encode()), code, status)
    assert kept_rows(server) == UNCHANGED


def test_get_cannot_write(server):
    for sql in ("INSERT INTO kept VALUES (100)", "DROP TABLE kept", "TRUNCATE TABLE kept"):
        assert_clickhouse_error(http(server, "GET", {"query": sql}), 164, 500)  # READONLY: 500 on a server too
    assert kept_rows(server) == UNCHANGED


def test_into_outfile_is_refused(server, tmp_path):
    target = tmp_path / "leak.tsv"
    for method in ("GET", "POST"):
        answer = http(server, method, {"query": f"SELECT * FROM kept INTO OUTFILE '{target}'"})
        assert answer.headers["x-clickhouse-exception-code"] == "344"
    assert not target.exists()


def test_body_over_the_limit_is_refused_and_nothing_is_inserted(server):
    rows = b"".join(b"%d\n" % (n + 10) for n in range(2000))  # ~10 kB > BODY_LIMIT
    answer = http(server, "POST", {"query": "INSERT INTO kept FORMAT TSV"}, rows)
    assert_clickhouse_error(answer, 307, 413)  # TOO_MANY_BYTES
    assert kept_rows(server) == UNCHANGED
    # The same insert, small enough, goes through (then is deleted again).
    assert http(server, "POST", {"query": "INSERT INTO kept FORMAT TSV"}, b"10\n11\n12\n").status == 200
    assert kept_rows(server) == b"6\t39\n"
    http(server, "POST", {}, b"ALTER TABLE kept DELETE WHERE x >= 10 SETTINGS mutations_sync = 1")
    assert kept_rows(server) == UNCHANGED


@pytest.mark.parametrize("garbage", [
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(64),  # a TLS hello to a plain-HTTP port
    b"GET / HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\nSELECT 1",
    b"NOT HTTP AT ALL\r\n\r\n",
])
def test_malformed_http_gets_400_and_the_server_keeps_serving(server, garbage):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(garbage)
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400") or reply == b"", reply[:80]
    assert http(server, "GET", path="/ping").body == b"Ok.\n"
    assert kept_rows(server) == UNCHANGED


def test_failure_after_the_result_started_is_tagged_and_breaks_the_transfer(server):
    connection = httplib.HTTPConnection("127.0.0.1", server.port, timeout=30)
    sql = b"SELECT throwIf(number = 200000, 'late failure') FROM numbers(300000) SETTINGS max_block_size = 1000"
    connection.request("POST", "/", body=sql)
    response = connection.getresponse()
    assert response.status == 200  # headers went out before the failure
    tag = response.getheader("X-ClickHouse-Exception-Tag")
    with pytest.raises(httplib.IncompleteRead) as broken:  # no final chunk: the transfer is broken
        response.read()
    tail = broken.value.partial[-600:]
    assert b"__exception__\r\n" + tag.encode() + b"\r\n" in tail
    assert tail.endswith(tag.encode() + b"\r\n__exception__\r\n")
    assert b"Code: 395. DB::Exception: late failure" in tail
    assert http(server, "GET", path="/ping").body == b"Ok.\n"


def test_failure_within_a_small_result_gets_an_error_status(server):
    """A result that would have ended within the prefetch (a few blocks) is answered whole,
    so a failure in its third block is still a proper error, not a broken 200."""
    sql = b"SELECT throwIf(number = 2, 'early failure') FROM numbers(10) SETTINGS max_block_size = 1"
    answer = http(server, "POST", {}, sql)
    assert answer.status >= 400, answer.text
    assert answer.headers["x-clickhouse-exception-code"] == "395"
    assert b"early failure" in answer.body
    assert "transfer-encoding" not in answer.headers and b"__exception__" not in answer.body


def test_clickhouse_connect_sees_a_mid_stream_failure(server):
    client = server.client()
    sql = "SELECT throwIf(number = 200000, 'late failure') FROM numbers(300000) SETTINGS max_block_size = 1000"
    with pytest.raises(Exception, match="late failure"):
        with client.query_row_block_stream(sql) as blocks:
            for _ in blocks:
                pass
    assert client.query("SELECT count() FROM kept").result_rows == [(3,)]


def test_client_leaving_mid_result_stops_the_query(server):
    """An endless result, abandoned by its client: the server stops it and serves on."""
    session = "abandoned-session"
    for _ in range(3):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(b"GET /?session_id=" + session.encode() + b"&query=SELECT+number+FROM+system.numbers "
                     b"HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        sock.close()
        # The session is free again only once the endless query has been cancelled and its
        # connection handed back: that is what proves the resources were freed.
        deadline = time.monotonic() + 15
        while (answer := http(server, "GET", {"query": "SELECT 1", "session_id": session})).headers.get(
                "x-clickhouse-exception-code") == "373":
            assert time.monotonic() < deadline, "the abandoned query still holds its session"
            time.sleep(0.1)
        assert answer.body == b"1\n"
    assert kept_rows(server) == UNCHANGED
