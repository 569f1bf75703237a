"""A query's answer: complete bytes, or chunks streamed from chDB (see formats.py for which)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Iterator

from feedstar.server.errors import ClickHouseError
from feedstar.server.formats import NotStreamable, joined, joiner_for

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
    # False for INSERT, DDL and other commands: a server sends no X-ClickHouse-Format for them,
    # which is how clickhouse-connect's command() tells a summary from an empty result.
    produces_result: bool = True


def summary(read_rows=0, read_bytes=0, written_rows=0, written_bytes=0, result_rows=0, result_bytes=0, elapsed=0.0):
    return {
        "read_rows": str(read_rows), "read_bytes": str(read_bytes),
        "written_rows": str(written_rows), "written_bytes": str(written_bytes),
        "total_rows_to_read": str(read_rows), "result_rows": str(result_rows),
        "result_bytes": str(result_bytes), "elapsed_ns": str(int(elapsed * 1e9)),
    }


def summary_header(values: dict) -> str:
    return json.dumps(values, separators=(",", ":"))



def stream_select(connection, sql, fmt, params, started, on_done) -> Outcome | None:
    """Stream a SELECT, unless it ends within PREFETCH_BYTES: then it is answered whole.

    Most dashboard and client queries return a few rows; answering those complete from
    this one worker-thread hop (rather than one hop per chunk plus a streaming response)
    is most of an endpoint round trip's cost, and a failure among them still gets a
    proper error status.  None: the format cannot be streamed (see formats.py), or the
    result is empty and its format has a header that only a whole query writes.
    """
    try:
        joiner = joiner_for(fmt)
    except NotStreamable:
        return None
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
    if ended and joiner is not None and not prefetched:
        return None
    if ended:
        whole = b"".join(joined(prefetched, joiner)) if joiner is not None else b"".join(prefetched)
        on_done(True)
        return Outcome(fmt, iter(()), summary(result_bytes=len(whole), elapsed=time.perf_counter() - started),
                       complete=whole)

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

    source = chunks() if joiner is None else joined(chunks(), joiner)
    return Outcome(fmt, source, summary(elapsed=time.perf_counter() - started))


