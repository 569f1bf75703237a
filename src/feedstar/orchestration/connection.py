"""Where ClickHouse is, taken from an Airflow connection and handed to dbt and the checks.

One Airflow connection (id from FEEDSTAR_CH_CONN_ID, default `feedstar_clickhouse`)
describes the ClickHouse HTTP interface: host, port, login, password, schema (the dbt
schema; default `analytics`) and `{"secure": true}` in extra for HTTPS.  Airflow reads it
from its metadata DB, a secrets backend, or the environment variable
AIRFLOW_CONN_FEEDSTAR_CLICKHOUSE, e.g.
`AIRFLOW_CONN_FEEDSTAR_CLICKHOUSE='generic://default:@127.0.0.1:8123/analytics'`.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from feedstar.orchestration.days import LoadRefused

DEFAULT_SCHEMA = "analytics"


@dataclass(frozen=True)
class ClickHouseTarget:
    host: str
    port: int
    user: str
    password: str
    secure: bool
    schema: str

    @property
    def url(self) -> str:
        """The URL feedstar.chclient understands (password percent-encoded)."""
        scheme = "https" if self.secure else "http"
        credentials = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}@"
        return f"{scheme}://{credentials}{self.host}:{self.port}"

    def dbt_env(self) -> dict[str, str]:
        """Environment variables that point both targets of profiles.yml at this ClickHouse."""
        return {
            # target `local`
            "FEEDSTAR_CH_HOST": self.host,
            "FEEDSTAR_CH_PORT": str(self.port),
            "FEEDSTAR_CH_USER": self.user,
            "FEEDSTAR_CH_PASSWORD": self.password,
            # target `prod`
            "CLICKHOUSE_HOST": self.host,
            "CLICKHOUSE_PORT": str(self.port),
            "CLICKHOUSE_USER": self.user,
            "CLICKHOUSE_PASSWORD": self.password,
            "CLICKHOUSE_SECURE": "true" if self.secure else "false",
            "CLICKHOUSE_SCHEMA": self.schema,
        }


def target_from_airflow(conn_id: str) -> ClickHouseTarget:
    """The ClickHouse target of Airflow connection `conn_id`; LoadRefused if it is not defined."""
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
    return ClickHouseTarget(
        host=conn.host,
        port=int(conn.port or (8443 if secure else 8123)),
        user=conn.login or "default",
        password=conn.password or "",
        secure=secure,
        schema=conn.schema or DEFAULT_SCHEMA,
    )
