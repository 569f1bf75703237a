"""Results as a ClickHouse 26.x server sends them: one output per result whatever the format,
and a failure after the result started reported as an error by clickhouse-connect in every
read mode (sync and async clients, compression on and off, every error display mode)."""

import asyncio
import io

import pyarrow as pa
import pyarrow.ipc
import pyarrow.parquet as pq
import pytest
from endpoint import http

# throwIf on a late row: the first ~200k rows are sent (status 200) before the failure.
LATE_FAILURE = ("SELECT number, toString(number) AS s, throwIf(number = 200000, 'late failure') AS f "
                "FROM numbers(300000) SETTINGS max_block_size = 1000")
ROWS = 300_000
COMPRESSION = [pytest.param(True, id="compressed"), pytest.param(False, id="uncompressed")]


def _consume(context):
    with context as stream:
        return [block for block in stream]


SYNC_MODES = {
    "query": lambda c, sql: c.query(sql).result_rows,
    "query_df": lambda c, sql: c.query_df(sql),
    "query_np": lambda c, sql: c.query_np(sql),
    "query_arrow": lambda c, sql: c.query_arrow(sql),
    "raw_query": lambda c, sql: c.raw_query(sql),
    "raw_stream": lambda c, sql: list(c.raw_stream(sql)),
    "query_rows_stream": lambda c, sql: _consume(c.query_rows_stream(sql)),
    "query_column_block_stream": lambda c, sql: _consume(c.query_column_block_stream(sql)),
    "query_row_block_stream": lambda c, sql: _consume(c.query_row_block_stream(sql)),
    "query_df_stream": lambda c, sql: _consume(c.query_df_stream(sql)),
    "query_np_stream": lambda c, sql: _consume(c.query_np_stream(sql)),
    "query_arrow_stream": lambda c, sql: _consume(c.query_arrow_stream(sql)),
}


async def _consume_async(context_coroutine):
    async with await context_coroutine as stream:
        return [block async for block in stream]


ASYNC_MODES = {
    "query": lambda c, sql: c.query(sql),
    "query_df": lambda c, sql: c.query_df(sql),
    "query_arrow": lambda c, sql: c.query_arrow(sql),
    "raw_query": lambda c, sql: c.raw_query(sql),
    "query_rows_stream": lambda c, sql: _consume_async(c.query_rows_stream(sql)),
    "query_column_block_stream": lambda c, sql: _consume_async(c.query_column_block_stream(sql)),
    "query_row_block_stream": lambda c, sql: _consume_async(c.query_row_block_stream(sql)),
    "query_df_stream": lambda c, sql: _consume_async(c.query_df_stream(sql)),
    "query_arrow_stream": lambda c, sql: _consume_async(c.query_arrow_stream(sql)),
}
# Modes whose reader is not clickhouse-connect's own (raw bytes; pyarrow's IPC reader): the broken
# transfer is what they report, as against a server, since nothing there parses the tagged block.
TRANSPORT_ONLY = {"raw_stream", "query_arrow_stream"}
ASYNC_TRANSPORT_ONLY = {"query_arrow", "query_arrow_stream"}  # the async query_arrow reads ArrowStream


@pytest.mark.parametrize("compress", COMPRESSION)
@pytest.mark.parametrize("mode", sorted(SYNC_MODES))
def test_sync_client_reports_a_late_failure(endpoint, mode, compress):
    client = endpoint.client(compress=compress)
    with pytest.raises(Exception) as failure:
        SYNC_MODES[mode](client, LATE_FAILURE)
    if mode not in TRANSPORT_ONLY:
        assert "late failure" in str(failure.value) and "395" in str(failure.value)
    assert client.query("SELECT 1").result_rows == [(1,)]  # the client and endpoint carry on


@pytest.mark.parametrize("compress", COMPRESSION)
@pytest.mark.parametrize("mode", sorted(ASYNC_MODES))
def test_async_client_reports_a_late_failure(endpoint, mode, compress):
    import clickhouse_connect

    async def run():
        client = await clickhouse_connect.get_async_client(host=endpoint.host, port=endpoint.port, compress=compress)
        try:
            with pytest.raises(Exception) as failure:
                await ASYNC_MODES[mode](client, LATE_FAILURE)
            if mode not in ASYNC_TRANSPORT_ONLY:
                assert "late failure" in str(failure.value) and "395" in str(failure.value)
            assert (await client.query("SELECT 1")).result_rows == [(1,)]
        finally:
            await client.close()

    asyncio.run(run())


@pytest.mark.parametrize("display", [True, False, "scrub"])
@pytest.mark.parametrize("mode", ["query", "query_column_block_stream", "query_df_stream"])
def test_every_error_display_mode_still_raises(endpoint, display, mode):
    client = endpoint.client(show_clickhouse_errors=display)
    with pytest.raises(Exception) as failure:
        SYNC_MODES[mode](client, LATE_FAILURE)
    # False hides the server's text (True and "scrub" show it), never the failure itself.
    assert ("late failure" in str(failure.value)) == (display is not False)


@pytest.mark.parametrize("compress", COMPRESSION)
def test_arrow_stream_is_one_ipc_stream_read_block_by_block(endpoint, compress):
    """chDB writes every block as a whole IPC stream: the endpoint sends one stream of many batches."""
    client = endpoint.client(compress=compress)
    sql = f"SELECT number, toString(number) AS s FROM numbers({ROWS}) SETTINGS max_block_size = 1000"
    with client.query_arrow_stream(sql) as stream:
        batches = list(stream)
    assert len(batches) > 100  # read incrementally, not as one table
    assert sum(batch.num_rows for batch in batches) == ROWS
    assert sum(sum(batch.column(0).to_pylist()) for batch in batches) == ROWS * (ROWS - 1) // 2


def test_raw_arrow_stream_reads_as_one_stream(endpoint):
    sql = f"SELECT number FROM numbers({ROWS}) SETTINGS max_block_size = 1000 FORMAT ArrowStream"
    body = http(endpoint, "GET", {"query": sql}).body
    table = pyarrow.ipc.open_stream(pa.py_buffer(body)).read_all()
    assert table.num_rows == ROWS and table.column(0).to_pylist()[-1] == ROWS - 1


def _expected_text(fmt: str) -> bytes:
    """The oracle: what the format's whole output is, written here from the rows."""
    n = 30_000
    if fmt == "TSVWithNames":
        return b"number\n" + b"".join(b"%d\n" % i for i in range(n))
    if fmt == "TSVWithNamesAndTypes":
        return b"number\nUInt64\n" + b"".join(b"%d\n" % i for i in range(n))
    if fmt == "CSVWithNames":
        return b'"number"\n' + b"".join(b"%d\n" % i for i in range(n))
    if fmt == "JSONCompactEachRowWithNames":
        return b'["number"]\n' + b"".join(b'["%d"]\n' % i for i in range(n))
    raise AssertionError(fmt)


@pytest.mark.parametrize("fmt", ["TSVWithNames", "TSVWithNamesAndTypes", "CSVWithNames", "JSONCompactEachRowWithNames"])
def test_header_formats_have_one_header(endpoint, fmt):
    sql = f"SELECT number FROM numbers(30000) SETTINGS max_block_size = 100, output_format_json_quote_64bit_integers = 1"
    body = http(endpoint, "POST", {"default_format": fmt}, sql.encode()).body
    assert body == _expected_text(fmt)


def test_row_binary_with_names_and_types_streams_one_header(endpoint):
    import struct

    sql = "SELECT number FROM numbers(100000) SETTINGS max_block_size = 100 FORMAT RowBinaryWithNamesAndTypes"
    body = http(endpoint, "GET", {"query": sql}).body
    header = b"\x01\x06number\x06UInt64"
    assert body.startswith(header)
    values = struct.unpack(f"<{100000}Q", body[len(header):])
    assert values == tuple(range(100000))


@pytest.mark.parametrize("fmt", ["JSON", "Arrow", "Parquet"])
def test_formats_written_whole_are_whole(endpoint, fmt):
    """Formats whose blocks do not concatenate are answered once complete: one document."""
    sql = f"SELECT number FROM numbers(100000) SETTINGS max_block_size = 1000 FORMAT {fmt}"
    body = http(endpoint, "GET", {"query": sql}).body
    if fmt == "JSON":
        import json
        assert [int(row["number"]) for row in json.loads(body)["data"]] == list(range(100000))
    elif fmt == "Arrow":
        assert pyarrow.ipc.open_file(pa.py_buffer(body)).read_all().num_rows == 100000
    else:
        assert pq.read_table(io.BytesIO(body)).column(0).to_pylist() == list(range(100000))


def test_empty_result_keeps_its_header(endpoint):
    sql = "SELECT number FROM numbers(10) WHERE number > 100 FORMAT TSVWithNamesAndTypes"
    assert http(endpoint, "GET", {"query": sql}).body == b"number\nUInt64\n"
