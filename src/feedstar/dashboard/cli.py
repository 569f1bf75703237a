"""`feedstar dashboard`: serve the dashboard on 127.0.0.1 and print its URL."""

from __future__ import annotations

import contextlib
import os
import signal
import sys

import click

from feedstar.dashboard.settings import SETTINGS, SettingsError, parse_url

HOST = "127.0.0.1"  # the dashboard has no login, so it never listens beyond loopback (invariant 4)


@click.command()
@click.option("--url", default=SETTINGS["url"][0], show_default=True, envvar="FEEDSTAR_DASHBOARD_URL",
              help=SETTINGS["url"][1])
@click.option("--port", default=SETTINGS["port"][0], show_default=True, type=click.IntRange(1, 65535),
              envvar="FEEDSTAR_DASHBOARD_PORT", help=SETTINGS["port"][1])
@click.option("--pid-file", default=SETTINGS["pid_file"][0], type=click.Path(dir_okay=False),
              help=SETTINGS["pid_file"][1])
def dashboard(url, port, pid_file):
    """Serve the dashboards (Overview, Feed, Messenger, Retention, Lifecycle, Experiments)."""
    try:
        warehouse = parse_url(url)
    except SettingsError as exc:
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
