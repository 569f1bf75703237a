"""The one way feedstar's clients reach ClickHouse: the generator, the dashboard, the daily DAG.

A `Connection` says where the ClickHouse HTTP interface is (the embedded endpoint or a
real server) and as whom.  It comes from the FEEDSTAR_CH_* settings (`feedstar.settings`),
from an Airflow connection (the DAG), or from a `--url` without a password; passwords
come only from the environment or a file, never from a command line:

    connection()                  # the read-write user: FEEDSTAR_CH_USER / FEEDSTAR_CH_PASSWORD[_FILE]
    connection(readonly=True)     # the read-only user: FEEDSTAR_CH_READONLY_USER / ..._PASSWORD[_FILE]
    connection("http://reader@ch.example:8443/marts", readonly=True)

`dbt_env()` hands the same connection to dbt (profiles.yml.example reads FEEDSTAR_CH_*).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from urllib.parse import unquote, urlsplit

from feedstar.settings import SETTINGS, SettingsError, secret, setting, setting_bool


class ClickHouseUnreachable(RuntimeError):
    """The settings are malformed or nothing answers there; the message is one line, password hidden."""


@dataclasses.dataclass(frozen=True)
class Connection:
    host: str
    port: int
    username: str
    password: str = dataclasses.field(repr=False)
    database: str  # the warehouse database (dbt's schema, the dashboard's marts); clients use it on request
    secure: bool = False

    def redacted(self, with_database: bool = True) -> str:
        """The connection as a URL without its password, for messages and logs."""
        scheme = "https" if self.secure else "http"
        secret_part = ":***" if self.password else ""
        path = f"/{self.database}" if with_database and self.database else ""
        return f"{scheme}://{self.username}{secret_part}@{self.host}:{self.port}{path}"

    def client_params(self, use_database: bool = False) -> dict:
        """clickhouse-connect keyword arguments."""
        return {"host": self.host, "port": self.port, "secure": self.secure, "username": self.username,
                "password": self.password, "database": self.database if use_database else ""}

    def dbt_env(self) -> dict[str, str]:
        """The environment that points profiles.yml (either target) at this connection."""
        names = {"host": self.host, "port": str(self.port), "secure": "true" if self.secure else "false",
                 "user": self.username, "password": self.password, "database": self.database}
        return {SETTINGS[name].env_var: value for name, value in names.items()}


def _default_port(secure: bool) -> int:
    return 8443 if secure else 8123


def connection(url: str | None = None, *, readonly: bool = False) -> Connection:
    """The read-write (or read-only) connection from the settings, `url` overriding where and who.

    `url` is http[s]://[user@]host[:port][/database]; a password in it is refused (it would be
    on a command line): the password is always the settings' one for that user."""
    try:
        secure = setting_bool("secure")
        port_text = setting("port")
        try:
            port = int(port_text) if port_text else _default_port(secure)
        except ValueError:
            raise SettingsError(f"{SETTINGS['port'].env_var}={port_text!r} is not a port number") from None
        if readonly:
            username = setting("readonly_user")
            password = secret("readonly_password", "readonly_password_file")
        else:
            username = setting("user")
            password = secret("password", "password_file")
        conn = Connection(host=setting("host"), port=port, username=username, password=password,
                          database=setting("database"), secure=secure)
    except SettingsError as exc:
        raise ClickHouseUnreachable(str(exc)) from None
    return _with_url(conn, url, readonly) if url else conn


def _with_url(conn: Connection, url: str, readonly: bool) -> Connection:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClickHouseUnreachable(
            f"not a ClickHouse HTTP URL: {_hide_password(url)!r} (expected http[s]://[user@]host[:port][/database])")
    if parts.password is not None:
        which = SETTINGS["readonly_password" if readonly else "password"].env_var
        raise ClickHouseUnreachable(
            f"a password in a URL on the command line is visible to every local user ({_hide_password(url)}): "
            f"drop it and set {which} or {which}_FILE")
    try:
        port = parts.port or _default_port(parts.scheme == "https")
    except ValueError:
        raise ClickHouseUnreachable(f"bad port in ClickHouse URL {url!r}") from None
    database = unquote(parts.path.strip("/"))
    if "/" in database:
        raise ClickHouseUnreachable(f"the URL's path must be one database name, got {parts.path!r}")
    return dataclasses.replace(
        conn, host=parts.hostname, port=port, secure=parts.scheme == "https",
        username=unquote(parts.username) if parts.username else conn.username,
        database=database or conn.database)


def _hide_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


def get_client(conn: Connection | str | None = None, *, use_database: bool = False, **kwargs):
    """A connected clickhouse-connect client, or ClickHouseUnreachable with a one-line reason.

    `conn` may be a URL (see `connection`) for the read-write user; keyword arguments go to
    clickhouse-connect as they are."""
    import clickhouse_connect
    from clickhouse_connect.driver.exceptions import ClickHouseError

    if not isinstance(conn, Connection):
        conn = connection(conn)
    params = conn.client_params(use_database)
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
        raise ClickHouseUnreachable(
            f"cannot reach ClickHouse at {conn.redacted(use_database)}: {one_line_reason(exc)}") from None
    finally:
        driver_log.setLevel(previous_level)


def one_line_reason(exc: Exception) -> str:
    text = str(exc)
    errno = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if errno:
        return errno.group(1).strip()
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first_line[:300]
