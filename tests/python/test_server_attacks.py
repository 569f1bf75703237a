"""Attacks on the endpoint, each checked twice: it is refused, and nothing happened.

"Nothing happened" is checked where it would show: no file appears, the canary table's
checksum is unchanged, a real HTTP receiver on loopback got no request, another client's
query still runs to its end, and the endpoint still answers.
"""

from __future__ import annotations

import gzip
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import os
import threading
import time
import zlib

import lz4.frame
import pytest
import zstandard
from endpoint import http, start_endpoint

RW, RW_PASSWORD = "default", "rw-secret"
RO, RO_PASSWORD = "dashboard", "ro-secret"
PASSWORDS = {"FEEDSTAR_PASSWORD": RW_PASSWORD, "FEEDSTAR_READONLY_PASSWORD": RO_PASSWORD}
BODY_LIMIT = 1 << 20


class Receiver:
    """A real HTTP server on loopback that counts the requests reaching it."""

    def __init__(self):
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                hits.append(self.path)
                body = b"1\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_PUT = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("attacks") / "data"
    endpoint = start_endpoint(str(data_dir), "--max-body-bytes", str(BODY_LIMIT), "--header-timeout", "1",
                              env=PASSWORDS)
    rw(endpoint, "CREATE TABLE canary (x UInt32, s String) ENGINE = MergeTree ORDER BY x")
    rw(endpoint, "INSERT INTO canary SELECT number, toString(number) FROM numbers(1000)")
    yield endpoint
    endpoint.stop()


def as_user(endpoint, user, password, sql, method="POST", **params):
    credentials = {"user": user, "password": password}
    if method == "GET":
        return http(endpoint, "GET", {**credentials, "query": sql, **params})
    return http(endpoint, "POST", {**credentials, **params}, sql.encode())


def rw(endpoint, sql, method="POST", **params):
    return as_user(endpoint, RW, RW_PASSWORD, sql, method, **params)


def ro(endpoint, sql, method="POST", **params):
    return as_user(endpoint, RO, RO_PASSWORD, sql, method, **params)


def ok(answer) -> str:
    assert answer.status == 200, answer.text
    return answer.text


def canary(endpoint) -> str:
    return ok(rw(endpoint, "SELECT count(), sum(cityHash64(x, s)) FROM canary"))


def refused(answer, code: int):
    assert answer.status >= 400, answer.text
    assert answer.headers.get("x-clickhouse-exception-code") == str(code), answer.text
    return answer.text


def alive(endpoint):
    assert http(endpoint, "GET", path="/ping").body == b"Ok.\n"
    assert endpoint.process.poll() is None


# --- files -------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["ro", "rw"])
@pytest.mark.parametrize("sql", [
    "SELECT file('/proc/self/cmdline')",
    "SELECT * FROM file('/proc/self/environ', 'RawBLOB')",
    "/* hidden */ SELECT file('/etc/passwd')",
    "SELECT 1 FROM numbers(1) WHERE length(file('/etc/passwd')) > 0",
    "WITH (SELECT file('/etc/passwd')) AS x SELECT x",
    "SELECT * FROM view(SELECT * FROM file('/etc/passwd', 'LineAsString'))",
    "DESCRIBE TABLE file('/etc/passwd', 'LineAsString')",
    "SELECT * FROM filesystem('/etc')",
    "SELECT * FROM icebergLocal('/etc')",
    "CREATE TABLE leak AS file('/etc/passwd', 'LineAsString')",
    "SELECT * FROM loop(file('/etc/passwd', 'LineAsString'))",
])
def test_nobody_reads_the_machines_files(server, who, sql):
    answer = (ro if who == "ro" else rw)(server, sql)
    assert answer.status >= 400
    assert RW_PASSWORD not in answer.text and "root:" not in answer.text
    assert answer.headers["x-clickhouse-exception-code"] in ("497", "164"), answer.text


@pytest.mark.parametrize("who", ["ro", "rw"])
@pytest.mark.parametrize("template", [
    "SELECT $$'$$ INTO OUTFILE '{path}' --'",
    "SELECT 1 INTO OUTFILE '{path}'",
    "SELECT 1 INTO OUTFILE '{path}' FORMAT TSV",
    "INSERT INTO FUNCTION file('{path}', 'TSV') SELECT 1",
    "CREATE TABLE leak ENGINE = File(TSV, '{path}') AS SELECT 1",
    "CREATE TABLE leak (x UInt8) ENGINE = File(TSV)",
    "BACKUP TABLE canary TO File('{path}')",
    "CREATE TABLE leak (x UInt8) ENGINE = MergeTree ORDER BY x SETTINGS disk = disk(type = local, path = '{path}/')",
    "ATTACH TABLE leak FROM '{path}' (x UInt8) ENGINE = MergeTree ORDER BY x",
    "CREATE DICTIONARY leak (x UInt8) PRIMARY KEY x SOURCE(FILE(path '{path}' format 'TSV')) LAYOUT(FLAT()) LIFETIME(0)",
    "CREATE DATABASE leak ENGINE = Filesystem('{path}')",
    "SELECT 1 SETTINGS output_format_schema = '{path}'",
])
def test_nobody_writes_the_machines_files(server, tmp_path, who, template):
    target = tmp_path / "written"
    before = canary(server)
    answer = (ro if who == "ro" else rw)(server, template.format(path=target))
    assert answer.status >= 400, answer.text
    assert not target.exists()
    assert not os.listdir(tmp_path)
    assert canary(server) == before
    assert ok(rw(server, "EXISTS TABLE leak")) == "0\n"
    assert ok(rw(server, "EXISTS DATABASE leak")) == "0\n"


def test_values_data_is_never_evaluated_as_sql(server):
    """The Values input format would evaluate `file(...)` in inserted data."""
    ok(rw(server, "CREATE TABLE notes (s String) ENGINE = MergeTree ORDER BY s"))
    for sql in ("INSERT INTO notes VALUES (file('/etc/hostname'))",
                "INSERT INTO notes FORMAT Values (file('/etc/hostname'))",
                "INSERT INTO notes SETTINGS input_format_values_interpret_expressions = 1 VALUES (file('/etc/hostname'))"):
        assert rw(server, sql).status >= 400, sql
    assert refused(rw(server, "SET input_format_values_interpret_expressions = 1"), 497)
    assert ok(rw(server, "SELECT count() FROM notes")) == "0\n"
    ok(rw(server, "INSERT INTO notes VALUES ('plain literal')"))  # literals still load
    assert ok(rw(server, "SELECT s FROM notes")) == "plain literal\n"


# --- network -------------------------------------------------------------------------------
@pytest.mark.parametrize("template", [
    "SELECT * FROM url('http://127.0.0.1:{port}/x', 'TSV', 'a UInt8')",
    "INSERT INTO FUNCTION url('http://127.0.0.1:{port}/x', 'TSV', 'a UInt8') SELECT 1",
    "SELECT * FROM s3('http://127.0.0.1:{port}/bucket/x.tsv', 'TSV', 'a UInt8')",
    "SELECT * FROM remote('127.0.0.1:{port}', system.one)",
    "SELECT * FROM mysql('127.0.0.1:{port}', 'db', 't', 'u', 'p')",
    "SELECT * FROM postgresql('127.0.0.1:{port}', 'db', 't', 'u', 'p')",
    "CREATE TABLE leak (a UInt8) ENGINE = URL('http://127.0.0.1:{port}/x', TSV)",
    "SELECT * FROM urlCluster('default', 'http://127.0.0.1:{port}/x', 'TSV', 'a UInt8')",
    "CREATE TABLE leak AS url('http://127.0.0.1:{port}/x', 'TSV', 'a UInt8')",
    "CREATE TABLE leak AS s3('http://127.0.0.1:{port}/bucket/x.tsv', 'TSV', 'a UInt8')",
    "CREATE TABLE leak AS remote('127.0.0.1:{port}', system.one)",
    "SELECT * FROM merge(REGEXP('one'), url('http://127.0.0.1:{port}/x', 'TSV', 'a UInt8'))",
    "SELECT * FROM loop(url('http://127.0.0.1:{port}/x', 'TSV', 'a UInt8'))",
    "SELECT 1 SETTINGS format_avro_schema_registry_url = 'http://127.0.0.1:{port}/'",
])
def test_no_network_without_remote_host(server, receiver, template):
    before = len(receiver.hits)
    answer = rw(server, template.format(port=receiver.port))
    assert answer.status >= 400, answer.text
    assert answer.headers["x-clickhouse-exception-code"] == "497", answer.text
    time.sleep(0.2)
    assert len(receiver.hits) == before


# --- the process, other clients ----------------------------------------------------------
@pytest.mark.parametrize("sql", ["SYSTEM SHUTDOWN", "SYSTEM KILL", "SYSTEM DROP DNS CACHE", "SYSTEM RELOAD CONFIG",
                                 "KILL QUERY WHERE 1", "KILL QUERY WHERE 1 SYNC", "KILL MUTATION WHERE 1"])
def test_nobody_acts_on_the_process(server, sql):
    for who in (rw, ro):
        assert who(server, sql).status >= 400
    alive(server)


def test_readonly_user_cannot_kill_another_clients_query(server):
    result = {}

    def long_query():
        result["answer"] = rw(server, "SELECT sum(sleepEachRow(0.3)) + count() FROM numbers(8) "
                                      "SETTINGS max_block_size = 1", query_id="victim")

    worker = threading.Thread(target=long_query)
    worker.start()
    time.sleep(0.5)
    assert ro(server, "KILL QUERY WHERE query_id = 'victim'").status >= 400
    assert ro(server, "SELECT query_id FROM system.processes").status >= 400
    worker.join(30)
    assert ok(result["answer"]) == "8\n"  # it ran to its end


# --- state between clients ---------------------------------------------------------------
@pytest.mark.parametrize("statement, probe, clean", [
    ("# hidden\nUSE system", "SELECT currentDatabase()", "default\n"),
    ("#! hidden\nSET max_threads = 1", "SELECT getSetting('max_threads') = 1", "0\n"),
    ("/* hidden */ SET max_result_rows = 1", "SELECT count() FROM (SELECT * FROM numbers(5))", "5\n"),
    ("-- hidden\nCREATE TEMPORARY TABLE stuck (x UInt8)", "EXISTS TEMPORARY TABLE stuck", "0\n"),
])
def test_connection_state_never_reaches_the_next_client(server, statement, probe, clean):
    ok(rw(server, statement))
    for _ in range(12):  # more than the pool keeps per state
        assert ok(rw(server, probe)) == clean


def test_get_never_writes(server):
    before = canary(server)
    for params in ({"wait_end_of_query": "1", "readonly": "00"}, {"wait_end_of_query": "1", "session_id": "g1"},
                   {"readonly": "0"}, {}):
        answer = rw(server, "WITH 1 AS x INSERT INTO canary SELECT x, 'get'", method="GET", **params)
        refused(answer, 164)
    assert canary(server) == before


def test_readonly_user_stays_readonly(server):
    for params in ({"readonly": "0"}, {"readonly": "2"}, {"max_threads": "1"}):
        refused(ro(server, "SELECT 1", method="GET", **params), 164)
    refused(ro(server, "SELECT 1 SETTINGS readonly = 0"), 164)
    refused(ro(server, "SELECT 1 SETTINGS readonly = 00"), 164)  # read as a number: 0
    refused(ro(server, "SELECT 1 SETTINGS readonly = 2"), 164)
    refused(ro(server, "SET readonly = 0", session_id="ro-1"), 164)
    # restating its own level is the one setting it may name, in the URL or the statement alike
    for params, sql in (({"readonly": "01"}, "SELECT 1"), ({}, "SELECT 1 SETTINGS readonly = 01")):
        assert ok(ro(server, sql, **params)) == "1\n"
    refused(ro(server, "SELECT count() FROM merge('system', '.*')"), 497)
    refused(ro(server, "SELECT count() FROM processes", database="system"), 497)
    refused(ro(server, "USE system"), 497)


def test_readonly_user_sees_the_catalogue_but_not_queries_or_logs(server):
    """The decision: system's catalogue (tables, columns, databases, settings...) yes; other
    clients' queries (processes, query_log) and the server's logs no."""
    assert "canary" in ok(ro(server, "SELECT name FROM system.tables WHERE database = 'default'"))
    assert ok(ro(server, "SELECT count() > 0 FROM system.columns WHERE table = 'canary'")) == "1\n"
    for table in ("processes", "query_log", "text_log", "server_settings", "users", "grants"):
        refused(ro(server, f"SELECT * FROM system.{table}"), 497)
    ok(rw(server, "SELECT count() FROM system.processes"))  # the read-write user is the admin


def test_parser_settings_are_not_the_clients(server):
    """A dialect switch would make the engine read the text differently from the verdict."""
    for sql in ("SET dialect = 'kusto'", "SELECT 1 SETTINGS dialect = 'prql'"):
        refused(rw(server, sql), 497)
    refused(rw(server, "SELECT 1", dialect="kusto"), 497)
    refused(rw(server, "SET default_table_engine = 'File'"), 497)


def test_several_statements_are_one_syntax_error(server):
    before = canary(server)
    for sql in ("SELECT 1; INSERT INTO canary VALUES (5000, 'x')", "SELECT 1;SYSTEM SHUTDOWN",
                "SELECT 1; SELECT file('/etc/passwd')"):
        refused(rw(server, sql), 62)
    assert canary(server) == before
    alive(server)


# --- requests themselves -----------------------------------------------------------------
TSV_ROWS = b"".join(b"%d\tx\n" % n for n in range(2000, 12000))


def _compressed(encoding: str, data: bytes) -> bytes:
    if encoding == "gzip":
        return gzip.compress(data)
    if encoding == "deflate":
        return zlib.compress(data)
    if encoding == "zstd":
        return zstandard.ZstdCompressor().compress(data)
    return lz4.frame.compress(data)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "zstd", "lz4"])
def test_truncated_compressed_body_inserts_nothing(server, encoding):
    before = canary(server)
    body = _compressed(encoding, TSV_ROWS)
    answer = http(server, "POST", {"user": RW, "password": RW_PASSWORD, "query": "INSERT INTO canary FORMAT TSV"},
                  body[: len(body) // 2], headers={"Content-Encoding": encoding})
    refused(answer, 271)
    assert canary(server) == before
    # The whole body goes in (and is taken out again): the refusal was about the truncation.
    ok(http(server, "POST", {"user": RW, "password": RW_PASSWORD, "query": "INSERT INTO canary FORMAT TSV"},
            body, headers={"Content-Encoding": encoding}))
    ok(rw(server, "ALTER TABLE canary DELETE WHERE x >= 2000 SETTINGS mutations_sync = 1"))
    assert canary(server) == before


def peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        return next(int(line.split()[1]) for line in handle if line.startswith("VmHWM:"))


def test_decompression_bomb_is_refused_within_the_limit(server):
    bomb = zstandard.ZstdCompressor(level=19).compress(b"\0" * (1 << 30))  # 1 GiB of zeros
    assert len(bomb) < 64 * 1024
    peak_before = peak_rss_kib(server.pid)
    answer = http(server, "POST", {"user": RW, "password": RW_PASSWORD, "query": "INSERT INTO canary FORMAT TSV"},
                  bomb, headers={"Content-Encoding": "zstd"})
    refused(answer, 307)
    grown_mib = (peak_rss_kib(server.pid) - peak_before) / 1024
    assert grown_mib < 64, f"peak memory grew by {grown_mib:.0f} MiB for a {BODY_LIMIT >> 20} MiB limit"
    alive(server)


def test_bad_session_parameters(server):
    for value in ("nan", "inf", "-1", "0", "abc", "100000"):
        refused(rw(server, "SELECT 1", session_id="s-bad", session_timeout=value), 36)
