"""`feedstar serve`: the embedded ClickHouse HTTP endpoint."""

import sys

import click

from feedstar.server.app import DEFAULT_MAX_BODY_BYTES
from feedstar.server.engine import DataDirectoryBusy
from feedstar.server.run import serve as run_serve


@click.command()
@click.option("--path", required=True, envvar="FEEDSTAR_DATA_DIR", type=click.Path(file_okay=False),
              help="chDB data directory this process will own.")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="FEEDSTAR_HOST")
@click.option("--port", default=8123, show_default=True, type=click.IntRange(0, 65535), envvar="FEEDSTAR_PORT",
              help="TCP port (0 = any free port; the chosen one is logged).")
@click.option("--user", default="default", show_default=True, help="Name of the read-write user.")
@click.option("--password", default="", envvar="FEEDSTAR_PASSWORD", help="Password of the read-write user.")
@click.option("--readonly-user", default="dashboard", show_default=True,
              help="Name of a read-only (readonly=1) user, e.g. for the dashboard; '' for none.")
@click.option("--readonly-password", default="", envvar="FEEDSTAR_READONLY_PASSWORD")
@click.option("--max-body-bytes", default=DEFAULT_MAX_BODY_BYTES, show_default=True, type=click.IntRange(1),
              help="Largest request body accepted (after decompression).")
@click.option("--log-file", default=None, type=click.Path(dir_okay=False), help="Also log to this file.")
@click.option("--shutdown-timeout", default=30.0, show_default=True, type=click.FloatRange(0),
              help="Seconds running requests get to finish after SIGTERM/SIGINT before they are cancelled.")
def serve(path, host, port, user, password, readonly_user, readonly_password, max_body_bytes, log_file,
          shutdown_timeout):
    """Serve a chDB data directory over the ClickHouse HTTP interface."""
    try:
        run_serve(path, host=host, port=port, user=user, password=password,
                  readonly_user=readonly_user or None, readonly_password=readonly_password,
                  max_body_bytes=max_body_bytes, log_file=log_file,
                  shutdown_timeout=shutdown_timeout)
    except (DataDirectoryBusy, ValueError, OSError) as exc:
        click.echo(f"feedstar serve: {exc}", err=True)
        sys.exit(2)
