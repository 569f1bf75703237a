"""`feedstar serve`: the embedded ClickHouse HTTP endpoint."""

import os
import sys

import click

from feedstar.server.app import DEFAULT_MAX_BODY_BYTES
from feedstar.server.engine import DataDirectoryBusy, _owner_hint
from feedstar.server.http_guard import DEFAULT_HEADER_TIMEOUT_S, DEFAULT_MAX_HEADER_BYTES
from feedstar.server.policy import Policy
from feedstar.server.run import ServeOptions
from feedstar.server.run import serve as run_serve


def read_secret(env_name: str, file_path: str | None) -> str:
    """A password from its file (first line) or its environment variable; never from argv."""
    if file_path:
        with open(file_path) as handle:
            return handle.readline().rstrip("\r\n")
    return os.environ.get(env_name, "")


def _refuse_argv_password(ctx, param, value):
    if value is not None:
        raise click.BadParameter(
            "passwords on the command line are visible to every local user in `ps`: "
            "set FEEDSTAR_PASSWORD / FEEDSTAR_READONLY_PASSWORD or use --password-file / --readonly-password-file")
    return value


def check_data_directory(path: str) -> int:
    """`--check`: the health report on stdout; 0 healthy, 1 problems, 2 in use or missing."""
    from feedstar.server import recovery

    try:
        health = recovery.check(path)
    except BlockingIOError:
        click.echo(f"feedstar serve --check: data directory {os.path.abspath(path)} is in use by a running "
                   f"endpoint{_owner_hint(path)}; ask it instead (SELECT ... FROM system.parts, system.detached_parts) "
                   "or stop it first", err=True)
        return 2
    except FileNotFoundError as exc:
        click.echo(f"feedstar serve --check: {exc}", err=True)
        return 2
    click.echo(health.report())
    return 0 if health.healthy else 1


@click.command()
@click.option("--path", required=True, envvar="FEEDSTAR_DATA_DIR", type=click.Path(file_okay=False),
              help="chDB data directory this process will own.")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="FEEDSTAR_HOST",
              help="Address to listen on; beyond loopback every enabled user needs a password.")
@click.option("--port", default=8123, show_default=True, type=click.IntRange(0, 65535), envvar="FEEDSTAR_PORT",
              help="TCP port (0 = any free port; the chosen one is logged).")
@click.option("--user", default="default", show_default=True, help="Name of the read-write user.")
@click.option("--password-file", type=click.Path(exists=True, dir_okay=False),
              help="File whose first line is the read-write user's password (else $FEEDSTAR_PASSWORD).")
@click.option("--readonly-user", default="dashboard", show_default=True,
              help="Name of a read-only (readonly=1) user, e.g. for the dashboard; '' for none.")
@click.option("--readonly-password-file", type=click.Path(exists=True, dir_okay=False),
              help="File whose first line is the read-only user's password (else $FEEDSTAR_READONLY_PASSWORD).")
@click.option("--password", "--readonly-password", "argv_password", hidden=True, expose_value=False,
              callback=_refuse_argv_password)
@click.option("--user-files", type=click.Path(exists=True, file_okay=False),
              help="Let the read-write user's file() read and write inside this directory only "
                   "(as a server's user_files_path). Default: no file access.")
@click.option("--remote-host", multiple=True, metavar="HOST[:PORT]",
              help="Let url()/s3()/remote()/mysql()/postgresql()... reach this host (repeatable; "
                   "as remote_url_allow_hosts). Default: no network access.")
@click.option("--allow-origin", multiple=True, metavar="ORIGIN",
              help="A web origin (scheme://host:port) whose browser requests are served (repeatable).")
@click.option("--allow-host", multiple=True, metavar="NAME",
              help="A host name clients may use in the Host header besides IPs, localhost and this "
                   "machine's name (repeatable).")
@click.option("--max-body-bytes", default=DEFAULT_MAX_BODY_BYTES, show_default=True, type=click.IntRange(1),
              help="Largest request body accepted, raw and after decompression.")
@click.option("--header-timeout", default=DEFAULT_HEADER_TIMEOUT_S, show_default=True, type=click.FloatRange(0.1),
              help="Seconds a connection has to send a request's headers before it is dropped.")
@click.option("--max-header-bytes", default=DEFAULT_MAX_HEADER_BYTES, show_default=True,
              type=click.IntRange(1024), help="Largest request line + headers accepted (431 beyond).")
@click.option("--max-server-memory-usage", default=0, show_default=True, type=click.IntRange(0),
              help="Memory cap of the whole endpoint in bytes (0 = 80% of the machine's); one query may "
                   "use half of it.")
@click.option("--log-file", default=None, type=click.Path(dir_okay=False), help="Also log to this file.")
@click.option("--check", is_flag=True,
              help="Report the data directory's health (traces of an unclean stop, every table readable, "
                   "parts, detached parts) without serving; exit 0 healthy, 1 problems, 2 in use or missing.")
@click.option("--shutdown-timeout", default=30.0, show_default=True, type=click.FloatRange(0),
              help="Seconds running requests get to finish after SIGTERM/SIGINT before they are cancelled.")
def serve(path, host, port, user, password_file, readonly_user, readonly_password_file, user_files, remote_host,
          allow_origin, allow_host, max_body_bytes, header_timeout, max_header_bytes, max_server_memory_usage,
          log_file, shutdown_timeout, check):
    """Serve a chDB data directory over the ClickHouse HTTP interface."""
    if check:
        sys.exit(check_data_directory(path))
    options = ServeOptions(
        path=path, host=host, port=port, user=user,
        password=read_secret("FEEDSTAR_PASSWORD", password_file),
        readonly_user=readonly_user or None,
        readonly_password=read_secret("FEEDSTAR_READONLY_PASSWORD", readonly_password_file),
        max_body_bytes=max_body_bytes, log_file=log_file, shutdown_timeout=shutdown_timeout,
        policy=Policy(user_files=os.path.realpath(user_files) if user_files else None,
                      remote_hosts=frozenset(host_name.lower() for host_name in remote_host)),
        allowed_origins=tuple(allow_origin), allowed_hosts=tuple(allow_host),
        header_timeout=header_timeout, max_header_bytes=max_header_bytes,
        max_server_memory_usage=max_server_memory_usage,
    )
    try:
        run_serve(options)
    except (DataDirectoryBusy, ValueError, OSError) as exc:
        click.echo(f"feedstar serve: {exc}", err=True)
        sys.exit(2)
