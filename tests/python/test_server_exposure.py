"""Who can reach the endpoint: browsers, slow or huge requests, passwords, and the opt-in openings.

Each refusal is checked with "nothing happened" (the canary table, files, a real HTTP
receiver on loopback), and each opening with a positive control, so that a test could not
pass by refusing everything.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest
from endpoint import free_port, http, start_endpoint
from test_server_attacks import ok, receiver, refused  # noqa: F401 - receiver is a fixture

PASSWORDS = {"FEEDSTAR_PASSWORD": "rw-secret", "FEEDSTAR_READONLY_PASSWORD": "ro-secret"}
RW_AUTH = {"user": "default", "password": "rw-secret"}
DASHBOARD_ORIGIN = "http://127.0.0.1:8050"


@pytest.fixture(scope="module")
def user_files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("user_files")
    (directory / "allowed.tsv").write_text("7\n")
    return directory


@pytest.fixture(scope="module")
def server(tmp_path_factory, receiver, user_files):
    """Password-less, as `make demo` runs it on loopback: the browser checks are what protect it."""
    data_dir = tmp_path_factory.mktemp("exposure") / "data"
    endpoint = start_endpoint(str(data_dir), "--header-timeout", "1", "--max-header-bytes", "8192",
                              "--allow-origin", DASHBOARD_ORIGIN, "--user-files", str(user_files),
                              "--remote-host", f"127.0.0.1:{receiver.port}")
    post(endpoint, "CREATE TABLE canary (x UInt32, s String) ENGINE = MergeTree ORDER BY x")
    post(endpoint, "INSERT INTO canary SELECT number, toString(number) FROM numbers(1000)")
    yield endpoint
    endpoint.stop()


def post(endpoint, sql, headers=None, **params):
    return http(endpoint, "POST", params, sql.encode(), headers=headers)


def no_password_canary(endpoint):
    return ok(post(endpoint, "SELECT count(), sum(cityHash64(x, s)) FROM canary"))


# --- browsers ------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example", "Content-Type": "text/plain"},  # a "simple" cross-site POST
    {"Origin": "null", "Content-Type": "text/plain"},  # a sandboxed iframe or a file:// page
    {"Host": "evil.example:8123"},  # DNS rebinding: the page's own name, resolved to 127.0.0.1
    {"Host": "localhost.evil.example"},
    {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"},  # e.g. <img src> / <form>
])
def test_browser_requests_are_refused_before_any_sql(server, tmp_path, headers):
    before = no_password_canary(server)
    target = tmp_path / "written"
    for sql in ("INSERT INTO canary VALUES (5000, 'from a web page')",
                f"INSERT INTO FUNCTION file('{target}', 'TSV') SELECT 1"):
        refused(post(server, sql, headers=headers), 497)
    refused(http(server, "GET", {"query": "SELECT 1"}, headers=headers), 497)
    assert no_password_canary(server) == before
    assert not target.exists()


def test_allowed_origin_and_plain_clients_are_served(server):
    assert ok(post(server, "SELECT 1", headers={"Origin": DASHBOARD_ORIGIN})) == "1\n"
    assert ok(post(server, "SELECT 1", headers={"Host": f"localhost:{server.port}"})) == "1\n"
    assert ok(post(server, "SELECT 1", headers={"Host": f"[::1]:{server.port}"})) == "1\n"
    assert ok(post(server, "SELECT 1", headers={"Sec-Fetch-Site": "same-origin"})) == "1\n"


# --- slow and huge requests -------------------------------------------------------------
def test_half_open_connections_are_dropped_and_ping_still_answers(server):
    sockets = []
    try:
        for _ in range(600):
            sock = socket.create_connection(("127.0.0.1", server.port))
            sock.sendall(b"POST /?query=SELECT+1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            sockets.append(sock)
        assert http(server, "GET", path="/ping").body == b"Ok.\n"  # while they hang
        time.sleep(2.5)  # the header timeout is 1 s
        for sock in sockets:
            sock.settimeout(2)
            assert sock.recv(100) == b""  # closed by the endpoint
    finally:
        for sock in sockets:
            sock.close()
    assert http(server, "GET", path="/ping").body == b"Ok.\n"


def test_headers_over_the_limit_are_refused(server):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"GET /?query=SELECT+1 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 50_000 + b"\r\n\r\n")
        sock.settimeout(5)
        assert sock.recv(100).startswith(b"HTTP/1.1 431")
    # Whole in one read, with a body behind them: still refused, and the insert never runs.
    before = no_password_canary(server)
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        body = b"INSERT INTO canary VALUES (7000, 'big headers')"
        sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 20_000 +
                     b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        sock.settimeout(5)
        assert sock.recv(100).startswith(b"HTTP/1.1 431")
    assert no_password_canary(server) == before
    assert ok(http(server, "GET", {"query": "SELECT 1"}, headers={"X-Small": "a" * 1000})) == "1\n"


# --- the openings, each with its limit ---------------------------------------------------
def test_user_files_opens_exactly_that_directory(server, user_files, tmp_path):
    assert ok(post(server, f"SELECT * FROM file('{user_files}/allowed.tsv', 'TSV', 'x UInt8')")) == "7\n"
    ok(post(server, f"INSERT INTO FUNCTION file('{user_files}/out.tsv', 'TSV', 'x UInt8') SELECT 8"))
    assert (user_files / "out.tsv").read_text() == "8\n"
    outside = tmp_path / "outside.tsv"
    outside.write_text("9\n")
    (user_files / "link.tsv").symlink_to(outside)
    for path in (outside, f"{user_files}/../{tmp_path.name}/outside.tsv", f"{user_files}/link.tsv",
                 f"{user_files}/{{allowed.tsv,../../etc/passwd}}", "allowed.tsv"):
        refused(post(server, f"SELECT * FROM file('{path}', 'TSV', 'x UInt8')"), 497)
    refused(http(server, "POST", {"user": "dashboard"},
                 f"SELECT * FROM file('{user_files}/allowed.tsv', 'TSV', 'x UInt8')".encode()), 497)


def test_remote_host_opens_exactly_that_host(server, receiver):
    before = len(receiver.hits)
    url = f"http://127.0.0.1:{receiver.port}/data.tsv"
    assert ok(post(server, f"SELECT * FROM url('{url}', 'TSV', 'x UInt8')")) == "1\n"
    assert len(receiver.hits) == before + 1
    for other in (f"http://127.0.0.1:{free_port()}/x", f"http://localhost:{receiver.port}/x",
                  f"http://127.0.0.{{1,2}}:{receiver.port}/x"):
        refused(post(server, f"SELECT * FROM url('{other}', 'TSV', 'x UInt8')"), 497)
    assert len(receiver.hits) == before + 1


# --- passwords ---------------------------------------------------------------------------
def serve_command(tmp_path, *args):
    return [sys.executable, "-m", "feedstar.cli", "serve", "--path", str(tmp_path / "data"),
            "--port", str(free_port()), *args]


def test_passwords_on_the_command_line_are_refused(tmp_path):
    for flag in ("--password", "--readonly-password"):
        finished = subprocess.run(serve_command(tmp_path, flag, "visible-in-ps"), capture_output=True, text=True,
                                  timeout=60)
        assert finished.returncode == 2
        assert "visible to every local user" in finished.stderr
        assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("env, missing", [
    ({"FEEDSTAR_PASSWORD": "x"}, "dashboard"),
    ({"FEEDSTAR_READONLY_PASSWORD": "y"}, "default"),
])
def test_beyond_loopback_every_user_needs_a_password(tmp_path, env, missing):
    finished = subprocess.run(serve_command(tmp_path, "--host", "0.0.0.0"), capture_output=True, text=True,
                              timeout=60, env={"PATH": "/usr/bin:/bin", **env})
    assert finished.returncode == 2
    assert f"user(s) {missing} have no password" in finished.stderr


def test_password_files(tmp_path):
    (tmp_path / "rw").write_text("from-a-file\n")
    (tmp_path / "ro").write_text("ro-from-a-file\n")
    endpoint = start_endpoint(str(tmp_path / "data"), "--password-file", str(tmp_path / "rw"),
                              "--readonly-password-file", str(tmp_path / "ro"))
    try:
        refused(http(endpoint, "POST", {}, b"SELECT 1"), 516)
        assert ok(http(endpoint, "POST", {"password": "from-a-file"}, b"SELECT 1")) == "1\n"
        assert ok(http(endpoint, "POST", {"user": "dashboard", "password": "ro-from-a-file"}, b"SELECT 1")) == "1\n"
        with open(f"/proc/{endpoint.pid}/cmdline", "rb") as handle:
            assert b"from-a-file" not in handle.read()
    finally:
        endpoint.stop()


def test_sessions_are_capped(server):
    from feedstar.server.engine import MAX_SESSIONS

    for number in range(MAX_SESSIONS):
        ok(post(server, "SELECT 1", session_id=f"cap-{number}", session_timeout="30"))
    refused(post(server, "SELECT 1", session_id="one-too-many"), 202)
    assert ok(post(server, "SELECT 1", session_id="cap-0")) == "1\n"  # existing ones go on
