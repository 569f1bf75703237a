"""`feedstar report`: write the morning report (--out) and/or deliver it (--send)."""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path

import click

from feedstar.report.build import FORMATS


@click.command()
@click.option("--date", "date_text", default=None, metavar="YYYY-MM-DD",
              help="Logical date of the report (default: the newest day the marts hold).")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False), metavar="DIR",
              help="Write report.md or report.html and the PNG charts here.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="markdown", show_default=True)
@click.option("--send", is_flag=True,
              help="Deliver it through apprise (FEEDSTAR_NOTIFY_URLS / FEEDSTAR_NOTIFY_CONFIG), once per date and target.")
@click.option("--force", is_flag=True, help="With --send: send again to targets that already got this date.")
@click.option("--url", default=None, metavar="URL",
              help="ClickHouse HTTP URL of the marts without a password, http[s]://user@host:port/database "
                   "(default: the FEEDSTAR_CH_* settings' read-only user; its password from "
                   "FEEDSTAR_CH_READONLY_PASSWORD[_FILE]).")
def report(date_text, out_dir, fmt, send, force, url):
    """Yesterday's key metrics per service with charts, from the dashboard marts."""
    from feedstar import chclient
    from feedstar.report import deliver
    from feedstar.report.build import build_report
    from feedstar.report.data import ReportDataError

    if force and not send:
        raise click.UsageError("--force only makes sense with --send")
    date = None
    if date_text:
        try:
            date = dt.date.fromisoformat(date_text)
        except ValueError:
            raise click.BadParameter(f"{date_text!r} is not a date (YYYY-MM-DD)", param_hint="--date") from None
    try:
        to = deliver.targets() if send else None
        client = chclient.get_client(chclient.connection(url, readonly=True), use_database=True)
    except (chclient.ClickHouseUnreachable, deliver.NoTargets) as exc:
        raise click.ClickException(str(exc)) from None
    with tempfile.TemporaryDirectory(prefix="feedstar-report-") as scratch:
        directory = Path(out_dir) if out_dir else Path(scratch)
        try:
            built = build_report(client, directory, date, fmt)
        except ReportDataError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            client.close()
        if out_dir:
            click.echo(f"wrote {built.document} and {len(built.images)} charts "
                       f"({', '.join(path.name for path in built.images)})", err=True)
        elif not send:
            click.echo(built.document.read_text(), nl=False)
        if send:
            if not built.data.is_loaded(built.date):
                raise click.ClickException(f"not sending: {built.date} is not loaded in the marts yet")
            try:
                outcome = deliver.deliver(built.date, built.subject, built.message, fmt, built.images,
                                          force=force, to=to)
            except deliver.DeliveryFailed as exc:
                click.echo(f"feedstar report: {exc}", err=True)
                sys.exit(1)
            if outcome.sent:
                click.echo(f"report of {built.date} sent to {', '.join(outcome.sent)}", err=True)
            if outcome.already_sent:
                click.echo(f"report of {built.date} already sent to {', '.join(outcome.already_sent)} "
                           "(--force sends it again)", err=True)
