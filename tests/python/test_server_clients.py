"""clickhouse-connect against the endpoint, with its defaults (compression on) and compression off;
many clients at once; /ping while a long query runs."""

import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest

COMPRESSION = [pytest.param({}, id="defaults"), pytest.param({"compress": False}, id="compress-off")]


@pytest.fixture(scope="module", params=COMPRESSION)
def client(request, endpoint):
    return endpoint.client(**request.param)


def test_query_with_parameters(client):
    result = client.query("SELECT {n:UInt32} * 2 AS doubled, {s:String} AS text, {d:Date} AS day",
                          parameters={"n": 21, "s": "it's", "d": date(2025, 3, 9)})
    assert result.column_names == ("doubled", "text", "day")
    assert result.result_rows == [(42, "it's", date(2025, 3, 9))]


def test_long_parameters_go_as_a_multipart_form(client):
    # Over 4 KiB of bound values, clickhouse-connect moves query and parameters into a form body.
    values = [f"v{i:05d}" for i in range(1000)]
    result = client.query("SELECT length({values:Array(String)}), {values:Array(String)}[1000]",
                          parameters={"values": values})
    assert result.result_rows == [(1000, "v00999")]


def test_insert_100k_rows_then_dataframe_and_arrow(client):
    table = f"inserted_{id(client)}"
    client.command(f"CREATE TABLE {table} (id UInt32, name String, score Float64) ENGINE = MergeTree ORDER BY id")
    rows = [(i, f"user{i % 977}", i * 0.5) for i in range(100_000)]
    client.insert(table, rows, column_names=["id", "name", "score"])
    # The oracle: the same aggregates computed in plain Python over the rows sent.
    expected = (len(rows), sum(r[0] for r in rows), len({r[1] for r in rows}), sum(r[2] for r in rows))
    assert client.query(f"SELECT count(), sum(id), uniqExact(name), sum(score) FROM {table}").result_rows == [expected]

    frame = client.query_df(f"SELECT id, name, score FROM {table} WHERE id % 1000 = 7 ORDER BY id")
    assert list(frame["id"]) == [i for i in range(100_000) if i % 1000 == 7]
    assert list(frame["name"])[:2] == ["user7", "user30"]  # 1007 % 977 = 30
    assert frame["score"].sum() == sum(i * 0.5 for i in range(100_000) if i % 1000 == 7)

    arrow = client.query_arrow(f"SELECT id, score FROM {table} WHERE id < 5 ORDER BY id")
    assert arrow.column("id").to_pylist() == [0, 1, 2, 3, 4]
    assert arrow.column("score").to_pylist() == [0.0, 0.5, 1.0, 1.5, 2.0]


def test_streamed_2m_row_result(client):
    rows, total, blocks = 0, 0, 0
    with client.query_column_block_stream("SELECT number FROM numbers(2000000)") as stream:
        for block in stream:
            blocks += 1
            rows += len(block[0])
            total += sum(block[0])
    assert rows == 2_000_000
    assert total == 2_000_000 * 1_999_999 // 2  # 0 + 1 + ... + 1999999
    assert blocks > 1  # it came in pieces, not as one buffer


def test_eight_concurrent_clients_insert_and_select(endpoint):
    setup = endpoint.client()
    setup.command("CREATE TABLE concurrent (worker UInt8, n UInt32) ENGINE = MergeTree ORDER BY (worker, n)")
    rounds, per_round = 10, 100

    def work(worker: int):
        client = endpoint.client(compress=worker % 2 == 0)  # half with compression, half without
        seen = []
        for r in range(rounds):
            client.insert("concurrent", [(worker, r * per_round + i) for i in range(per_round)],
                          column_names=["worker", "n"])
            seen.append(client.query("SELECT count() FROM concurrent WHERE worker = {w:UInt8}",
                                     parameters={"w": worker}).result_rows[0][0])
        return seen

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for seen in results:  # each worker sees its own rows grow by exactly one round each time
        assert seen == [per_round * (r + 1) for r in range(rounds)]
    n = rounds * per_round
    assert setup.query("SELECT count(), sum(n) FROM concurrent").result_rows == [(8 * n, 8 * n * (n - 1) // 2)]


def test_ping_and_short_queries_answer_while_a_long_query_runs(endpoint):
    long_client = endpoint.client()
    finished = threading.Event()

    def long_query():  # about 4 s: 8 blocks of one row, each sleeping 0.5 s
        long_client.query("SELECT sleepEachRow(0.5) FROM numbers(8) SETTINGS max_block_size = 1")
        finished.set()

    runner = threading.Thread(target=long_query)
    runner.start()
    time.sleep(0.5)
    other = endpoint.client()
    try:
        for _ in range(3):
            started = time.monotonic()
            with urllib.request.urlopen(f"{endpoint.url}/ping", timeout=5) as response:
                assert response.read() == b"Ok.\n"
            assert other.query("SELECT 1").result_rows == [(1,)]
            assert time.monotonic() - started < 5  # a generous sanity bound, not a speed test
        assert not finished.is_set()  # all of that happened while the long query was running
    finally:
        runner.join(30)
    assert finished.is_set()
