"""Have the day's source events arrived?  Counted in ClickHouse, only numbers come back.

A day is loadable when both source tables hold at least one event on it: a day with
feed events but no messages at all is a half-arrived export, not a quiet day (the app
has thousands of active users a day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from feedstar.orchestration.days import LoadRefused, SourceNotArrived, refuse_day_before_data

SOURCE_TABLES = ("feed_actions", "message_actions")


@dataclass(frozen=True)
class Arrival:
    day: str
    events: dict[str, int]  # source table -> events on `day`

    def as_xcom(self) -> dict:
        return asdict(self)


def quote_identifier(name: str) -> str:
    """ClickHouse identifier quoting: backticks, with backslash and backtick escaped."""
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def check_arrival(client, source_database: str, day: dt.date) -> Arrival:
    """Count `day`'s events per source table; LoadRefused / SourceNotArrived with a clear reason."""
    _refuse_missing_tables(client, source_database)
    refuse_day_before_data(day, first_source_day(client, source_database))
    day_start = dt.datetime.combine(day, dt.time())
    bounds = {"day_start": day_start, "day_end": day_start + dt.timedelta(days=1)}
    events = {}
    for table in SOURCE_TABLES:
        relation = f"{quote_identifier(source_database)}.{quote_identifier(table)}"
        # A time range rather than toDate(time) = d, so a sort key on time can prune.
        events[table] = int(client.query(
            f"select count() from {relation} where time >= {{day_start:DateTime}} and time < {{day_end:DateTime}}",
            parameters=bounds,
        ).result_rows[0][0])
    missing = [table for table, count in events.items() if count == 0]
    if missing:
        found = ", ".join(f"{table}: {count}" for table, count in events.items())
        raise SourceNotArrived(
            f"the events of {day} have not arrived: no rows on {day} in "
            + " and ".join(f"{source_database}.{table}" for table in missing)
            + f" (events per table: {found}); nothing was loaded"
        )
    return Arrival(day=day.isoformat(), events=events)


def first_source_day(client, source_database: str) -> dt.date | None:
    """The earliest event day over both source tables, None if they are empty."""
    days = []
    for table in SOURCE_TABLES:
        relation = f"{quote_identifier(source_database)}.{quote_identifier(table)}"
        day = client.query(f"select minOrNull(toDate(time)) from {relation}").result_rows[0][0]
        if day is not None:
            days.append(day)
    return min(days) if days else None


def _refuse_missing_tables(client, source_database: str) -> None:
    present = {row[0] for row in client.query(
        "select name from system.tables where database = {db:String}",
        parameters={"db": source_database},
    ).result_rows}
    missing = [table for table in SOURCE_TABLES if table not in present]
    if missing:
        raise LoadRefused(
            "source tables missing: " + ", ".join(f"{source_database}.{t}" for t in missing)
            + " (generate them with `feedstar generate` or point FEEDSTAR_SOURCE_DATABASE elsewhere)"
        )
