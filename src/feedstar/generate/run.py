"""Run a generation: users, then each day built in a stage table and swapped into place.

The tables are in the source database (FEEDSTAR_SOURCE_DATABASE, default `product`), laid out
for one node or a cluster as generate/layout.py says; every function takes that `layout`
(default: the settings').  Each day is written to `_*_stage` and moved with `REPLACE PARTITION`, so a re-run replaces
the day, never appends, and a run killed mid-way leaves every day of each table either old
or new, never partial (a killed full run with a new seed can leave old and new days side by
side; re-run it to finish).  The data set's parameters (`_generate_meta`) are written last,
in a stage table swapped in with `EXCHANGE TABLES`: that swap is the run's commit.  A run
killed before it left the old parameters in place, so the same command run again does the
same work (an `--append-day` appends the same day again, it does not skip one; killed after
the commit, it would add the day after: `--day D` names the day, so any re-run is safe); every
statement after it only reads, but for dropping the meta stage.  The stage tables are emptied
before the commit.  `--late-share`: the last day
present holds back that share of its events; they
are added (the day is rebuilt complete) when the next day is generated or appended.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from tqdm import tqdm

from . import events_sql, schema, users_sql
from .layout import Layout
from .options import InvalidOptions, Plan

# Stage tables are emptied before each batch; REPLACE PARTITION from an empty stage (a day on
# which nothing happened, at a tiny scale) must still clear the target's day.
REPLACE_SETTINGS = {"allow_replace_partition_from_empty_source": 1}

# Days built by one INSERT: about six days at scale 1 (~5M rows).  Enough rows to keep every
# core busy and amortise the per-query cost (analysing the generator's SQL alone takes
# ~0.1-0.5 s), few enough to bound memory and the work a killed run loses.
DAYS_PER_BATCH_AT_SCALE_1 = 6
# ClickHouse refuses an INSERT block spanning more than 100 partitions (max_partitions_per_insert_block).
MAX_DAYS_PER_BATCH = 50


def days_per_batch(scale: float) -> int:
    return max(1, min(MAX_DAYS_PER_BATCH, round(DAYS_PER_BATCH_AT_SCALE_1 / scale)))


@dataclass
class Summary:
    plan: Plan
    days_written: list[dt.date]
    feed_rows: int
    message_rows: int
    users: int
    seconds: float


def read_meta(client, layout: Layout | None = None) -> Plan | None:
    """The plan of the data set now in the source database, or None when there is none."""
    layout = layout or Layout.from_settings()
    exists = client.command(f"exists table {layout.table('_generate_meta')}")
    if not int(exists):
        return None
    rows = client.query(
        f"select start, last_day, seed, scale, late_share from {layout.table('_generate_meta')}").result_rows
    if not rows:
        return None
    start, last_day, seed, scale, late_share = rows[0]
    return Plan(start=start, days=(last_day - start).days + 1, scale=scale, seed=seed, late_share=late_share)


def plan_day(current: Plan | None, day: dt.date | None, database: str) -> Plan:
    """The plan once `day` is written with the stored parameters `current`: the day after the
    last one (`None` means that day), which extends the window, or a day inside it, which does not."""
    if current is None:
        raise InvalidOptions(f"{'--append-day' if day is None else '--day'}: no generated data set in "
                             f"`{database}` (run `feedstar generate` first)")
    next_day = current.end + dt.timedelta(days=1)
    day = day or next_day
    if not current.start <= day <= next_day:
        raise InvalidOptions(f"--day {day}: the data set holds {current.start}..{current.end}; "
                             f"write a day in it or the next one, {next_day}")
    return Plan(start=current.start, days=(max(day, current.end) - current.start).days + 1,
                scale=current.scale, seed=current.seed, late_share=current.late_share)


def generate(client, plan: Plan, *, only_days: list[dt.date] | None = None, progress: bool = True,
             layout: Layout | None = None) -> Summary:
    """Write `plan` into the source database: all its days, or only `only_days` (for --append-day)."""
    layout = layout or Layout.from_settings()
    layout.prepare(client)
    began = time.monotonic()
    schema.ensure_schema(client, layout)
    users = _build_users(client, plan, layout)
    users_before_window = count_users_before(client, plan.start, layout)
    days = only_days or plan.dates()
    with tqdm(total=len(days), unit="day", desc="feedstar generate", disable=not progress) as bar:
        step = days_per_batch(plan.scale)
        for first in range(0, len(days), step):
            batch = days[first:first + step]
            params = events_sql.batch_params(
                seed=plan.seed, start=plan.start, days=batch, incomplete_day=plan.end,
                late_share=plan.late_share, scale=plan.scale, users_before_window=users_before_window)
            _write_batch(client, batch, params, layout, on_days_done=bar.update)
    for stage in schema.STAGE.values():
        client.command(f"truncate table {layout.rows(stage)}")
    if only_days is None:
        drop_days_outside(client, plan, layout)
    counts = {
        table: int(client.command(f"select count() from {layout.table(table)}"))
        for table in schema.SOURCE_TABLES
    }
    _write_meta(client, plan, layout)  # the commit: nothing after it writes
    return Summary(plan, days, counts["feed_actions"], counts["message_actions"], users,
                   time.monotonic() - began)


def append_day(client, progress: bool = True, layout: Layout | None = None) -> Summary:
    """Add the day after the last one present; rebuild that last day if it held events back."""
    return write_day(client, None, progress=progress, layout=layout)


def write_day(client, day: dt.date | None, progress: bool = True, layout: Layout | None = None) -> Summary:
    """Write `day` with the stored parameters (`None`: the day after the last one).

    The next day is added (and the last one rebuilt if it held events back); a day already
    present is rewritten with the same rows.  So `--day D` run again after a crash, even one
    after its commit, leaves what one run leaves, where `--append-day` would add another day."""
    layout = layout or Layout.from_settings()
    current = read_meta(client, layout)
    plan = plan_day(current, day, layout.database)
    day = day or plan.end
    appending = day > current.end
    days = [day - dt.timedelta(days=1), day] if appending and plan.late_share > 0 else [day]
    return generate(client, plan, only_days=days, progress=progress, layout=layout)


def count_users_before(client, day: dt.date, layout: Layout) -> int:
    return int(client.command(f"select count() from {layout.table('_users')} where signup_day < {{start:Date}}",
                              parameters={"start": day}))


def _build_users(client, plan: Plan, layout: Layout | None = None) -> int:
    layout = layout or Layout.from_settings()
    client.command(f"truncate table {layout.rows('_users_stage')}")
    client.command(layout.render(users_sql.USERS_SQL),
                   parameters=users_sql.users_params(plan.start, plan.end, plan.scale, plan.seed))
    # Swap atomically: readers see the old users or the new ones, never a mix.
    for statement in layout.wait_for_replicas("_users_stage"):
        client.command(statement)
    client.command(f"exchange tables {layout.table('_users_stage')} and {layout.whole('_users')}")
    # The stage now holds the previous users: empty it, so that what is stored does not
    # depend on how many runs came before (a killed run's re-run leaves the same tables).
    client.command(f"truncate table {layout.rows('_users_stage')}")
    return int(client.command(f"select count() from {layout.table('_users')}"))


def replace_days(client, layout: Layout, table: str, source: str, days: list[dt.date]) -> None:
    """Swap `days` of `source` (a work table) into `table`, each day's partition atomically;
    on a cluster each shard swaps its own rows."""
    for statement in layout.wait_for_replicas(source):
        client.command(statement)
    # One ALTER replaces every day; the partition id of `partition by toDate(time)` is
    # YYYYMMDD, built from date objects produced by validation, never from user text.
    source_table = f"{layout.database}.{layout.node_table(source)}"
    replaces = ", ".join(f"replace partition id '{day:%Y%m%d}' from {source_table}" for day in days)
    client.command(f"alter table {layout.rows(table)} {replaces}", settings=REPLACE_SETTINGS)


def _write_batch(client, days: list[dt.date], params: dict, layout: Layout, on_days_done) -> None:
    """Build the days in the stage tables, then swap each day into the source tables."""
    for table, sql in (("feed_actions", events_sql.FEED_SQL), ("message_actions", events_sql.MESSAGES_SQL)):
        client.command(f"truncate table {layout.rows(schema.STAGE[table])}")
        client.command(layout.render(sql), parameters=events_sql.bound(sql, params))
    for table in schema.SOURCE_TABLES:
        replace_days(client, layout, table, schema.STAGE[table], days)
    on_days_done(len(days))


def drop_days_outside(client, plan: Plan, layout: Layout | None = None) -> None:
    """A full run owns the window: days left from an earlier, wider run are removed."""
    layout = layout or Layout.from_settings()
    for table in schema.SOURCE_TABLES:
        partitions = client.query(
            f"select distinct partition_id from {layout.parts()}"
            " where database = {database:String} and table = {table:String} and active",
            parameters={"database": layout.database, "table": layout.node_table(table)}).result_rows
        stale = sorted({day for day in (dt.datetime.strptime(pid, "%Y%m%d").date() for (pid,) in partitions)
                        if not plan.start <= day <= plan.end})
        if stale:
            drops = ", ".join(f"drop partition id '{day:%Y%m%d}'" for day in stale)
            client.command(f"alter table {layout.rows(table)} {drops}")


META_STAGE = "_generate_meta_stage"


def _write_meta(client, plan: Plan, layout: Layout) -> None:
    """Replace the stored parameters in one step: built in a stage table of the same shape
    (columns other modules added included), then swapped in with EXCHANGE TABLES.  A kill
    at any point leaves the old parameters or the new ones, never none (a TRUNCATE then
    INSERT killed in between left an empty table, and --append-day refused to run)."""
    client.command(f"drop table if exists {layout.whole(META_STAGE)}")
    client.command(layout.create_like(META_STAGE, "_generate_meta", schema.META_KEYS))
    client.insert(layout.table(META_STAGE), [[plan.start, plan.end, plan.seed, plan.scale, plan.late_share]],
                  column_names=["start", "last_day", "seed", "scale", "late_share"])
    for statement in layout.wait_for_replicas(META_STAGE):
        client.command(statement)
    client.command(f"exchange tables {layout.table(META_STAGE)} and {layout.whole('_generate_meta')}")
    # The stage now holds the previous parameters: gone, so that a re-run after a kill here
    # (which writes the same parameters again) leaves the same tables as one run.
    client.command(f"drop table if exists {layout.whole(META_STAGE)}")
