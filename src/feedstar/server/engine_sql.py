"""The few statements the endpoint itself sends to chDB, and how it quotes what goes in them."""

from __future__ import annotations

from feedstar.server.errors import ClickHouseError


def quote_setting_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def run_statement(connection, sql: str, params: dict | None = None, fmt: str = "TabSeparated"):
    """Run `sql` on a chDB connection; chDB's errors come back as ClickHouseError."""
    try:
        return connection.query(sql, fmt, params=params or {})
    except Exception as exc:
        raise ClickHouseError.from_engine(exc) from None
