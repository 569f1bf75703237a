"""A client for a `--url` (or the default settings), through chclient's public API only."""

from __future__ import annotations

from feedstar import chclient


def open_client(url: str | None = None, *, readonly: bool = False):
    """A connected clickhouse-connect client; chclient.ClickHouseUnreachable with one line otherwise."""
    if hasattr(chclient, "connection"):  # settings-based connections (passwords from env/files)
        return chclient.get_client(chclient.connection(url, readonly=readonly))
    return chclient.get_client(url)


def describe(url: str | None = None) -> str:
    """Where the client goes, password hidden (for messages)."""
    if hasattr(chclient, "connection"):
        return chclient.connection(url).redacted(with_database=False)
    return chclient.redact(url or chclient.default_url())
