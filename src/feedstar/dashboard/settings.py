"""Where the dashboard reads the marts from: one declared table of settings, parsed in one place."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

# name -> (default, help).  Every option of `feedstar dashboard` is listed here once.
SETTINGS = {
    "url": (
        "http://dashboard@127.0.0.1:8123/analytics",
        "ClickHouse HTTP URL of the marts: http[s]://user[:password]@host:port/database "
        "(a read-only user; the embedded endpoint's is `dashboard`, empty password).",
    ),
    "port": (8050, "TCP port of the dashboard (it listens on 127.0.0.1 only: it has no login)."),
    "pid_file": (None, "Write the dashboard's PID here while it runs (for `make stop`)."),
}


class SettingsError(ValueError):
    """A setting has a value the dashboard cannot use; the message says which and why."""


@dataclass(frozen=True)
class Warehouse:
    """Connection parameters of the ClickHouse HTTP interface holding the marts."""

    host: str
    port: int
    username: str
    password: str
    database: str
    secure: bool

    def redacted(self) -> str:
        scheme = "https" if self.secure else "http"
        secret = ":***" if self.password else ""
        return f"{scheme}://{self.username}{secret}@{self.host}:{self.port}/{self.database}"


def parse_url(url: str) -> Warehouse:
    """`http://user:password@host:port/database` -> Warehouse, with a clear error for each defect."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise SettingsError(f"--url must start with http:// or https://, got {url!r}")
    if not parts.hostname:
        raise SettingsError(f"--url has no host: {url!r}")
    try:
        port = parts.port or (8443 if parts.scheme == "https" else 8123)
    except ValueError:
        raise SettingsError(f"--url has an invalid port: {url!r}") from None
    database = parts.path.strip("/") or "analytics"
    if "/" in database:
        raise SettingsError(f"--url path must be a single database name, got {parts.path!r}")
    return Warehouse(
        host=parts.hostname,
        port=port,
        username=unquote(parts.username or "dashboard"),
        password=unquote(parts.password or ""),
        database=unquote(database),
        secure=parts.scheme == "https",
    )
