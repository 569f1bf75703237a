"""Parsing a ClickHouse HTTP request into what the engine must run.

Follows the ClickHouse docs' "HTTP Interface" page: the query comes from the `query`
URL parameter and/or the body; `database`, `default_format`, `param_<name>`,
`session_id`, `query_id` are protocol parameters; every other URL parameter is a
setting (an unknown one fails in the engine with UNKNOWN_SETTING, as on a server).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# URL parameters that steer the HTTP handler rather than being ClickHouse settings.
TRANSPORT_PARAMS = {
    "query", "database", "default_format", "user", "password", "session_id", "session_timeout",
    "session_check", "query_id", "quota_key", "compress", "decompress", "buffer_size",
    "wait_end_of_query", "client_protocol_version", "enable_http_compression",
    "http_zlib_compression_level", "send_progress_in_http_headers", "http_headers_progress_interval_ms",
    "cancel_http_readonly_queries_on_client_close", "http_response_buffer_size", "add_http_cors_header",
    "role",
}

# A setting name goes into `SET name = ...`: it must be a plain identifier.
SETTING_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COMMENT_RE = re.compile(r"(--[^\n]*\n?|#[ !][^\n]*\n?|/\*.*?\*/|\s+)", re.S)
_FIRST_WORD_RE = re.compile(r"[(\s]*([A-Za-z]+)")
# `INSERT ... FORMAT Name<whitespace>data...`: where the statement ends and data begins.
_INSERT_FORMAT_RE = re.compile(rb"\bFORMAT\s+([A-Za-z][A-Za-z0-9_]*)[ \t]*(\r?\n|\s)?", re.I)


def first_keyword(sql: str) -> str:
    stripped = _strip_leading_comments(sql)
    match = _FIRST_WORD_RE.match(stripped)
    return match.group(1).upper() if match else ""


def _strip_leading_comments(sql: str) -> str:
    position = 0
    while True:
        match = _COMMENT_RE.match(sql, position)
        if not match or match.end() == position:
            return sql[position:]
        position = match.end()


@dataclass
class QueryRequest:
    """One HTTP request, decoded: what to run and how to answer."""

    query: str
    user: str
    password: str
    database: str | None = None
    default_format: str = "TabSeparated"
    settings: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    session_id: str | None = None
    session_timeout: float = 60.0
    session_check: bool = False
    query_id: str | None = None
    enable_compression: bool = False
    is_get: bool = False
    wait_end_of_query: bool = False
    external: list = field(default_factory=list)  # external.ExternalTable
    user_agent: str = ""


def split_insert_data(statement_and_data: bytes) -> tuple[str, str, bytes] | None:
    """Split `INSERT ... FORMAT X <data>` into (statement, format, data); None if not such an insert.

    This only finds where the data starts, so that a large body is streamed to the insert
    instead of parsed as SQL; what the statement may do is decided by the parser on the
    statement part (a split in the wrong place fails to parse and is refused).

    The search for FORMAT is limited to the statement's first 64 KiB so that binary
    data is never scanned as SQL.
    """
    head = statement_and_data[:65536]
    if first_keyword(head.decode("utf-8", "replace")) != "INSERT":
        return None
    match = _INSERT_FORMAT_RE.search(head)
    if not match:
        return None
    statement = statement_and_data[: match.start()].decode("utf-8")
    return statement.strip(), match.group(1).decode(), statement_and_data[match.end():]
