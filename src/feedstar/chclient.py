"""One way to get a ClickHouse client from a URL, shared by the generator, dashboard and DAG.

The URL names any ClickHouse HTTP interface: the embedded endpoint (`feedstar serve`) or a
real server, e.g. `http://user:secret@127.0.0.1:8123/product`.  Default: the environment
variable FEEDSTAR_CLICKHOUSE_URL, else http://127.0.0.1:8123.
"""

from __future__ import annotations

import logging
import os
import re
from urllib.parse import unquote, urlsplit

DEFAULT_URL = "http://127.0.0.1:8123"
URL_ENV_VAR = "FEEDSTAR_CLICKHOUSE_URL"


class ClickHouseUnreachable(RuntimeError):
    """The URL is malformed or nothing answers there; the message is one line, password hidden."""


def default_url() -> str:
    return os.environ.get(URL_ENV_VAR) or DEFAULT_URL


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def connection_params(url: str) -> dict:
    """clickhouse-connect keyword arguments for `url`; ClickHouseUnreachable if it is malformed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClickHouseUnreachable(f"not a ClickHouse HTTP URL: {redact(url)!r} (expected http://[user:password@]host:port)")
    try:
        port = parts.port or (8443 if parts.scheme == "https" else 8123)
    except ValueError:
        raise ClickHouseUnreachable(f"bad port in ClickHouse URL {redact(url)!r}") from None
    params = {
        "host": parts.hostname,
        "port": port,
        "secure": parts.scheme == "https",
        "username": unquote(parts.username) if parts.username else "default",
        "password": unquote(parts.password) if parts.password else "",
    }
    database = parts.path.strip("/")
    if database:
        params["database"] = database
    return params


def get_client(url: str | None = None, **kwargs):
    """A connected clickhouse-connect client, or ClickHouseUnreachable with a one-line reason."""
    import clickhouse_connect
    from clickhouse_connect.driver.exceptions import ClickHouseError

    url = url or default_url()
    params = connection_params(url)
    # Fail fast: a short connect timeout and no retries, so a wrong port is reported at once.
    params.setdefault("connect_timeout", 5)
    params.update(kwargs)
    driver_log = logging.getLogger("clickhouse_connect.driver")
    previous_level = driver_log.level
    # The driver logs a multi-line traceback before raising; our one-line message replaces it.
    driver_log.setLevel(logging.CRITICAL)
    try:
        return clickhouse_connect.get_client(**params)
    except ClickHouseError as exc:
        raise ClickHouseUnreachable(f"cannot reach ClickHouse at {redact(url)}: {_one_line_reason(exc)}") from None
    finally:
        driver_log.setLevel(previous_level)


def _one_line_reason(exc: Exception) -> str:
    text = str(exc)
    errno = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if errno:
        return errno.group(1).strip()
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first_line[:200]
