"""The ClickHouse HTTP interface of `feedstar serve`, spoken raw (urllib), one feature at a time."""

import json
import uuid

import pytest
from endpoint import http


def query(endpoint, sql, **params):
    answer = http(endpoint, "POST", params, sql.encode())
    assert answer.status == 200, answer.text
    return answer.text


@pytest.fixture(scope="module")
def events(endpoint):
    """A small table: x = 1..10, so sum(x) = 55."""
    query(endpoint, "CREATE TABLE IF NOT EXISTS events (x UInt32, s String) ENGINE = MergeTree ORDER BY x")
    query(endpoint, "INSERT INTO events SELECT number + 1, toString(number + 1) FROM numbers(10)")
    return "events"


def test_root_and_ping_answer_ok(endpoint):
    for path in ("/", "/ping"):
        answer = http(endpoint, "GET", path=path)
        assert (answer.status, answer.body) == (200, b"Ok.\n")
    head = http(endpoint, "HEAD", path="/ping")
    assert (head.status, head.body) == (200, b"")


def test_get_query_with_every_response_header(endpoint):
    query_id = f"test-{uuid.uuid4()}"
    answer = http(endpoint, "GET", {"query": "SELECT 40 + 2", "query_id": query_id})
    assert (answer.status, answer.body) == (200, b"42\n")
    headers = answer.headers
    assert headers["x-clickhouse-query-id"] == query_id
    assert headers["x-clickhouse-format"] == "TabSeparated"
    assert headers["x-clickhouse-timezone"] == query(endpoint, "SELECT timezone()").strip()
    assert headers["x-clickhouse-server-display-name"]
    assert len(headers["x-clickhouse-exception-tag"]) == 16
    summary = json.loads(headers["x-clickhouse-summary"])
    assert {"read_rows", "read_bytes", "written_rows", "written_bytes", "elapsed_ns"} <= set(summary)
    assert headers["content-type"].startswith("text/tab-separated-values")
    # Without a query_id the server makes one up, different each time.
    first = http(endpoint, "GET", {"query": "SELECT 1"}).headers["x-clickhouse-query-id"]
    second = http(endpoint, "GET", {"query": "SELECT 1"}).headers["x-clickhouse-query-id"]
    assert first and second and first != second


def test_post_query_in_body_in_url_and_with_inline_data(endpoint):
    query(endpoint, "CREATE TABLE post_forms (k String, v UInt32) ENGINE = MergeTree ORDER BY k")
    # 1. the query in the URL, its data in the body
    answer = http(endpoint, "POST", {"query": "INSERT INTO post_forms FORMAT CSV"}, b"a,1\nb,2\n")
    assert answer.status == 200, answer.text
    # 2. the query text followed by inline data, all in the body
    assert query(endpoint, "INSERT INTO post_forms FORMAT TabSeparated\nc\t3\nd\t4\n") == ""
    # 3. the start of the query in the URL and the rest in the body
    answer = http(endpoint, "POST", {"query": "INSERT INTO post_forms"}, b"VALUES ('e', 5)")
    assert answer.status == 200, answer.text
    assert query(endpoint, "SELECT groupArray(k), sum(v) FROM (SELECT * FROM post_forms ORDER BY k)") == \
        "['a','b','c','d','e']\t15\n"


def test_database_parameter_picks_the_current_database(endpoint):
    query(endpoint, "CREATE DATABASE IF NOT EXISTS other")
    query(endpoint, "CREATE TABLE other.only_here (x UInt8) ENGINE = Memory")
    query(endpoint, "INSERT INTO other.only_here VALUES (7)")
    assert query(endpoint, "SELECT x FROM only_here", database="other") == "7\n"
    assert query(endpoint, "SELECT currentDatabase()", database="other") == "other\n"
    # ... for that request only: the next one is back in `default`.
    assert query(endpoint, "SELECT currentDatabase()") == "default\n"


def test_default_format_and_trailing_format(endpoint, events):
    answer = http(endpoint, "GET", {"query": "SELECT sum(x) AS total FROM events", "default_format": "JSONEachRow"})
    assert json.loads(answer.body) == {"total": 55}
    assert answer.headers["x-clickhouse-format"] == "JSONEachRow"
    # A FORMAT clause in the query wins over default_format, with or without a trailing `;`.
    for sql in ("SELECT sum(x) FROM events FORMAT CSV", "SELECT sum(x) FROM events FORMAT CSV;"):
        answer = http(endpoint, "POST", {"default_format": "JSONEachRow"}, sql.encode())
        assert (answer.body, answer.headers["x-clickhouse-format"]) == (b"55\n", "CSV")


def test_statement_terminated_by_semicolon(endpoint, events):
    assert query(endpoint, "SELECT count() FROM events;") == "10\n"
    assert query(endpoint, "SELECT count() FROM events ;\n") == "10\n"


def test_query_parameters_are_bound_not_spliced(endpoint, events):
    assert query(endpoint, "SELECT sum(x) FROM events WHERE x > {low:UInt32}", param_low="7") == "27\n"  # 8+9+10
    hostile = "x' OR 1=1 --"
    answer = query(endpoint, "SELECT {s:String}, length({s:String})", param_s=hostile)
    assert answer == f"x\\' OR 1=1 --\t{len(hostile)}\n"  # TabSeparated escapes the quote
    assert query(endpoint, "SELECT count() FROM events WHERE s = {s:String}", param_s="3' OR '1'='1") == "0\n"


def test_settings_as_url_parameters(endpoint):
    assert query(endpoint, "SELECT getSetting('max_block_size')", max_block_size="1234") == "1234\n"
    assert query(endpoint, "SELECT getSetting('max_block_size')") != "1234\n"  # not left behind
    answer = http(endpoint, "POST", {"no_such_setting_anywhere": "1"}, b"SELECT 1")
    assert answer.status >= 400 and answer.headers["x-clickhouse-exception-code"] == "115"
    # A setting name is an identifier: anything else is refused before reaching SQL.
    answer = http(endpoint, "POST", {"max_threads = 1, readonly": "0"}, b"SELECT 1")
    assert answer.status >= 400 and answer.headers["x-clickhouse-exception-code"] == "115"


def test_multipart_form_body_carries_query_and_parameters(endpoint):
    from urllib3 import encode_multipart_formdata

    body, content_type = encode_multipart_formdata(
        {"query": "SELECT {a:UInt32} * {b:UInt32} FORMAT CSV", "param_a": "6", "param_b": "7"})
    answer = http(endpoint, "POST", {}, body, headers={"Content-Type": content_type})
    assert (answer.status, answer.body) == (200, b"42\n")
    # A file part is an external table; without its structure it is refused, as on a server.
    body, content_type = encode_multipart_formdata(
        {"query": "SELECT sum(x) FROM ext", "ext": ("ext.tsv", b"1\n2\n", "text/plain")})
    answer = http(endpoint, "POST", {}, body, headers={"Content-Type": content_type})
    assert answer.status == 400 and b"ext_structure or ext_types" in answer.body
    answer = http(endpoint, "POST", {"ext_structure": "x UInt8"}, body, headers={"Content-Type": content_type})
    assert (answer.status, answer.body) == (200, b"3\n")
    # A body that is not multipart at all under a multipart content type.
    answer = http(endpoint, "POST", {}, b"SELECT 1", headers={"Content-Type": "multipart/form-data; boundary=zz"})
    assert answer.status == 400 and b"multipart/form-data" in answer.body


def test_urlencoded_body_is_query_text_as_on_a_server(endpoint):
    # curl -d 'SELECT 1' sends application/x-www-form-urlencoded: ClickHouse reads it as SQL.
    answer = http(endpoint, "POST", {}, b"SELECT 5", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.body == b"5\n"


def test_unknown_path_and_method(endpoint):
    assert http(endpoint, "GET", {"query": "SELECT 1"}, path="/nope").status == 404
    assert http(endpoint, "PUT", {}, b"SELECT 1").status == 405
    assert http(endpoint, "GET", path="/ping").body == b"Ok.\n"
