"""Users: the three ways to authenticate, wrong passwords, and the read-only (dashboard) user."""

import base64
import subprocess
import sys

import pytest
from endpoint import free_port, http, start_endpoint

ADMIN, ADMIN_PASSWORD = "default", "s3cret"
READER, READER_PASSWORD = "dashboard", "look-only"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("auth") / "data"
    endpoint = start_endpoint(str(data_dir), "--readonly-user", READER,
                              env={"FEEDSTAR_PASSWORD": ADMIN_PASSWORD, "FEEDSTAR_READONLY_PASSWORD": READER_PASSWORD})
    as_admin(endpoint, "CREATE TABLE kept (x UInt32) ENGINE = MergeTree ORDER BY x")
    as_admin(endpoint, "INSERT INTO kept VALUES (1), (2), (3)")
    yield endpoint
    endpoint.stop()


def as_admin(endpoint, sql, **params):
    answer = http(endpoint, "POST", {"user": ADMIN, "password": ADMIN_PASSWORD, **params}, sql.encode())
    assert answer.status == 200, answer.text
    return answer.text


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


UNCHANGED = "3\t6\n"


def kept_rows(endpoint):
    return as_admin(endpoint, "SELECT count(), sum(x) FROM kept")


def test_three_ways_to_authenticate(server):
    sql = b"SELECT currentUser() = currentUser(), 1"
    ways = [
        ({"user": ADMIN, "password": ADMIN_PASSWORD}, {}),
        ({}, basic(ADMIN, ADMIN_PASSWORD)),
        ({}, {"X-ClickHouse-User": ADMIN, "X-ClickHouse-Key": ADMIN_PASSWORD}),
    ]
    for params, headers in ways:
        answer = http(server, "POST", params, sql, headers=headers)
        assert (answer.status, answer.body) == (200, b"1\t1\n"), (params, headers)


@pytest.mark.parametrize("params, headers", [
    ({"user": ADMIN, "password": "wrong"}, {}),
    ({}, basic(ADMIN, "wrong")),
    ({}, {"X-ClickHouse-User": ADMIN, "X-ClickHouse-Key": "wrong"}),
    ({"user": "nobody", "password": ADMIN_PASSWORD}, {}),
    ({}, {}),  # no credentials: user `default` with an empty password
    ({"user": READER, "password": ADMIN_PASSWORD}, {}),
])
def test_wrong_credentials_are_refused(server, params, headers):
    answer = http(server, "POST", params, b"INSERT INTO kept VALUES (100)", headers=headers)
    assert answer.status == 403 and answer.headers["x-clickhouse-exception-code"] == "516"
    assert answer.body.startswith(b"Code: 516. DB::Exception: ") and b"AUTHENTICATION_FAILED" in answer.body
    assert kept_rows(server) == UNCHANGED


def test_credentials_given_two_ways_are_refused(server):
    answer = http(server, "POST", {"user": ADMIN, "password": ADMIN_PASSWORD}, b"SELECT 1",
                  headers=basic(ADMIN, ADMIN_PASSWORD))
    assert answer.status == 400 and answer.headers["x-clickhouse-exception-code"] == "36"


def test_ping_needs_no_credentials(server):
    assert http(server, "GET", path="/ping").body == b"Ok.\n"


def reader(endpoint, sql, method="POST", **params):
    params = {"user": READER, "password": READER_PASSWORD, **params}
    if method == "GET":
        return http(endpoint, "GET", {**params, "query": sql})
    return http(endpoint, "POST", params, sql.encode())


def test_readonly_user_reads(server):
    assert reader(server, "SELECT sum(x) FROM kept").body == b"6\n"
    assert reader(server, "SELECT sum(x) FROM kept", method="GET").body == b"6\n"
    assert reader(server, "SELECT sum(x) FROM kept", session_id="dash-1").body == b"6\n"


@pytest.mark.parametrize("sql", [
    "INSERT INTO kept VALUES (100)",
    "CREATE TABLE sneaky (x UInt8) ENGINE = Memory",
    "DROP TABLE kept",
    "ALTER TABLE kept DELETE WHERE 1",
    "SET max_threads = 1",
])
@pytest.mark.parametrize("session", [None, "dash-2"])
def test_readonly_user_cannot_write_or_change_settings(server, sql, session):
    params = {"session_id": session} if session else {}
    answer = reader(server, sql, **params)
    assert answer.status >= 400 and answer.headers["x-clickhouse-exception-code"] == "164", answer.text
    assert kept_rows(server) == UNCHANGED


def test_readonly_user_cannot_pass_settings_in_the_url(server):
    for params in ({"max_threads": "1"}, {"readonly": "0"}, {"max_threads": "1", "session_id": "dash-3"}):
        answer = reader(server, "SELECT 1", **params)
        assert answer.headers["x-clickhouse-exception-code"] == "164", params
    # Its session stays read-only afterwards too.
    answer = reader(server, "INSERT INTO kept VALUES (100)", session_id="dash-3")
    assert answer.headers["x-clickhouse-exception-code"] == "164"
    assert kept_rows(server) == UNCHANGED


def test_no_password_means_loopback_only(tmp_path):
    command = [sys.executable, "-m", "feedstar.cli", "serve", "--path", str(tmp_path / "data"),
               "--host", "0.0.0.0", "--port", str(free_port())]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert finished.returncode == 2
    assert "refusing to listen on 0.0.0.0: user(s) default, dashboard have no password" in finished.stderr
    assert not (tmp_path / "data" / "feedstar-serve.pid").exists()
