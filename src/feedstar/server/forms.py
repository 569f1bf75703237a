"""`multipart/form-data` request bodies, as clickhouse-connect sends them for long parameters.

A ClickHouse server reads form fields of such a body like URL parameters (`query`,
`param_<name>`, settings); file parts are external tables (see external.py).
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from feedstar.server.errors import ClickHouseError


def is_multipart(content_type: str | None) -> bool:
    return bool(content_type) and content_type.split(";")[0].strip().lower() == "multipart/form-data"


def parse_form(content_type: str, body: bytes) -> tuple[list[tuple[str, str]], list[tuple[str, bytes]]]:
    """The (name, value) fields and the (name, data) file parts of a multipart/form-data body."""
    head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise _bad_form("the body is not a multipart/form-data message (missing or wrong boundary?)")
    fields, files = [], []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            raise _bad_form("a form part has no name")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files.append((name, payload))
            continue
        try:
            fields.append((name, payload.decode("utf-8")))
        except UnicodeDecodeError:
            raise _bad_form(f"form field {name!r} is not valid UTF-8") from None
    if not fields and not files:
        raise _bad_form("the multipart body has no form fields")
    return fields, files


def _bad_form(what: str) -> ClickHouseError:
    return ClickHouseError(36, f"Cannot read multipart/form-data request: {what}", "BAD_ARGUMENTS")
