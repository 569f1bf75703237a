"""Named HTTP sessions (`session_id=`): one dedicated chDB connection each.

On a ClickHouse server, settings and `database` given as URL parameters apply to that
one request; only `SET` and `USE` statements change the session.  A chDB connection has
a single state, so a request's URL settings are laid over the session's own state and
taken off again before anything that must see the session's own state:

* `overlay` holds the URL settings (and database) currently applied on top of it, and
  `originals` the values they replaced;
* a request with the same URL settings as the previous one (clickhouse-connect sends the
  same few on every request) costs nothing; a different one restores the originals and
  applies its own;
* a `SET`/`USE` statement runs on the session's own state (overlay taken off first), so
  what it changes stays after the request, as on a server.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from feedstar.server.engine_sql import quote_identifier, quote_setting_value, run_statement


@dataclass
class Session:
    connection: object
    timeout_s: float
    lock: threading.Lock = field(default_factory=threading.Lock)
    initialized: bool = False
    last_used: float = field(default_factory=time.monotonic)
    overlay_settings: dict[str, str] = field(default_factory=dict)
    overlay_database: str | None = None
    original_settings: dict[str, str | None] = field(default_factory=dict)
    original_database: str | None = None

    def expired(self, now: float) -> bool:
        return now - self.last_used > self.timeout_s

    def lay_over(self, settings: dict[str, str], database: str | None) -> None:
        """Make `settings` and `database` (this request's URL values) the ones in force."""
        if settings == self.overlay_settings and database == self.overlay_database:
            return
        self.take_off()
        if not settings and not database:
            return
        self.original_database, self.original_settings = self._current(sorted(settings))
        self.overlay_settings, self.overlay_database = dict(settings), database
        try:
            if database:
                run_statement(self.connection, f"USE {quote_identifier(database)}")
            for name, value in sorted(settings.items()):
                run_statement(self.connection, f"SET {name} = {quote_setting_value(value)}")
        except BaseException:
            self.take_off()
            raise

    def take_off(self) -> None:
        """Put back the session's own values of whatever the overlay changed."""
        if not self.overlay_settings and not self.overlay_database:
            return
        try:
            if self.overlay_database and self.original_database:
                run_statement(self.connection, f"USE {quote_identifier(self.original_database)}")
            for name, value in sorted(self.original_settings.items()):
                restored = "DEFAULT" if value is None else quote_setting_value(value)
                run_statement(self.connection, f"SET {name} = {restored}")
        finally:
            self.overlay_settings, self.overlay_database = {}, None
            self.original_settings, self.original_database = {}, None

    def _current(self, names: list[str]) -> tuple[str, dict[str, str | None]]:
        """The current database, and for each known setting in `names` the value to restore.

        None means "not changed in this session": restored with `SET name = DEFAULT`.
        """
        result = run_statement(
            self.connection,
            "SELECT currentDatabase(), groupArray((name, value, changed)) FROM system.settings"
            " WHERE name IN {names:Array(String)}",
            params={"names": "[" + ",".join(quote_setting_value(name) for name in names) + "]"},
            fmt="JSONCompactEachRow",
        )
        database, rows = json.loads(result.bytes())
        return database, {name: (value if changed else None) for name, value, changed in rows}
