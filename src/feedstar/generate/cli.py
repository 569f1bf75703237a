"""`feedstar generate`: parse and validate the flags, then call run.generate / run.write_day."""

from __future__ import annotations

import click

from ..chclient import ClickHouseUnreachable, connection, get_client
from ..settings import SettingsError
from . import run
from .layout import Layout
from .options import DEFAULT_DAYS, InvalidOptions, make_plan, parse_date

# Flags that define a data set; --append-day and --day reuse the stored ones instead.
PLAN_FLAGS = ("start", "days", "scale", "seed", "late_share")


@click.command()
@click.option("--start", default=None, metavar="YYYY-MM-DD", help="First day. Default: DAYS days before today.")
# Numbers are taken as text and checked by options.make_plan, so a bad value gets the same
# one-line error as any other (click's own type errors print a multi-line usage block).
@click.option("--days", default=str(DEFAULT_DAYS), show_default=True, metavar="N", help="Number of days (window ends yesterday by default).")
@click.option("--scale", default="1", show_default=True, metavar="X", help="Multiplies users and posts (1 = ~20k feed DAU).")
@click.option("--seed", default="0", show_default=True, metavar="S", help="Same seed, same tables.")
@click.option("--late-share", default="0", show_default=True, metavar="X",
              help="Share (0..1) of the last day's events inserted only when the next day is generated.")
@click.option("--append-day", is_flag=True, help="Add the day after the last one present (same seed, scale, late share).")
@click.option("--day", default=None, metavar="YYYY-MM-DD",
              help="Write this day with the stored parameters: the next day is added, a day present is "
                   "rewritten with the same rows (safe to re-run, unlike --append-day).")
@click.option("--url", default=None, metavar="URL",
              help="ClickHouse HTTP URL without a password, e.g. http://user@127.0.0.1:8123 (default: the "
                   "FEEDSTAR_CH_* settings; the password always comes from FEEDSTAR_CH_PASSWORD[_FILE]).")
@click.option("--if-absent", is_flag=True, help="Do nothing if the source database already holds a generated data set.")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
@click.pass_context
def generate(ctx, start, days, scale, seed, late_share, append_day, day, url, if_absent, no_progress):
    """Generate the realistic product database: `feed_actions` and `message_actions` in
    FEEDSTAR_SOURCE_DATABASE (default `product`); with FEEDSTAR_TARGET=cluster, sharded over
    the cluster FEEDSTAR_CH_CLUSTER."""
    try:
        conn = connection(url)
        layout = Layout.from_settings()
        if append_day or day is not None:
            flag = "--append-day" if append_day else "--day"
            if append_day and day is not None:
                raise InvalidOptions("--append-day adds the next day, --day names one: give one of them")
            given = [name for name in PLAN_FLAGS
                     if ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT]
            if given:
                flags = ", ".join("--" + name.replace("_", "-") for name in given)
                raise InvalidOptions(f"{flag} reuses the stored data set's parameters; drop {flags}")
            chosen = parse_date(day, "--day")
            client = get_client(conn)
            summary = run.write_day(client, chosen, progress=not no_progress, layout=layout)
        else:
            plan = make_plan(start=start, days=days, scale=scale, seed=seed, late_share=late_share)
            client = get_client(conn)
            existing = run.read_meta(client, layout) if if_absent else None
            if existing is not None:
                click.echo(f"{layout.database} @ {conn.redacted(with_database=False)} already holds {existing.start}..{existing.end} "
                           f"(seed {existing.seed}, scale {existing.scale:g}); --if-absent: nothing to do")
                return
            summary = run.generate(client, plan, progress=not no_progress, layout=layout)
    except (InvalidOptions, ClickHouseUnreachable, SettingsError) as exc:
        raise click.ClickException(str(exc)) from None
    plan = summary.plan
    click.echo(
        f"{layout.database} @ {conn.redacted(with_database=False)}: {plan.start}..{plan.end} (seed {plan.seed}, scale {plan.scale:g}, "
        f"late share {plan.late_share:g}); wrote {len(summary.days_written)} day(s) in {summary.seconds:.1f}s; "
        f"now {summary.feed_rows:,} feed_actions, {summary.message_rows:,} message_actions, {summary.users:,} users")

