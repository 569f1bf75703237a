"""Statements the endpoint answers itself, because chDB's own answer would not be true of it.

`SHOW GRANTS`: chDB reports clickhouse-local's unrestricted user whoever asks; what a
user may do here is decided by policy.py, so the grants are written from it, in the
form a server writes them (`GRANT ... ON *.* TO user`, partial revokes for `system`).
"""

from __future__ import annotations

from feedstar.server.engine_sql import quote_identifier
from feedstar.server.policy import READONLY_SYSTEM_TABLES, Policy

WRITER_GRANTS = ("SHOW, SELECT, INSERT, ALTER, CREATE DATABASE, CREATE TABLE, CREATE VIEW, CREATE TEMPORARY TABLE, "
                 "DROP DATABASE, DROP TABLE, DROP VIEW, TRUNCATE, OPTIMIZE, SYSTEM FLUSH LOGS, SYSTEM MERGES, "
                 "SYSTEM SYNC REPLICA")
REMOTE_GRANTS = "URL, REMOTE, MONGO, REDIS, MYSQL, POSTGRES, S3"


def grants(user, policy: Policy) -> list[str]:
    name = quote_identifier(user.name)
    if user.readonly:
        return [f"GRANT SHOW, SELECT ON *.* TO {name}", f"REVOKE SELECT ON system.* FROM {name}",
                *(f"GRANT SELECT ON system.{table} TO {name}" for table in sorted(READONLY_SYSTEM_TABLES))]
    lines = [f"GRANT {WRITER_GRANTS} ON *.* TO {name}"]
    if policy.user_files:
        lines.append(f"GRANT FILE ON *.* TO {name}")
    if policy.remote_hosts:
        lines.append(f"GRANT {REMOTE_GRANTS} ON *.* TO {name}")
    return lines


def grants_query(user, policy: Policy) -> str:
    """A SELECT giving the grants as a server's SHOW GRANTS does (one column `GRANTS FOR <user>`)."""
    rows = ", ".join("'" + line.replace("\\", "\\\\").replace("'", "\\'") + "'" for line in grants(user, policy))
    column = quote_identifier(f"GRANTS FOR {user.name}")
    return f"SELECT arrayJoin([{rows}]) AS {column}"
