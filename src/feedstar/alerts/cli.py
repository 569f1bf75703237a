"""`feedstar alerts`: check the latest complete 15-minute slot and send its new anomalies."""

from __future__ import annotations

import click

from ..chclient import ClickHouseUnreachable
from ..delivery import NoTargets
from .connect import open_client


@click.command()
@click.option("--at", default=None, metavar="TIMESTAMP",
              help="Check the slot complete at this time (YYYY-MM-DDTHH:MM, warehouse clock). Default: now.")
@click.option("--dry-run", is_flag=True, help="Print what would be sent; send and record nothing.")
@click.option("--url", default=None, metavar="URL",
              help="ClickHouse HTTP URL without a password (default: the FEEDSTAR_CH_* settings).")
@click.option("--database", default="analytics", show_default=True, help="Where the intraday models are.")
@click.option("--dashboard-url", default=None, metavar="URL",
              help="Base of the dashboard links (env FEEDSTAR_DASHBOARD_PUBLIC_URL; default http://127.0.0.1:8050).")
def alerts(at, dry_run, url, database, dashboard_url):
    """Send each new intraday anomaly once (apprise: FEEDSTAR_NOTIFY_URLS / FEEDSTAR_NOTIFY_CONFIG).

    Exit 1 when a message could not be delivered: it is kept and retried by the next run."""
    from . import check

    try:
        client = open_client(url)
        outcome = check.run(client, database=database, at=at, dry_run=dry_run, dashboard=dashboard_url)
    except (check.AlertsError, ClickHouseUnreachable, NoTargets) as exc:
        raise click.ClickException(str(exc)) from None
    slot = f"{outcome.slot:%Y-%m-%d %H:%M}"
    if dry_run:
        click.echo(f"slot {slot}: {len(outcome.anomalies)} anomaly(ies); dry run, nothing sent or recorded")
        for title, body in outcome.messages:
            click.echo(f"\n{title}\n{body}")
        return
    click.echo(f"slot {slot}: {len(outcome.anomalies)} anomaly(ies); sent {outcome.delivered} message(s)"
               + (f", {outcome.failed} not delivered (kept, retried on the next run)" if outcome.failed else ""))
    if outcome.failed:
        raise SystemExit(1)
