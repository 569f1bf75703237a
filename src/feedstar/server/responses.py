"""Streaming a result to the client the way a ClickHouse server does.

* Chunks come from chDB in worker threads, one at a time, so a 2M-row result is never
  held whole; the event loop only moves bytes.
* A client that goes away stops the query: the chunk source is closed in a worker
  thread (cancelling the chDB stream and giving its connection back) as soon as the
  disconnect is seen.
* A failure after the headers went out (status 200 already sent) is written as
  ClickHouse 25.11+ writes it, framed by the response's `X-ClickHouse-Exception-Tag`:
  `\r\n__exception__\r\n<tag>\r\n<message>\n<length> <tag>\r\n__exception__\r\n`;
  then the connection is closed without the final empty chunk, so that any HTTP client
  sees a broken transfer rather than a complete but truncated result.
"""

from __future__ import annotations

import logging
import secrets

import anyio
from starlette.responses import StreamingResponse

from feedstar.server.errors import ClickHouseError

log = logging.getLogger("feedstar.server")


def new_exception_tag() -> str:
    return secrets.token_hex(8)


class MidStreamFailure(Exception):
    """The result failed after its first bytes were sent."""

    def __init__(self, error: ClickHouseError):
        super().__init__(error.message)
        self.error = error


def exception_block(error: ClickHouseError, version: str, tag: str) -> bytes:
    message = error.body(version)
    return (b"\r\n__exception__\r\n" + tag.encode() + b"\r\n" + message
            + f"{len(message)} {tag}".encode() + b"\r\n__exception__\r\n")


def with_failure_as_exception(chunks, version: str, tag: str):
    """Yield `chunks`; a failure becomes the tagged exception block, then MidStreamFailure."""
    try:
        yield from chunks
    except Exception as exc:
        error = exc if isinstance(exc, ClickHouseError) else ClickHouseError.from_engine(exc)
        yield exception_block(error, version, tag)
        raise MidStreamFailure(error) from None


def compressed(chunks, codec):
    """`chunks` through a streaming compressor; a failure block is flushed before it propagates."""
    try:
        for chunk in chunks:
            out = codec.compress(chunk)
            if out:
                yield out
    except MidStreamFailure:
        yield codec.flush()
        raise
    finally:
        chunks.close()
    yield codec.flush()


# A complete result goes to the socket in slices of this size: memoryview slices, no copies,
# and the event loop awaits the socket draining between them.
SLICE_BYTES = 1 << 20
# How long the exception block of a failed result is left for the client before the close.
# Only a failed result waits; 0.25 s proved too short for clickhouse-connect's async client
# on a loaded machine (its reader thread had not read the block yet: "connection closed").
FAILURE_LINGER_S = 1.0


class ResultStream(StreamingResponse):
    """The answer to a query: a complete body, or a *synchronous* chunk generator driving a chDB query.

    A complete body (the common case: small results, `wait_end_of_query=1`) is sent from the
    event loop directly; a streaming one is pulled chunk by chunk in worker threads.
    """

    def __init__(self, workers, query_id: str, chunks=None, complete: bytes | None = None, **kwargs):
        super().__init__(iter(()), **kwargs)
        self._chunks = chunks
        self._complete = complete
        self._workers = workers
        self._query_id = query_id

    async def stream_response(self, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        if self._complete is not None:
            view = memoryview(self._complete)
            for start in range(0, len(view), SLICE_BYTES):
                await send({"type": "http.response.body", "body": view[start:start + SLICE_BYTES], "more_body": True})
        elif not await self._stream_chunks(send):
            # Failed mid-stream: no final chunk, the connection is closed.  Not at once: a client
            # that sees the close before it has read the buffered exception block (aiohttp raises
            # on a closed payload before handing out what it buffered) would lose the message.
            await anyio.sleep(FAILURE_LINGER_S)
            return
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _stream_chunks(self, send) -> bool:
        finished = False
        try:
            while True:
                # A disconnect (cancellation) waits for the current chunk, then the source is closed.
                chunk = await self._workers.run_to_completion(next, self._chunks, None)
                if chunk is None:
                    finished = True
                    return True
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except MidStreamFailure as failure:
            finished = True  # the generator has ended
            log.info("query %s failed after its result started: %s", self._query_id,
                     failure.error.message.splitlines()[0][:200])
            return False
        finally:
            if not finished:  # the client left (or the send failed): stop the query, free its connection
                with anyio.CancelScope(shield=True):
                    await self._workers.run(self._chunks.close)
