"""HTTP compression as a ClickHouse server does it: answers (Accept-Encoding) and request bodies (Content-Encoding)."""

import gzip
import zlib

import lz4.frame
import pytest
import zstandard
from endpoint import http

CODECS = {
    "lz4": (lz4.frame.compress, lz4.frame.decompress),
    "zstd": (zstandard.ZstdCompressor().compress,
             lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data)),
    "gzip": (gzip.compress, gzip.decompress),
    "deflate": (zlib.compress, zlib.decompress),
}
# 0..99999, one per line: long enough to span several chDB blocks.
NUMBERS_SQL = b"SELECT number FROM numbers(100000)"
NUMBERS_TSV = "".join(f"{n}\n" for n in range(100000)).encode()


@pytest.mark.parametrize("encoding", sorted(CODECS))
def test_compressed_answer_when_asked(endpoint, encoding):
    _, decompress = CODECS[encoding]
    answer = http(endpoint, "POST", {"enable_http_compression": "1"}, NUMBERS_SQL,
                  headers={"Accept-Encoding": encoding})
    assert answer.status == 200
    assert answer.headers["content-encoding"] == encoding
    assert len(answer.body) < len(NUMBERS_TSV)
    assert decompress(answer.body) == NUMBERS_TSV


def test_no_compression_unless_accepted_and_enabled(endpoint):
    plain = http(endpoint, "POST", {}, NUMBERS_SQL)  # urllib accepts only identity
    assert "content-encoding" not in plain.headers and plain.body == NUMBERS_TSV
    disabled = http(endpoint, "POST", {"enable_http_compression": "0"}, NUMBERS_SQL,
                    headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in disabled.headers and disabled.body == NUMBERS_TSV
    unknown = http(endpoint, "POST", {"enable_http_compression": "1"}, NUMBERS_SQL,
                   headers={"Accept-Encoding": "br;q=1, compress"})
    assert "content-encoding" not in unknown.headers and unknown.body == NUMBERS_TSV


@pytest.mark.parametrize("encoding", sorted(CODECS))
def test_compressed_request_body(endpoint, encoding):
    compress, _ = CODECS[encoding]
    table = f"body_{encoding}"
    assert http(endpoint, "POST", {}, f"CREATE TABLE {table} (x UInt32) ENGINE = Memory".encode()).status == 200
    rows = b"".join(b"%d\n" % n for n in range(1, 1001))  # 1..1000, sum = 500500
    body = compress(b"INSERT INTO " + table.encode() + b" FORMAT TSV\n" + rows)
    answer = http(endpoint, "POST", {}, body, headers={"Content-Encoding": encoding})
    assert answer.status == 200, answer.text
    total = http(endpoint, "GET", {"query": f"SELECT count(), sum(x) FROM {table}"})
    assert total.body == b"1000\t500500\n"


def test_corrupt_compressed_body_is_refused_and_nothing_is_inserted(endpoint):
    http(endpoint, "POST", {}, b"CREATE TABLE corrupt_target (x UInt32) ENGINE = Memory")
    body = gzip.compress(b"INSERT INTO corrupt_target FORMAT TSV\n1\n2\n")
    answer = http(endpoint, "POST", {}, body[:10] + b"garbage" + body[10:], headers={"Content-Encoding": "gzip"})
    assert answer.status >= 400 and answer.body.startswith(b"Code: ")
    assert "x-clickhouse-exception-code" in answer.headers
    unknown = http(endpoint, "POST", {}, b"SELECT 1", headers={"Content-Encoding": "snappy-ish"})
    assert unknown.status == 400 and b"Content-Encoding" in unknown.body
    assert http(endpoint, "GET", {"query": "SELECT count() FROM corrupt_target"}).body == b"0\n"
