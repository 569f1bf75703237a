"""The ClickHouse HTTP interface over the engine, as a Starlette app.

`/ping` and `GET /` answer on the event loop, so a long query (running in a worker
thread) never starves them.  Query results stream block by block from chDB to the
socket, compressed on the fly when the client asked for it.
"""

from __future__ import annotations

import logging
import socket
import uuid

import anyio
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from feedstar.server import compression
from feedstar.server.auth import Users
from feedstar.server.engine import Engine
from feedstar.server.errors import ClickHouseError
from feedstar.server.executor import Executor, Outcome, summary, summary_header
from feedstar.server.protocol import TRANSPORT_PARAMS, QueryRequest

log = logging.getLogger("feedstar.server")

CONTENT_TYPES = {
    "TabSeparated": "text/tab-separated-values; charset=UTF-8",
    "TSV": "text/tab-separated-values; charset=UTF-8",
    "CSV": "text/csv; charset=UTF-8; header=absent",
    "CSVWithNames": "text/csv; charset=UTF-8; header=present",
    "JSON": "application/json; charset=UTF-8",
    "JSONCompact": "application/json; charset=UTF-8",
    "JSONEachRow": "application/x-ndjson; charset=UTF-8",
}
DEFAULT_MAX_BODY_BYTES = 1 << 30
# Worker threads for queries; /ping never needs one.
WORKER_THREADS = 32


def create_app(engine: Engine, users: Users, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               display_name: str | None = None) -> Starlette:
    executor = Executor(engine)
    display_name = display_name or socket.gethostname()
    limiter = anyio.CapacityLimiter(WORKER_THREADS)

    def base_headers(query_id: str) -> dict:
        return {
            "X-ClickHouse-Server-Display-Name": display_name,
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Timezone": engine.timezone,
        }

    def error_response(error: ClickHouseError, query_id: str) -> Response:
        headers = base_headers(query_id)
        headers["X-ClickHouse-Exception-Code"] = str(error.code)
        headers["X-ClickHouse-Summary"] = summary_header(summary())
        return Response(error.body(engine.version), status_code=error.http_status,
                        headers=headers, media_type="text/plain; charset=UTF-8")

    async def ping(request: Request) -> Response:
        return PlainTextResponse("Ok.\n")

    async def handle(request: Request) -> Response:
        params = request.query_params
        query_id = params.get("query_id") or str(uuid.uuid4())
        if request.method == "GET" and "query" not in params:
            return PlainTextResponse("Ok.\n")
        try:
            user = users.authenticate(request.headers, params)
            decoded = decode_request(request, user)
            body = await read_body(request, max_body_bytes) if request.method == "POST" else b""
            outcome: Outcome = await anyio.to_thread.run_sync(executor.run, decoded, user, body, limiter=limiter)
        except ClickHouseError as error:
            log.info("query %s failed: %s", query_id, error.message.splitlines()[0][:200])
            return error_response(error, query_id)
        except ClientDisconnect:
            return Response(status_code=499)
        headers = base_headers(query_id)
        headers["X-ClickHouse-Format"] = outcome.format
        headers["X-ClickHouse-Summary"] = summary_header(outcome.summary)
        encoding = compression.choose_encoding(request.headers.get("accept-encoding")) \
            if decoded.enable_compression else None
        body_iter = with_error_trailer(outcome.chunks, engine.version)
        if encoding:
            headers["Content-Encoding"] = encoding
            body_iter = compressed(body_iter, compression.compressor(encoding))
        return StreamingResponse(body_iter, headers=headers,
                                 media_type=CONTENT_TYPES.get(outcome.format, "application/octet-stream"))

    routes = [
        Route("/ping", ping, methods=["GET", "HEAD"]),
        Route("/", handle, methods=["GET", "POST"]),
    ]
    return Starlette(routes=routes)


def decode_request(request: Request, user) -> QueryRequest:
    params = request.query_params
    settings = {}
    query_params = {}
    for name, value in params.multi_items():
        if name.startswith("param_"):
            query_params[name[len("param_"):]] = value
        elif name not in TRANSPORT_PARAMS:
            settings[name] = value
    try:
        session_timeout = float(params.get("session_timeout", "60"))
    except ValueError:
        raise ClickHouseError(36, "session_timeout must be a number of seconds", "BAD_ARGUMENTS") from None
    return QueryRequest(
        query=params.get("query", ""),
        user=user.name,
        password="",
        database=params.get("database") or None,
        default_format=params.get("default_format") or "TabSeparated",
        settings=settings,
        params=query_params,
        session_id=params.get("session_id") or None,
        session_timeout=session_timeout,
        query_id=params.get("query_id"),
        enable_compression=params.get("enable_http_compression", "1") not in ("0", "false"),
        is_get=request.method == "GET",
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, decompressed per Content-Encoding, refusing more than `limit` bytes."""
    encoding = request.headers.get("content-encoding")
    decoder = compression.decompressor(encoding) if encoding and encoding.lower() != "identity" else None
    parts, size = [], 0
    async for chunk in request.stream():
        if decoder is not None and chunk:
            try:
                chunk = decoder.decompress(chunk)
            except Exception as exc:
                raise ClickHouseError(
                    271, f"Cannot decompress request body ({encoding}): {exc}", "CANNOT_DECOMPRESS") from None
        size += len(chunk)
        if size > limit:
            raise ClickHouseError(307, f"Request body exceeds the limit of {limit} bytes", "TOO_MANY_BYTES")
        parts.append(chunk)
    return b"".join(parts)


def compressed(chunks, codec):
    for chunk in chunks:
        out = codec.compress(chunk)
        if out:
            yield out
    yield codec.flush()


def with_error_trailer(chunks, version: str):
    """A failure after the headers went out is appended to the body, as a server does."""
    try:
        yield from chunks
    except ClickHouseError as error:
        yield b"\n" + error.body(version)
    except Exception as exc:  # chDB raises its own error type mid-stream
        yield b"\n" + ClickHouseError.from_engine(exc).body(version)
