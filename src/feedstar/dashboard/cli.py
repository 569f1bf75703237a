"""`feedstar dashboard`: serve the dashboard on 127.0.0.1 and print its URL."""

from __future__ import annotations

import contextlib
import os
import signal
import sys

import click

from feedstar.chclient import ClickHouseUnreachable, connection
from feedstar.settings import SETTINGS, SettingsError, setting_int

HOST = "127.0.0.1"  # the dashboard has no login, so it never listens beyond loopback (invariant 4)


@click.command()
@click.option("--url", default=None, metavar="URL",
              help="ClickHouse HTTP URL of the marts without a password, http[s]://user@host:port/database "
                   "(default: the FEEDSTAR_CH_* settings: read-only user `dashboard`, database `analytics`; "
                   "the password always comes from FEEDSTAR_CH_READONLY_PASSWORD[_FILE]).")
@click.option("--port", default=None, type=click.IntRange(1, 65535), metavar="PORT",
              help=f"{SETTINGS['dashboard_port'].help} (default: {SETTINGS['dashboard_port'].env_var} "
                   f"or {SETTINGS['dashboard_port'].default}).")
@click.option("--pid-file", default=None, type=click.Path(dir_okay=False),
              help="Write the dashboard's PID here while it runs (for `make stop`).")
def dashboard(url, port, pid_file):
    """Serve the dashboards (Overview, Feed, Messenger, Retention, Lifecycle, Experiments)."""
    try:
        warehouse = connection(url, readonly=True)
        port = port or setting_int("dashboard_port")
    except (ClickHouseUnreachable, SettingsError) as exc:
        click.echo(f"feedstar dashboard: {exc}", err=True)
        sys.exit(2)
    import uvicorn

    from feedstar.dashboard.app import create_app

    app = create_app(warehouse)
    click.echo(f"feedstar dashboard: http://{HOST}:{port}/  (marts from {warehouse.redacted()}; "
               "Ctrl-C or SIGTERM stops it)", err=False)
    sys.stdout.flush()
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then re-raises the signal to the
    # handler that was there before it: make that one a no-op so that the PID file is
    # removed and the exit status is 0.
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: None)
    with _pid_file(pid_file):
        uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def _pid_file(path):
    if path:
        with open(path, "w") as handle:
            handle.write(f"{os.getpid()}\n")
    try:
        yield
    finally:
        if path:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
