"""The day being lived: `feedstar generate --until TIMESTAMP` and `--incident`.

`--until T` writes the complete days of the window, then day D = T's date with only the
events before T: day D is generated exactly as a complete day would be (same hashes, so the
same events) and cut at T in a second stage table (`_*_cut`) before it replaces D's
partition.  Calling it again with a later T rewrites D whole, so the day grows and nothing
is ever duplicated; `--append-day` later completes D (the stored plan's last complete day
is D - 1).

Without plan flags (--start, --days, --scale, --seed, --late-share), or with --if-absent,
and with a data set already in the source database, `--until` *extends* it: the stored start, seed, scale and late share
are kept, the complete days missing since the stored data set are written and day D is
(re)written up to T.  With plan flags it is a full run of that window plus day D.

`--incident`: the days an incident touches are rewritten through the same cut with the
incident's thinning (generate/incidents.py).  `_generate_meta` records `until`
(NULL when the last day is complete) and `incidents` (JSON, what was injected).
`--append-day` writes plain days: it does not carry incidents to the day it adds.
"""

from __future__ import annotations

import datetime as dt
import time

from . import events_sql, incidents as incidents_mod, run, schema
from .incidents import Incident
from .layout import Layout
from .options import InvalidOptions, Plan, make_plan

CUT = {"feed_actions": "_feed_actions_cut", "message_actions": "_message_actions_cut"}
SQL = {"feed_actions": events_sql.FEED_SQL, "message_actions": events_sql.MESSAGES_SQL}


def server_now(client) -> dt.datetime:
    """The warehouse's clock (its time zone is the one `time` is written in)."""
    return dt.datetime.fromisoformat(str(client.command("select toString(now())")))


def parse_until(value: str, now: dt.datetime) -> dt.datetime:
    if value.strip().lower() == "now":
        return now.replace(microsecond=0)
    try:
        until = dt.datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        raise InvalidOptions(f"--until: {value!r} is not a date and time (YYYY-MM-DDTHH:MM[:SS] or 'now')") from None
    if until.tzinfo is not None:
        raise InvalidOptions(f"--until: {value!r}: give the time without a zone, in the warehouse's clock")
    if until > now:
        raise InvalidOptions(f"--until: {until} is in the future (the warehouse's clock says {now:%Y-%m-%d %H:%M:%S})")
    return until


def ensure_schema(client, layout: Layout) -> None:
    schema.ensure_schema(client, layout)
    for table, cut in CUT.items():
        schema.create_event_table(client, layout, cut, table)
    client.command(f"alter table {layout.whole('_generate_meta')}"
                   " add column if not exists until Nullable(DateTime),"
                   " add column if not exists incidents String default '[]'")


def read_state(client, layout: Layout | None = None) -> tuple[Plan | None, dt.datetime | None, list[Incident]]:
    """The stored plan (complete days), the partial day's end (or None) and the incidents."""
    layout = layout or Layout.from_settings()
    plan = run.read_meta(client, layout)
    if plan is None:
        return None, None, []
    columns = {name for (name,) in client.query(
        "select name from system.columns where database = {database:String} and table = '_generate_meta'",
        parameters={"database": layout.database}).result_rows}
    if "until" not in columns:
        return plan, None, []
    until, text = client.query(f"select until, incidents from {layout.table('_generate_meta')}").result_rows[0]
    return plan, until, incidents_mod.from_json(text)


def generate(client, *, start=None, days=None, scale=None, seed=None, late_share=None, plan_given: bool,
             until: str | None, incident_specs: list[str], progress: bool = True, if_absent: bool = False,
             layout: Layout | None = None):
    """Run `feedstar generate` with --until and/or --incident; returns (run.Summary, until, incidents)."""
    layout = layout or Layout.from_settings()
    layout.prepare(client)
    began = time.monotonic()
    new_incidents = [incidents_mod.parse(spec) for spec in incident_specs]
    now = server_now(client)
    until_at = parse_until(until, now) if until is not None else None
    stored, stored_until, stored_incidents = read_state(client, layout)
    if until_at is not None and stored is not None and (not plan_given or if_absent):
        return _extend(client, layout, stored, stored_until, stored_incidents, new_incidents, until_at, progress,
                       began)

    options = {"start": start, "scale": scale, "seed": seed, "late_share": late_share}
    options = {name: value for name, value in options.items() if value is not None}
    if days is not None:
        options["days"] = days
    today = until_at.date() if until_at is not None else None
    complete = make_plan(**options, today=today)
    if until_at is not None and until_at.date() < complete.start:
        raise InvalidOptions(f"--until: {until_at} is before the data's start ({complete.start})")
    if until_at is not None and until_at.date() <= complete.end:
        raise InvalidOptions(f"--until: {until_at} falls inside the complete days {complete.start}..{complete.end}; "
                             "with --until the window's days end the day before")
    last = until_at.date() if until_at is not None else complete.end
    whole = Plan(complete.start, (last - complete.start).days + 1, complete.scale, complete.seed, complete.late_share)
    _check_incidents(new_incidents, complete.start, last, until_at)
    ensure_schema(client, layout)
    summary = run.generate(client, whole if until_at is not None else complete,
                           only_days=complete.dates() if until_at is not None else None, progress=progress,
                           layout=layout)
    rewrite = {day for incident in new_incidents for day in incident.days() if complete.start <= day <= last}
    if until_at is not None:
        rewrite.add(last)
    _rewrite_days(client, layout, whole, sorted(rewrite), until_at, new_incidents)
    if until_at is not None:
        run.drop_days_outside(client, whole, layout)
    _write_state(client, layout, complete.end, until_at, new_incidents)
    written = summary.days_written + [last] * (until_at is not None)
    return _summary(client, layout, complete, written, began), until_at, new_incidents


def _extend(client, layout: Layout, stored: Plan, stored_until, stored_incidents, new_incidents, until_at, progress,
            began):
    day = until_at.date()
    if day <= stored.end:
        raise InvalidOptions(f"--until: {until_at} is not after the data set's complete days "
                             f"({stored.start}..{stored.end}); nothing to extend")
    whole = Plan(stored.start, (day - stored.start).days + 1, stored.scale, stored.seed, stored.late_share)
    complete_days = [stored.end + dt.timedelta(days=i) for i in range(1, (day - stored.end).days)]
    if stored.late_share > 0 and stored_until is None:
        # the stored last day held its late events back: it is complete now
        complete_days.insert(0, stored.end)
    first_written = complete_days[0] if complete_days else day
    _check_incidents(new_incidents, first_written, day, until_at)
    everything = stored_incidents + new_incidents
    ensure_schema(client, layout)
    if complete_days:
        run.generate(client, whole, only_days=complete_days, progress=progress, layout=layout)
    else:
        run._build_users(client, whole, layout)
    written = set(complete_days) | {day}
    rewrite = {d for incident in everything for d in incident.days() if d in written} | {day}
    _rewrite_days(client, layout, whole, sorted(rewrite), until_at, everything)
    complete = Plan(stored.start, whole.days - 1, stored.scale, stored.seed, stored.late_share)
    _write_state(client, layout, complete.end, until_at, everything)
    return _summary(client, layout, complete, complete_days + [day], began), until_at, everything


def _check_incidents(incidents: list[Incident], first: dt.date, last: dt.date, until_at) -> None:
    for incident in incidents:
        if incident.start.date() < first or incident.start.date() > last:
            raise InvalidOptions(f"--incident: {incident.spec} starts outside the days written ({first}..{last})")
        if until_at is not None and incident.start >= until_at:
            raise InvalidOptions(f"--incident: {incident.spec} starts at or after --until ({until_at})")


def _rewrite_days(client, layout: Layout, plan: Plan, days: list[dt.date], until_at,
                  incidents: list[Incident]) -> None:
    """Build each day whole in the stage tables, keep what the cut keeps, swap it in."""
    if not days:
        return
    users_before_window = run.count_users_before(client, plan.start, layout)
    for day in days:
        params = events_sql.batch_params(
            seed=plan.seed, start=plan.start, days=[day], incomplete_day=plan.end,
            late_share=plan.late_share, scale=plan.scale, users_before_window=users_before_window)
        for table, sql in SQL.items():
            stage, cut = schema.STAGE[table], CUT[table]
            client.command(f"truncate table {layout.rows(stage)}")
            client.command(layout.render(sql), parameters=events_sql.bound(sql, params))
            cut_params = {"seed": plan.seed}
            keep = incidents_mod.keep_condition(table, incidents, cut_params)
            if until_at is not None and day == until_at.date():
                keep += " and time < {until:DateTime}"
                cut_params["until"] = until_at
            client.command(f"truncate table {layout.rows(cut)}")
            client.command(f"insert into {layout.table(cut)} select * from {layout.table(stage)} where {keep}",
                           parameters=cut_params)
        for table, cut in CUT.items():
            run.replace_days(client, layout, table, cut, [day])
    for table in SQL:
        client.command(f"truncate table {layout.rows(schema.STAGE[table])}")
        client.command(f"truncate table {layout.rows(CUT[table])}")


def _write_state(client, layout: Layout, last_complete: dt.date, until_at, incidents: list[Incident]) -> None:
    client.command(
        f"alter table {layout.whole('_generate_meta')} update last_day = {{last:Date}},"
        " until = {until:Nullable(DateTime)}, incidents = {incidents:String} where 1",
        parameters={"last": last_complete, "until": until_at, "incidents": incidents_mod.to_json(incidents)},
        settings={"mutations_sync": 2})


def _summary(client, layout: Layout, plan: Plan, days_written, began) -> run.Summary:
    counts = {table: int(client.command(f"select count() from {layout.table(table)}"))
              for table in schema.SOURCE_TABLES}
    users = int(client.command(f"select count() from {layout.table('_users')}"))
    return run.Summary(plan, days_written, counts["feed_actions"], counts["message_actions"], users,
                       time.monotonic() - began)
