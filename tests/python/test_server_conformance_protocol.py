"""The HTTP interface as a ClickHouse 26.x server speaks it to clickhouse-connect and curl:
query ids and system.query_log, command summaries, SHOW GRANTS / SHOW CREATE / roles,
client_protocol_version, newest type names, per-column timezones, external data."""

import asyncio
import json
import socket
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from clickhouse_connect.driver.external import ExternalData
from clickhouse_connect.driver.summary import QuerySummary
from endpoint import http, start_endpoint

COMPRESSION = [pytest.param(True, id="compressed"), pytest.param(False, id="uncompressed")]
READER_PASSWORD = "reader-secret"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An endpoint with a read-only user as well."""
    endpoint = start_endpoint(str(tmp_path_factory.mktemp("conformance") / "data"), "--readonly-user", "reader",
                              env={"FEEDSTAR_READONLY_PASSWORD": READER_PASSWORD})
    yield endpoint
    endpoint.stop()


def flushed_log(client, query_id):
    client.command("SYSTEM FLUSH LOGS")
    return client.query("SELECT type, user, query_kind, Settings['max_threads'], exception_code "
                        "FROM system.query_log WHERE query_id = {q:String} ORDER BY event_time_microseconds, type",
                        parameters={"q": query_id}).result_rows


# --- query_id and system.query_log -----------------------------------------------------------
def test_a_query_id_is_generated_and_returned(server):
    ids = {http(server, "GET", {"query": "SELECT 1"}).headers["x-clickhouse-query-id"] for _ in range(3)}
    assert len(ids) == 3 and all(uuid.UUID(value) for value in ids)
    answer = http(server, "GET", {"query": "SELECT 1", "query_id": "mine-1"})
    assert answer.headers["x-clickhouse-query-id"] == "mine-1"


def test_query_log_has_query_id_user_and_settings(server):
    client = server.client()
    result = client.query("SELECT 42", settings={"query_id": "logged-1", "max_threads": 3})
    assert result.query_id == "logged-1"
    assert flushed_log(client, "logged-1") == [("QueryStart", "default", "Select", "3", 0),
                                               ("QueryFinish", "default", "Select", "3", 0)]
    reader = server.client(username="reader", password=READER_PASSWORD)
    reader.query("SELECT 1", settings={"query_id": "logged-2"})
    with pytest.raises(Exception, match="failure here"):
        client.query("SELECT throwIf(1, 'failure here')", settings={"query_id": "logged-3"})
    assert [row[:2] for row in flushed_log(client, "logged-2")] == [("QueryStart", "reader"), ("QueryFinish", "reader")]
    assert [row[0] for row in flushed_log(client, "logged-3")][-1] == "ExceptionWhileProcessing"
    assert flushed_log(client, "logged-3")[-1][4] == 395
    # The log is the read-write user's, as on a server with default grants for query_log; not the reader's.
    with pytest.raises(Exception, match="ACCESS_DENIED|Not enough privileges"):
        reader.query("SELECT count() FROM system.query_log")


def test_a_streamed_query_is_logged_when_it_ends(server):
    client = server.client()
    with client.query_column_block_stream("SELECT number FROM numbers(3000000)",
                                          settings={"query_id": "streamed-1"}) as stream:
        assert sum(len(block[0]) for block in stream) == 3_000_000
    assert [row[0] for row in flushed_log(client, "streamed-1")] == ["QueryStart", "QueryFinish"]


# --- command results ---------------------------------------------------------------------------
@pytest.mark.parametrize("compress", COMPRESSION)
def test_commands_return_a_summary_not_a_result(server, compress):
    client = server.client(compress=compress)
    table = f"summary_{int(compress)}"
    created = client.command(f"CREATE TABLE {table} (x UInt32) ENGINE = MergeTree ORDER BY x")
    assert isinstance(created, QuerySummary)
    inserted = client.command(f"INSERT INTO {table} SELECT number FROM numbers(7)")
    assert isinstance(inserted, QuerySummary) and inserted.written_rows == 7
    assert client.command(f"SELECT count() FROM {table}") == 7
    answer = http(server, "POST", {}, f"DROP TABLE {table}".encode())
    assert "x-clickhouse-format" not in answer.headers
    assert json.loads(answer.headers["x-clickhouse-summary"])["written_rows"] == "0"


def test_show_create_table_and_grants(server):
    client = server.client()
    client.command("CREATE TABLE shown (x UInt8, CONSTRAINT small CHECK x < 10) ENGINE = MergeTree ORDER BY x")
    ddl = client.command("SHOW CREATE TABLE shown")
    assert "CONSTRAINT small CHECK x < 10" in ddl and "ENGINE = MergeTree" in ddl
    writer = client.query("SHOW GRANTS")
    assert writer.column_names == ("GRANTS FOR default",)
    assert writer.result_rows[0][0].startswith("GRANT SHOW, SELECT, INSERT") and "FILE" not in str(writer.result_rows)
    reader = server.client(username="reader", password=READER_PASSWORD).query("SHOW GRANTS").result_rows
    assert reader[:2] == [("GRANT SHOW, SELECT ON *.* TO `reader`",), ("REVOKE SELECT ON system.* FROM `reader`",)]
    assert ("GRANT SELECT ON system.tables TO `reader`",) in reader


def test_row_policies_and_roles_get_clickhouse_errors(server):
    answer = http(server, "GET", {"query": "SHOW ROW POLICIES"})
    assert answer.status == 403 and answer.headers["x-clickhouse-exception-code"] == "497"
    assert b"SHOW ROW POLICIES" in answer.body
    answer = http(server, "GET", {"query": "SELECT 1", "role": "analyst"})
    assert answer.headers["x-clickhouse-exception-code"] == "511" and b"analyst" in answer.body  # UNKNOWN_ROLE


# --- protocol version, types, timezones ---------------------------------------------------------
def test_client_protocol_version_negotiates_revision_zero_native(server):
    """Native is written at revision 0 whatever the client asks (no block info); clickhouse-connect's
    probe sees that and reads revision-0 Native, as behind a proxy that strips the parameter."""
    body = http(server, "GET", {"query": "SELECT 1 AS check FORMAT Native", "client_protocol_version": "54405"}).body
    assert body == b"\x01\x01\x05check\x05UInt8\x01"
    client = server.client()
    assert client.protocol_version == 0
    assert client.query("SELECT toLowCardinality('a') AS v").result_rows == [("a",)]


def test_row_binary_with_names_and_types_has_the_newest_type_names(server):
    sql = ("SELECT 1::Time64(0) a, 1::Time64(3) b, 1::Time64(6) c, 1::Time64(9) d, 7::Variant(UInt8, String) v, "
           "'x'::Dynamic y, toDateTime('2025-01-01 10:00:00', 'Asia/Tokyo') t "
           "SETTINGS enable_time_time64_type = 1 FORMAT RowBinaryWithNamesAndTypes")
    body = http(server, "GET", {"query": sql}).body
    header = body[:body.index(b"Asia/Tokyo')") + len(b"Asia/Tokyo')")]
    for name in (b"Time64(0)", b"Time64(3)", b"Time64(6)", b"Time64(9)", b"Variant(String, UInt8)", b"Dynamic",
                 b"DateTime('Asia/Tokyo')"):
        assert name in header
    client = server.client()
    rows = client.query(sql.replace(" FORMAT RowBinaryWithNamesAndTypes", "")).result_rows
    assert rows[0][:6] == (timedelta(seconds=1),) * 4 + (7, "x")


def test_timezones_per_column(server):
    client = server.client()
    sql = ("SELECT toDateTime64('2025-01-01 10:00:00.5', 3, 'America/New_York') AS ny, "
           "toDateTime64('2025-01-01 10:00:00.5', 3, 'Asia/Tokyo') AS tokyo")
    ny, tokyo = client.query(sql).result_rows[0]
    assert ny == datetime(2025, 1, 1, 10, 0, 0, 500000, tzinfo=ZoneInfo("America/New_York"))
    assert tokyo == datetime(2025, 1, 1, 10, 0, 0, 500000, tzinfo=ZoneInfo("Asia/Tokyo"))
    arrow = client.query_arrow("SELECT toDateTime64('2025-01-01 10:00:00', 3, 'Asia/Tokyo') AS t")
    assert arrow.schema.field("t").type.tz == "Asia/Tokyo"
    answer = http(server, "GET", {"query": "SELECT 1", "session_timezone": "Asia/Tokyo"})
    assert answer.headers["x-clickhouse-timezone"] == "Asia/Tokyo"


# --- external data ---------------------------------------------------------------------------
def people(name="people"):
    return ExternalData(file_name=name, data=b"1\talice\n2\tbob\n3\tcarol\n", structure=["id UInt32", "name String"])


@pytest.mark.parametrize("compress", COMPRESSION)
def test_external_data_with_the_sync_client(server, compress):
    client = server.client(compress=compress)
    result = client.query("SELECT name FROM people WHERE id >= 2 ORDER BY id", external_data=people())
    assert result.result_rows == [("bob",), ("carol",)]
    typed = ExternalData(file_name="pairs", data=b'1,"a"\n2,"b"\n', fmt="CSV", types="UInt8,String")
    assert client.query("SELECT sum(_1), groupArray(_2) FROM pairs", external_data=typed).result_rows == [(3, ["a", "b"])]
    # Gone after the request, and never visible on another connection.
    with pytest.raises(Exception, match="UNKNOWN_TABLE|doesn't exist|Unknown table"):
        client.query("SELECT * FROM people")


@pytest.mark.parametrize("compress", COMPRESSION)
def test_external_data_with_the_async_client(server, compress):
    import clickhouse_connect

    async def run():
        client = await clickhouse_connect.get_async_client(host=server.host, port=server.port, compress=compress)
        try:
            result = await client.query("SELECT count(), max(name) FROM people", external_data=people())
            return result.result_rows
        finally:
            await client.close()

    assert asyncio.run(run()) == [(3, "carol")]


def test_external_data_for_the_read_only_user_and_in_raw_http(server):
    reader = server.client(username="reader", password=READER_PASSWORD, autogenerate_session_id=False)
    assert reader.query("SELECT count() FROM people", external_data=people()).result_rows == [(3,)]
    from urllib3 import encode_multipart_formdata

    body, content_type = encode_multipart_formdata({"t": ("t.tsv", b"5\n6\n", "text/plain")})
    answer = http(server, "POST", {"query": "SELECT sum(x) FROM t", "t_structure": "x UInt16"}, body,
                  headers={"Content-Type": content_type})
    assert (answer.status, answer.body) == (200, b"11\n")


@pytest.mark.parametrize("params, message", [
    ({"t_structure": "x UInt8 DEFAULT now()"}, b"more than column names and types"),
    # The engine would evaluate the default while describing the structure: the file's content
    # would come back in the conversion error.
    ({"t_structure": "x UInt8 DEFAULT toUInt8(file('/etc/hostname'))"}, b"more than column names and types"),
    ({"t_types": "UInt8 DEFAULT toUInt8(file('/etc/hostname'))"}, b"more than column names and types"),
    ({"t_structure": "x UInt8) ENGINE = File(TSV, '/etc/passwd') --"}, b"more than column names and types"),
    ({"t_structure": "x UInt8); SYSTEM SHUTDOWN; --"}, b"does not parse"),
    ({"t_structure": "x UInt8", "t_format": "Template"}, b"not an input format"),
    ({"t_types": "UInt8", "t_structure": "x UInt8"}, b"exactly one of"),
])
def test_external_data_is_never_sql(server, params, message):
    from urllib3 import encode_multipart_formdata

    body, content_type = encode_multipart_formdata({"t": ("t.tsv", b"1\n", "text/plain")})
    answer = http(server, "POST", {"query": "SELECT * FROM t", **params}, body, headers={"Content-Type": content_type})
    assert answer.status >= 400 and message in answer.body, answer.text
    assert socket.gethostname().encode() not in answer.body


def test_external_table_names_must_be_identifiers(server):
    from urllib3 import encode_multipart_formdata

    body, content_type = encode_multipart_formdata({"a b": ("t.tsv", b"1\n", "text/plain")})
    answer = http(server, "POST", {"query": "SELECT 1"}, body, headers={"Content-Type": content_type})
    assert answer.status == 400 and b"plain identifier" in answer.body


def test_external_data_is_bounded_by_the_body_limit(tmp_path):
    from urllib3 import encode_multipart_formdata

    endpoint = start_endpoint(str(tmp_path / "data"), "--max-body-bytes", "2048")
    try:
        body, content_type = encode_multipart_formdata({"t": ("t.tsv", b"1\n" * 4096, "text/plain")})
        answer = http(endpoint, "POST", {"query": "SELECT count() FROM t", "t_structure": "x UInt8"}, body,
                      headers={"Content-Type": content_type})
        assert answer.headers["x-clickhouse-exception-code"] == "307"  # TOO_MANY_BYTES
    finally:
        endpoint.stop()
