"""The ClickHouse HTTP interface over the engine, as a small ASGI app (Starlette requests/responses).

`/ping` and `GET /` answer on the event loop, so a long query (running in a worker
thread) never starves them.  Query results stream block by block from chDB to the
socket, compressed on the fly when the client asked for it.
"""

from __future__ import annotations

import logging
import math
import socket
import uuid

from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response

from feedstar.server import compression
from feedstar.server.auth import Users
from feedstar.server.engine import MAX_SESSION_TIMEOUT_S, Engine
from feedstar.server.errors import ClickHouseError
from feedstar.server.executor import Executor
from feedstar.server.results import Outcome, summary, summary_header
from feedstar.server.formats import content_type
from feedstar.server.external import take_external
from feedstar.server.forms import is_multipart, parse_form
from feedstar.server.http_guard import BrowserGuard
from feedstar.server.policy import Policy
from feedstar.server.protocol import SETTING_NAME_RE, TRANSPORT_PARAMS, QueryRequest
from feedstar.server.responses import (
    SLICE_BYTES,
    ResultStream,
    compressed,
    new_exception_tag,
    with_failure_as_exception,
)
from feedstar.server.workers import Workers

log = logging.getLogger("feedstar.server")

DEFAULT_MAX_BODY_BYTES = 1 << 30
# Worker threads for queries; /ping never needs one.
WORKER_THREADS = 32


def create_app(engine: Engine, users: Users, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
               display_name: str | None = None, policy: Policy | None = None,
               browser_guard: BrowserGuard | None = None):
    executor = Executor(engine, policy)
    browser_guard = browser_guard or BrowserGuard.for_machine()
    display_name = display_name or socket.gethostname()
    workers = Workers(WORKER_THREADS)

    def base_headers(query_id: str, timezone: str | None = None) -> dict:
        return {
            "X-ClickHouse-Server-Display-Name": display_name,
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Timezone": timezone or engine.timezone,
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
        query_id = request.query_params.get("query_id") or str(uuid.uuid4())
        if request.method == "HEAD" or (request.method == "GET" and "query" not in request.query_params):
            return PlainTextResponse("Ok.\n")
        refusal = browser_guard.refusal(request.headers)
        if refusal is not None:
            log.warning("refused a browser request: %s", refusal)
            return error_response(ClickHouseError(497, refusal, "ACCESS_DENIED"), query_id)
        try:
            user = users.authenticate(request.headers, request.query_params)
            params, body, external = list(request.query_params.multi_items()), b"", []
            if request.method == "POST":
                body = await read_body(request, max_body_bytes)
                if is_multipart(request.headers.get("content-type")):
                    fields, files = parse_form(request.headers["content-type"], body)
                    params, body = params + fields, b""
                    if files:
                        external, params = take_external(files, params)
            decoded = decode_request(params, request.method, engine.http_compression_default)
            decoded.query_id, decoded.external = query_id, external
            decoded.user_agent = request.headers.get("user-agent", "")
            encoding = compression.choose_encoding(request.headers.get("accept-encoding")) \
                if decoded.enable_compression else None
            # One worker-thread hop runs the query and, for a complete result, compresses it too.
            outcome: Outcome = await workers.run(run_and_encode, executor, decoded, user, body, encoding)
        except ClickHouseError as error:
            log.info("query %s failed: %s", query_id, error.message.splitlines()[0][:200])
            return error_response(error, query_id)
        except ClientDisconnect:
            return Response(status_code=499)
        tag = new_exception_tag()
        headers = base_headers(query_id, decoded.settings.get("session_timezone"))
        if outcome.produces_result:
            headers["X-ClickHouse-Format"] = outcome.format
        headers["X-ClickHouse-Summary"] = summary_header(outcome.summary)
        headers["X-ClickHouse-Exception-Tag"] = tag
        if encoding:
            headers["Content-Encoding"] = encoding
        media_type = content_type(outcome.format)
        if outcome.complete is not None and len(outcome.complete) <= SLICE_BYTES:
            return Response(outcome.complete, headers=headers, media_type=media_type)  # the common, small case
        if outcome.complete is not None:
            return ResultStream(workers, query_id, complete=outcome.complete, headers=headers, media_type=media_type)
        chunks = with_failure_as_exception(outcome.chunks, engine.version, tag)
        if encoding:
            chunks = compressed(chunks, compression.compressor(encoding))
        return ResultStream(workers, query_id, chunks=chunks, headers=headers, media_type=media_type)

    async def app(scope, receive, send) -> None:
        """Two routes and no middleware: this sits on every query's path."""
        if scope["type"] != "http":
            return  # lifespan is off (see run.py); websockets are not served
        path, method = scope["path"], scope["method"]
        if path == "/ping" and method in ("GET", "HEAD"):
            response = await ping(Request(scope, receive))
        elif path == "/" and method in ("GET", "HEAD", "POST"):
            response = await handle(Request(scope, receive))
        elif path in ("/", "/ping"):
            response = PlainTextResponse("Method Not Allowed\n", status_code=405)
        else:
            response = PlainTextResponse(f"There is no handle {path}\n", status_code=404)
        await response(scope, receive, send)

    app.workers = workers
    return app


def run_and_encode(executor: Executor, decoded: QueryRequest, user, body: bytes, encoding: str | None) -> Outcome:
    """Run the query (in a worker thread); a complete result comes back already compressed."""
    outcome = executor.run(decoded, user, body)
    if encoding and outcome.complete is not None:
        codec = compression.compressor(encoding)
        outcome.complete, outcome.keep = codec.compress(outcome.complete) + codec.flush(), None
    return outcome


def decode_request(params: list[tuple[str, str]], method: str, compression_default: str = "0") -> QueryRequest:
    """What to run, from the URL parameters (and form fields) of one request."""
    settings, query_params, transport = {}, {}, {}
    for name, value in params:
        if name.startswith("param_"):
            query_params[name[len("param_"):]] = value
        elif name in TRANSPORT_PARAMS:
            transport[name] = value
        elif SETTING_NAME_RE.fullmatch(name):
            settings[name] = value
        else:
            raise ClickHouseError(115, f"Unknown setting {name!r}", "UNKNOWN_SETTING")
    if transport.get("role"):
        # A server sets the named roles for the query; the endpoint has none (no access management).
        raise ClickHouseError(511, f"There is no role `{transport['role']}` in user directories "
                                   "(the embedded endpoint has no roles)", "UNKNOWN_ROLE")
    session_timeout = parse_session_timeout(transport.get("session_timeout", "60"))
    return QueryRequest(
        query=transport.get("query", ""),
        user="",
        password="",
        database=transport.get("database") or None,
        default_format=transport.get("default_format") or "TabSeparated",
        settings=settings,
        params=query_params,
        session_id=transport.get("session_id") or None,
        session_timeout=session_timeout,
        session_check=transport.get("session_check", "0") not in ("0", "false", ""),
        query_id=transport.get("query_id"),
        # As on a server: compressed when the client accepts it and `enable_http_compression` is on,
        # from the URL or else the engine's default (1 in chDB; clickhouse-connect reads it and
        # then only sends Accept-Encoding).
        enable_compression=transport.get("enable_http_compression", compression_default) not in ("0", "false", ""),
        is_get=method == "GET",
        wait_end_of_query=transport.get("wait_end_of_query", "0") not in ("0", "false", ""),
    )


def parse_session_timeout(text: str) -> float:
    """Seconds, finite and within (0, max_session_timeout], as a server checks it."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise ClickHouseError(36, f"session_timeout must be a positive number of seconds, not {text!r}",
                              "BAD_ARGUMENTS")
    if seconds > MAX_SESSION_TIMEOUT_S:
        raise ClickHouseError(36, f"Session timeout {text} is larger than max_session_timeout "
                                  f"({MAX_SESSION_TIMEOUT_S})", "BAD_ARGUMENTS")
    return seconds


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, decompressed per Content-Encoding, refusing more than `limit` bytes.

    The limit applies to the raw bytes and to the decoded output as it is produced.
    """
    encoding = request.headers.get("content-encoding")
    decoder = compression.BoundedDecoder(encoding, limit) if encoding and encoding.lower() != "identity" else None
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ClickHouseError(307, f"Request body exceeds the limit of {limit} bytes", "TOO_MANY_BYTES")
        if decoder is not None:
            parts.extend(decoder.feed(chunk))
        elif chunk:
            parts.append(chunk)
    if decoder is not None:
        decoder.finish()
    return b"".join(parts)
