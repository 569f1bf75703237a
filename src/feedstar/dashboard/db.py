"""Reading the marts over the ClickHouse HTTP interface, as the warehouse's read-only user."""

from __future__ import annotations

import threading

import clickhouse_connect
from clickhouse_connect.driver.exceptions import ClickHouseError, DatabaseError, OperationalError

from feedstar.chclient import Connection

# ClickHouse error codes that mean "the mart is not there (yet)", not "the query is wrong".
_MISSING_CODES = ("Code: 60.", "Code: 81.", "UNKNOWN_TABLE", "UNKNOWN_DATABASE")
_LOGIN_CODES = ("Code: 516.", "AUTHENTICATION_FAILED")


class WarehouseError(RuntimeError):
    """The warehouse could not answer; `reason` is what the reader should do about it."""

    def __init__(self, reason: str, status: int = 503):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class MartReader:
    """One clickhouse-connect client, created on first use so the app starts even if ClickHouse is down."""

    def __init__(self, warehouse: Connection):
        self.warehouse = warehouse
        self._client = None
        self._lock = threading.Lock()

    def _get_client(self):
        with self._lock:
            if self._client is None:
                # Not chclient.get_client: its one-line error would hide "the mart is missing" below.
                self._client = clickhouse_connect.get_client(
                    **self.warehouse.client_params(use_database=True),
                    # Requests from several threads at once: a shared session would be "locked".
                    autogenerate_session_id=False, connect_timeout=5, send_receive_timeout=30,
                )
            return self._client

    def select(self, sql: str, parameters: dict) -> tuple[list[str], list[tuple]]:
        """Run one SELECT with bound parameters; (column names, rows) or a WarehouseError."""
        try:
            result = self._get_client().query(sql, parameters=parameters)
        except (OperationalError, OSError) as exc:  # (OperationalError is also a DatabaseError)
            self._reset()
            raise WarehouseError(
                f"Cannot reach ClickHouse at {self.warehouse.redacted()}: {_first_line(exc)}"
            ) from exc
        except DatabaseError as exc:
            if any(code in str(exc) for code in _LOGIN_CODES):
                self._reset()
                raise WarehouseError(
                    f"ClickHouse at {self.warehouse.redacted()} refused the dashboard's login: check "
                    "FEEDSTAR_CH_READONLY_USER and FEEDSTAR_CH_READONLY_PASSWORD (or _PASSWORD_FILE)."
                ) from exc
            if any(code in str(exc) for code in _MISSING_CODES):
                raise WarehouseError(
                    f"A dashboard mart is missing in database `{self.warehouse.database}`: "
                    "build the warehouse first (`dbt build`)."
                ) from exc
            raise WarehouseError(f"The warehouse rejected a dashboard query: {_first_line(exc)}", 502) from exc
        except ClickHouseError as exc:
            self._reset()
            raise WarehouseError(f"ClickHouse at {self.warehouse.redacted()} failed: {_first_line(exc)}") from exc
        return list(result.column_names), result.result_rows

    def _reset(self):
        with self._lock:
            self._client = None  # reconnect on the next request

    def close(self):
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
