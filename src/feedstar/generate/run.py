"""Run a generation: users, then each day built in a stage table and swapped into place.

Each day is written to `_*_stage` and moved with `REPLACE PARTITION`, so a re-run replaces
the day, never appends, and a run killed mid-way leaves every day of each table either old
or new, never partial (a killed full run with a new seed can leave old and new days side by
side; re-run it to finish).  The data set's parameters (`_generate_meta`) are written last,
in a stage table swapped in with `EXCHANGE TABLES`: that swap is the run's commit.  A run
killed before it left the old parameters in place, so the same command run again does the
same work (an `--append-day` appends the same day again, it does not skip one); every
statement after it only reads.  The stage tables are emptied before the commit (the meta
stage keeps the previous parameters until the next run).  `--late-share`: the last day
present holds back that share of its events; they
are added (the day is rebuilt complete) when the next day is generated or appended.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from tqdm import tqdm

from . import events_sql, schema, users_sql
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


def read_meta(client) -> Plan | None:
    """The plan of the data set now in `product`, or None when there is none."""
    exists = client.command("exists table product._generate_meta")
    if not int(exists):
        return None
    rows = client.query("select start, last_day, seed, scale, late_share from product._generate_meta").result_rows
    if not rows:
        return None
    start, last_day, seed, scale, late_share = rows[0]
    return Plan(start=start, days=(last_day - start).days + 1, scale=scale, seed=seed, late_share=late_share)


def plan_append(client) -> Plan:
    """The plan after adding one day to the data set in `product` (validated, nothing written)."""
    current = read_meta(client)
    if current is None:
        raise InvalidOptions("--append-day: no generated data set in `product` (run `feedstar generate` first)")
    return Plan(start=current.start, days=current.days + 1, scale=current.scale, seed=current.seed,
                late_share=current.late_share)


def generate(client, plan: Plan, *, only_days: list[dt.date] | None = None, progress: bool = True) -> Summary:
    """Write `plan` into `product`: all its days, or only `only_days` (for --append-day)."""
    began = time.monotonic()
    schema.ensure_schema(client)
    users = _build_users(client, plan)
    users_before_window = int(client.command(
        "select count() from product._users where signup_day < {start:Date}", parameters={"start": plan.start}))
    days = only_days or plan.dates()
    with tqdm(total=len(days), unit="day", desc="feedstar generate", disable=not progress) as bar:
        step = days_per_batch(plan.scale)
        for first in range(0, len(days), step):
            batch = days[first:first + step]
            params = events_sql.batch_params(
                seed=plan.seed, start=plan.start, days=batch, incomplete_day=plan.end,
                late_share=plan.late_share, scale=plan.scale, users_before_window=users_before_window)
            _write_batch(client, batch, params, on_days_done=bar.update)
    for stage in schema.STAGE.values():
        client.command(f"truncate table product.{stage}")
    if only_days is None:
        _drop_days_outside(client, plan)
    counts = {
        table: int(client.command(f"select count() from product.{table}"))
        for table in schema.SOURCE_TABLES
    }
    _write_meta(client, plan)  # the commit: nothing after it writes
    return Summary(plan, days, counts["feed_actions"], counts["message_actions"], users,
                   time.monotonic() - began)


def append_day(client, progress: bool = True) -> Summary:
    """Add the day after the last one present; rebuild that last day if it held events back."""
    plan = plan_append(client)
    new_day = plan.end
    days = [new_day - dt.timedelta(days=1), new_day] if plan.late_share > 0 else [new_day]
    return generate(client, plan, only_days=days, progress=progress)


def _build_users(client, plan: Plan) -> int:
    client.command("truncate table product._users_stage")
    client.command(users_sql.USERS_SQL, parameters=users_sql.users_params(plan.start, plan.end, plan.scale, plan.seed))
    # Swap atomically: readers see the old users or the new ones, never a mix.
    client.command("exchange tables product._users_stage and product._users")
    # The stage now holds the previous users: empty it, so that what is stored does not
    # depend on how many runs came before (a killed run's re-run leaves the same tables).
    client.command("truncate table product._users_stage")
    return int(client.command("select count() from product._users"))


def _write_batch(client, days: list[dt.date], params: dict, on_days_done) -> None:
    """Build the days in the stage tables, then swap each day into the source tables."""
    for table, sql in (("feed_actions", events_sql.FEED_SQL), ("message_actions", events_sql.MESSAGES_SQL)):
        client.command(f"truncate table product.{schema.STAGE[table]}")
        client.command(sql, parameters=events_sql.bound(sql, params))
    for table in schema.SOURCE_TABLES:
        # One ALTER replaces every day of the batch; each day's partition is swapped
        # atomically.  The partition id of `partition by toDate(time)` is YYYYMMDD, built
        # from date objects produced by validation, never from user text.
        replaces = ", ".join(
            f"replace partition id '{day:%Y%m%d}' from product.{schema.STAGE[table]}" for day in days)
        client.command(f"alter table product.{table} {replaces}", settings=REPLACE_SETTINGS)
    on_days_done(len(days))


def _drop_days_outside(client, plan: Plan) -> None:
    """A full run owns the window: days left from an earlier, wider run are removed."""
    for table in schema.SOURCE_TABLES:
        partitions = client.query(
            "select distinct partition_id from system.parts"
            " where database = 'product' and table = {table:String} and active",
            parameters={"table": table}).result_rows
        stale = [day for day in (dt.datetime.strptime(pid, "%Y%m%d").date() for (pid,) in partitions)
                 if not plan.start <= day <= plan.end]
        if stale:
            drops = ", ".join(f"drop partition id '{day:%Y%m%d}'" for day in stale)
            client.command(f"alter table product.{table} {drops}")


META_STAGE = "_generate_meta_stage"


def _write_meta(client, plan: Plan) -> None:
    """Replace the stored parameters in one step: built in a stage table of the same shape
    (columns other modules added included), then swapped in with EXCHANGE TABLES.  A kill
    at any point leaves the old parameters or the new ones, never none (a TRUNCATE then
    INSERT killed in between left an empty table, and --append-day refused to run)."""
    client.command(f"drop table if exists product.{META_STAGE}")
    client.command(f"create table product.{META_STAGE} as product._generate_meta")
    client.insert(f"product.{META_STAGE}", [[plan.start, plan.end, plan.seed, plan.scale, plan.late_share]],
                  column_names=["start", "last_day", "seed", "scale", "late_share"])
    client.command(f"exchange tables product.{META_STAGE} and product._generate_meta")
