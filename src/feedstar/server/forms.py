"""`multipart/form-data` request bodies, as clickhouse-connect sends them for long parameters.

A ClickHouse server reads form fields of such a body like URL parameters (`query`,
`param_<name>`, settings).  File parts are external tables, which the embedded endpoint
does not offer: they are refused with a clear error rather than ignored.
"""

from __future__ import annotations

from email import policy
from email.parser import BytesParser

from feedstar.server.errors import ClickHouseError


def is_multipart(content_type: str | None) -> bool:
    return bool(content_type) and content_type.split(";")[0].strip().lower() == "multipart/form-data"


def parse_form_fields(content_type: str, body: bytes) -> list[tuple[str, str]]:
    """The (name, value) fields of a multipart/form-data body, in order."""
    head = b"Content-Type: " + content_type.encode("latin-1", "replace") + b"\r\n\r\n"
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise _bad_form("the body is not a multipart/form-data message (missing or wrong boundary?)")
    fields = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            raise _bad_form("a form part has no name")
        if part.get_filename() is not None:
            raise ClickHouseError(
                48, f"External data (form file part {name!r}) is not supported by the embedded endpoint",
                "NOT_IMPLEMENTED")
        payload = part.get_payload(decode=True) or b""
        try:
            fields.append((name, payload.decode("utf-8")))
        except UnicodeDecodeError:
            raise _bad_form(f"form field {name!r} is not valid UTF-8") from None
    if not fields:
        raise _bad_form("the multipart body has no form fields")
    return fields


def _bad_form(what: str) -> ClickHouseError:
    return ClickHouseError(36, f"Cannot read multipart/form-data request: {what}", "BAD_ARGUMENTS")
