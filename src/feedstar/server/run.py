"""Starting and stopping the endpoint process: pid file, logging, signals."""

from __future__ import annotations

import ipaddress
import logging
import os
import signal
import socket

import uvicorn

from feedstar.server.app import DEFAULT_MAX_BODY_BYTES, create_app
from feedstar.server.auth import User, Users
from feedstar.server.engine import Engine

log = logging.getLogger("feedstar.server")
PID_FILE_NAME = "feedstar-serve.pid"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(path: str, host: str = "127.0.0.1", port: int = 8123, user: str = "default", password: str = "",
          readonly_user: str | None = None, readonly_password: str = "",
          max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, log_file: str | None = None,
          shutdown_timeout: float = 30) -> None:
    """Run the endpoint in the foreground until SIGTERM/SIGINT.

    On a signal it stops accepting, lets running requests finish for `shutdown_timeout`
    seconds, then cancels what still runs and closes the data directory.
    """
    if not is_loopback(host) and not password:
        raise ValueError(f"refusing to listen on {host} without --password: only loopback is served unauthenticated")
    configure_logging(log_file)
    engine = Engine(path)  # raises DataDirectoryBusy at once if another process holds it
    pid_file = os.path.join(engine.path, PID_FILE_NAME)
    users = [User(user, password)]
    if readonly_user:
        users.append(User(readonly_user, readonly_password, readonly=True))
    app = create_app(engine, Users(users), max_body_bytes=max_body_bytes)
    try:
        sock = bind_socket(host, port)
    except OSError:
        engine.close()  # e.g. the port is taken: leave the directory (and no pid file) behind
        raise
    with open(pid_file, "w") as handle:
        handle.write(str(os.getpid()))
    log.info("feedstar endpoint (ClickHouse %s over chDB) on http://%s:%d data=%s pid=%d",
             engine.version, host, sock.getsockname()[1], engine.path, os.getpid())
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=shutdown_timeout,
                            limit_concurrency=512, http="auto", loop="auto",  # httptools + uvloop if installed
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
    sock.listen(512)
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
