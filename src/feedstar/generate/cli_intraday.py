"""`feedstar generate` with the intraday flags: --until and --incident (generate/intraday.py).

The daily command (generate/cli.py) is unchanged: this module adds the two options to it and
handles a run that uses them; any other run is the daily command as it was.
"""

from __future__ import annotations

import click

from ..alerts.connect import describe, open_client
from ..chclient import ClickHouseUnreachable
from ..settings import SettingsError
from . import cli as daily_cli
from .layout import Layout
from .options import InvalidOptions

UNTIL = click.Option(
    ["--until"], default=None, is_flag=False, flag_value="now", metavar="TIMESTAMP",
    help="Also write the day of TIMESTAMP up to it (YYYY-MM-DDTHH:MM[:SS], the warehouse's clock; "
         "`--until` alone or `now`: now). Without plan flags it extends the data set already in the source database.")
INCIDENT = click.Option(
    ["--incident", "incident_specs"], multiple=True, metavar="START/DURATION:METRIC=FACTOR[,os=X|,source=X]",
    help="Inject an outage (repeatable), e.g. 2026-11-29T14:00/30m:feed_views=0.4; metrics feed_views, "
         "likes, messages; recorded in _generate_meta.")


@click.pass_context
def _callback(ctx, until, incident_specs, **params):
    if until is None and not incident_specs:
        return ctx.invoke(daily_cli.generate.callback, **params)
    from . import intraday

    given = {name for name in daily_cli.PLAN_FLAGS
             if ctx.get_parameter_source(name) != click.core.ParameterSource.DEFAULT}
    try:
        for flag in ("append_day", "day"):
            if params[flag]:
                raise InvalidOptions(f"--{flag.replace('_', '-')} cannot be combined with --until or --incident")
        layout = Layout.from_settings()
        client = open_client(params["url"])
        summary, until_at, incidents = intraday.generate(
            client, plan_given=bool(given), until=until, incident_specs=list(incident_specs),
            progress=not params["no_progress"], if_absent=params["if_absent"], layout=layout,
            **{name: (params[name] if name in given else None) for name in daily_cli.PLAN_FLAGS})
    except (InvalidOptions, ClickHouseUnreachable, SettingsError) as exc:
        raise click.ClickException(str(exc)) from None
    plan = summary.plan
    partial = f" + {until_at.date()} up to {until_at:%H:%M:%S}" if until_at else ""
    injected = f"; incidents: {', '.join(i.spec for i in incidents)}" if incidents else ""
    click.echo(
        f"{layout.database} @ {describe(params['url'])}: {plan.start}..{plan.end}{partial} (seed {plan.seed}, "
        f"scale {plan.scale:g}, late share {plan.late_share:g}); wrote {len(summary.days_written)} day(s) "
        f"in {summary.seconds:.1f}s; now {summary.feed_rows:,} feed_actions, {summary.message_rows:,} "
        f"message_actions, {summary.users:,} users{injected}")


generate = click.Command(
    name="generate", callback=_callback, params=[*daily_cli.generate.params, UNTIL, INCIDENT],
    help=(daily_cli.generate.help or "") + "\n\nWith --until: also the day being lived, up to a time; "
    "--incident injects an outage.")
