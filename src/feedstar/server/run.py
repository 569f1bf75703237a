"""Starting and stopping the endpoint process: pid file, logging, signals."""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import socket

from dataclasses import dataclass, field

import uvicorn

from feedstar.server import recovery
from feedstar.server.app import DEFAULT_MAX_BODY_BYTES, create_app
from feedstar.server.auth import User, Users
from feedstar.server.engine import Engine, MemoryLimits
from feedstar.server.http_guard import (
    DEFAULT_HEADER_TIMEOUT_S,
    DEFAULT_MAX_HEADER_BYTES,
    BrowserGuard,
    guarded_protocol,
)
from feedstar.server.policy import Policy

log = logging.getLogger("feedstar.server")
PID_FILE_NAME = "feedstar-serve.pid"
# Open connections (a server's max_connections is 4096); a connection that does not finish
# its headers in time is dropped, so slow clients cannot hold them all for long.
CONNECTION_LIMIT = 2048


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class ServeOptions:
    """Everything `feedstar serve` is told; passwords come from the environment or files, never argv."""

    path: str
    host: str = "127.0.0.1"
    port: int = 8123
    user: str = "default"
    password: str = ""
    readonly_user: str | None = None
    readonly_password: str = ""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    log_file: str | None = None
    shutdown_timeout: float = 30
    policy: Policy = field(default_factory=Policy)
    allowed_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    header_timeout: float = DEFAULT_HEADER_TIMEOUT_S
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES
    max_server_memory_usage: int = 0  # 0: 80% of the machine's memory


def check_exposure(options: ServeOptions) -> None:
    """Beyond loopback, every enabled user needs a password."""
    if is_loopback(options.host):
        return
    missing = [name for name, password in ((options.user, options.password),
                                           (options.readonly_user, options.readonly_password))
               if name and not password]
    if missing:
        raise ValueError(
            f"refusing to listen on {options.host}: user(s) {', '.join(missing)} have no password; "
            "set FEEDSTAR_PASSWORD / FEEDSTAR_READONLY_PASSWORD or --password-file / --readonly-password-file "
            "(or --readonly-user '' to disable the read-only user)")


def serve(options: ServeOptions) -> None:
    """Run the endpoint in the foreground until SIGTERM/SIGINT.

    On a signal it stops accepting, lets running requests finish for `shutdown_timeout`
    seconds, then cancels what still runs and closes the data directory.
    """
    check_exposure(options)
    path, host, port, log_file = options.path, options.host, options.port, options.log_file
    configure_logging(log_file)
    memory = MemoryLimits.for_machine()
    if options.max_server_memory_usage:
        memory = MemoryLimits(options.max_server_memory_usage, options.max_server_memory_usage // 2)
    traces = recovery.scan(path)  # what an unclean stop left, before ClickHouse cleans it up
    engine = Engine(path, memory)  # raises DataDirectoryBusy at once if another process holds it
    connection = engine.connect()
    try:
        recovery.log_recovery(engine.path, traces, connection, os.getpid())
    finally:
        connection.close()
    pid_file = os.path.join(engine.path, PID_FILE_NAME)
    users = [User(options.user, options.password)]
    if options.readonly_user:
        users.append(User(options.readonly_user, options.readonly_password, readonly=True))
    app = create_app(engine, Users(users), max_body_bytes=options.max_body_bytes, policy=options.policy,
                     browser_guard=BrowserGuard.for_machine(options.allowed_origins, options.allowed_hosts))
    try:
        sock = bind_socket(host, port)
    except OSError:
        engine.close()  # e.g. the port is taken: leave the directory (and no pid file) behind
        raise
    with open(pid_file, "w") as handle:
        handle.write(str(os.getpid()))
    log.info("feedstar endpoint (ClickHouse %s over chDB) on http://%s:%d data=%s pid=%d",
             engine.version, host, sock.getsockname()[1], engine.path, os.getpid())
    protocol = guarded_protocol(options.header_timeout, options.max_header_bytes)
    config = uvicorn.Config(app, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=options.shutdown_timeout,
                            limit_concurrency=CONNECTION_LIMIT, http=protocol, loop="auto",  # uvloop if installed
                            lifespan="off")
    server = uvicorn.Server(config)
    # uvicorn turns SIGTERM/SIGINT into a graceful shutdown, then re-raises the signal under
    # the handler that was in place before it started: make that a no-op so that the
    # `finally` below (closing chDB cleanly, removing the pid file) always runs.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    try:
        server.run(sockets=[sock])
    finally:
        engine.close()
        try:
            os.unlink(pid_file)
        except OSError:
            pass
        log.info("endpoint stopped")


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(CONNECTION_LIMIT)
    sock.set_inheritable(True)
    return sock


def configure_logging(log_file: str | None) -> None:
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_file:
        handlers.append(logging.FileHandler(log_file))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s",
                        handlers=handlers, force=True)
    logging.getLogger("uvicorn.error").addFilter(_drop_expected_abort)


def _drop_expected_abort(record: logging.LogRecord) -> bool:
    """A result that fails mid-stream is ended on purpose without its final chunk (see
    responses.py) and already logged by us; uvicorn would call that an ASGI error."""
    return not str(record.msg).startswith("ASGI callable returned without completing response")
