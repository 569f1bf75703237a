"""Which days a daily load rebuilds: the new day, and the lookback days whose sources changed.

A load of day D may rebuild [D - lookback_days, D] to pick up late events (docs/contracts.md,
"Load window").  Most days no late event arrives, and rebuilding the lookback then costs three
days of work for one day of news.  So each load records a fingerprint of every source day it
covered, and the next day's load rebuilds from the first lookback day whose fingerprint
changed, or only its own day.

The fingerprint of a (source table, day) is read from system.parts, never from the rows:
the active parts' row count, their highest block number, and the highest version of a
mutation applied to them (a part's data_version when it is above its block numbers; a
merged part that no mutation touched keeps the data version of its first block).  An
insert (a late event, an attached partition) brings a new block number, a mutation (an
UPDATE, a DELETE, a lightweight DELETE) a new version on every part it rewrote, a dropped
part fewer rows, a dropped partition no parts at all; a plain merge changes none of the
three (a merge that mixes mutated and newer parts may: the day is then rebuilt, needlessly
but safely).  It is taken before dbt reads the sources, so whatever arrives during the load
is seen as a change by the next one.

The whole lookback is rebuilt (as a plain `dbt build --vars '{start_date: D}'` would) when the
previous load's fingerprints cannot vouch for the lookback days: there is no previous load
(the first run), it was not the load of D - 1 (a backfill, a gap after a failed or missed
day, a re-run of the same day), it covered fewer days, it read another source database, or a
source table is not a MergeTree partitioned by toDate(time) (a Distributed table of a
cluster has no parts of its own).  What the fingerprints vouch for is the sources: a
warehouse table rewritten by hand since (a failed manual backfill) is the same concern it
was for a plain daily load, whose lookback only reaches 3 days either.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from feedstar.orchestration.arrival import SOURCE_TABLES

# the product tables' partition key, as system.tables shows it (`feedstar generate` makes them so)
DAY_PARTITION_KEY = "toDate(time)"


@dataclass(frozen=True)
class LoadPlan:
    day: dt.date
    start: dt.date  # the first day this load rebuilds: day - lookback_days at most
    lookback_days: int
    source_database: str
    reason: str  # why the load starts at `start`, for the task log
    # {table: {"YYYY-MM-DD": [rows, highest block, highest mutation]}} for every day of
    # [day - lookback_days, day] with active parts; None when the sources cannot be fingerprinted
    fingerprints: dict | None

    def dbt_vars(self) -> dict:
        """The window as dbt's load-window vars: [start, day], no further lookback."""
        return {"start_date": self.start.isoformat(), "end_date": self.day.isoformat(), "lookback_days": 0}

    def as_xcom(self) -> dict:
        return {"day": self.day.isoformat(), "start": self.start.isoformat(), "lookback_days": self.lookback_days,
                "source_database": self.source_database, "reason": self.reason, "fingerprints": self.fingerprints}


def plan_load(client, source_database: str, day: dt.date, lookback_days: int, previous: dict | None) -> LoadPlan:
    """The plan of the load of `day`, given the previous load's `as_xcom()` (or None)."""
    first = day - dt.timedelta(days=lookback_days)
    fingerprints = source_fingerprints(client, source_database, first, day)
    plan = dict(day=day, lookback_days=lookback_days, source_database=source_database, fingerprints=fingerprints)
    distrust = _why_previous_cannot_vouch(previous, source_database, day, first, fingerprints)
    if distrust:
        return LoadPlan(start=first, reason=f"the whole lookback from {first}: {distrust}", **plan)
    changed = [d for d in _days(first, day - dt.timedelta(days=1))
               if any(_day_print(fingerprints, table, d) != _day_print(previous["fingerprints"], table, d)
                      for table in SOURCE_TABLES)]
    if changed:
        return LoadPlan(start=changed[0], reason="source rows of " + ", ".join(map(str, changed))
                        + f" changed since the load of {previous['day']}", **plan)
    return LoadPlan(start=day, reason=f"no source day of the lookback changed since the load of {previous['day']}",
                    **plan)


def source_fingerprints(client, source_database: str, first: dt.date, last: dt.date) -> dict | None:
    """{table: {day: [rows, highest block, highest mutation]}} over [first, last], or None
    when a source table's parts do not map to days."""
    prints = {}
    for table in SOURCE_TABLES:
        described = client.query(
            "select engine, partition_key from system.tables where database = {db:String} and name = {t:String}",
            parameters={"db": source_database, "t": table}).result_rows
        if not described:
            return None
        engine, partition_key = described[0]
        if not engine.endswith("MergeTree") or partition_key.replace(" ", "") != DAY_PARTITION_KEY:
            return None
        rows = client.query(
            "select partition, sum(rows), max(max_block_number), "
            "max(if(data_version > max_block_number, data_version, 0)) from system.parts "
            "where database = {db:String} and table = {t:String} and active "
            "and partition in {days:Array(String)} group by partition",
            parameters={"db": source_database, "t": table,
                        "days": [d.isoformat() for d in _days(first, last)]}).result_rows
        prints[table] = {partition: [int(n), int(block), int(mutation)] for partition, n, block, mutation in rows}
    return prints


def _why_previous_cannot_vouch(previous, source_database, day, first, fingerprints) -> str:
    """'' when the previous load's fingerprints tell which lookback days changed, else why not."""
    if fingerprints is None:
        return f"the source tables of {source_database} are not MergeTree tables partitioned by {DAY_PARTITION_KEY}"
    if not previous or not previous.get("fingerprints"):
        return "no previous load recorded its source fingerprints"
    if previous.get("day") != (day - dt.timedelta(days=1)).isoformat():
        return f"the previous load recorded was of {previous.get('day')}, not of the day before"
    if previous.get("source_database") != source_database:
        return f"the previous load read {previous.get('source_database')}, not {source_database}"
    covered_from = dt.date.fromisoformat(previous["day"]) - dt.timedelta(days=int(previous.get("lookback_days", 0)))
    if covered_from > first:
        return f"the previous load covered the days from {covered_from} only"
    return ""


def _day_print(fingerprints: dict, table: str, day: dt.date):
    return (fingerprints.get(table) or {}).get(day.isoformat())


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
