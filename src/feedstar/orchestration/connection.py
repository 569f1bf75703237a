"""Where ClickHouse is, taken from an Airflow connection and handed to dbt and the checks.

One Airflow connection (id from FEEDSTAR_CH_CONN_ID, default `feedstar_clickhouse`)
describes the ClickHouse HTTP interface: host, port, login, password, schema (the dbt
schema; default `analytics`) and `{"secure": true}` in extra for HTTPS.  Airflow reads it
from its metadata DB, a secrets backend, or the environment variable
AIRFLOW_CONN_FEEDSTAR_CLICKHOUSE, e.g.
`AIRFLOW_CONN_FEEDSTAR_CLICKHOUSE='generic://default:@127.0.0.1:8123/analytics'`.
"""

from __future__ import annotations

from feedstar.chclient import Connection
from feedstar.orchestration.days import LoadRefused
from feedstar.settings import setting


def connection_from_airflow(conn_id: str) -> Connection:
    """The ClickHouse connection of Airflow connection `conn_id`; LoadRefused if it is not defined.

    Its login and password are the read-write user's (the DAG writes the warehouse); its
    schema is the warehouse database (default FEEDSTAR_CH_DATABASE's)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        conn = BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        raise LoadRefused(
            f"Airflow connection {conn_id!r} is not defined: add it (`airflow connections add {conn_id} "
            f"--conn-uri generic://USER:PASSWORD@HOST:8123/analytics`) or set "
            f"AIRFLOW_CONN_{conn_id.upper()}; FEEDSTAR_CH_CONN_ID names another connection"
        ) from None
    if not conn.host:
        raise LoadRefused(f"Airflow connection {conn_id!r} has no host")
    extra = conn.extra_dejson or {}
    secure = str(extra.get("secure", "false")).lower() in ("1", "true", "yes")
    return Connection(
        host=conn.host,
        port=int(conn.port or (8443 if secure else 8123)),
        username=conn.login or "default",
        password=conn.password or "",
        database=conn.schema or setting("database"),
        secure=secure,
    )
