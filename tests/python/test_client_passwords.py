"""An endpoint with passwords, and every client getting them from the environment or a file:
`feedstar generate`, a `dbt build` (profiles.yml.example) and the dashboard's API, through the
FEEDSTAR_CH_* settings only -- no URL, no password on any command line.

The same commands without the passwords are refused, so the passwords really are what let
them in.
"""

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from dashboard_support import start_dashboard
from dbt_profile import REPO_ROOT, dbt_profiles_dir
from endpoint import start_endpoint

pytestmark = pytest.mark.slow

READ_WRITE, READ_ONLY = "rw-s3cret:/@", "ro-s3cret"
FIRST, LAST = "2025-03-01", "2025-03-03"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """An endpoint that needs both passwords (given to it by environment, as `make demo` does)."""
    directory = tmp_path_factory.mktemp("passwords")
    server = start_endpoint(str(directory / "data"),
                            env={"FEEDSTAR_PASSWORD": READ_WRITE, "FEEDSTAR_READONLY_PASSWORD": READ_ONLY})
    yield server, directory
    server.stop()


def client_env(server, **settings) -> dict:
    """This process's environment without any FEEDSTAR_* variable, plus where the endpoint is."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FEEDSTAR_", "DBT_"))}
    env.update(FEEDSTAR_CH_PORT=str(server.port), DBT_PROFILES_DIR=dbt_profiles_dir(),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false", **settings)
    return env


def generate(env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "feedstar.cli", "generate", "--start", FIRST, "--days", "3", "--scale", "0.01",
         "--no-progress"], env=env, capture_output=True, text=True, timeout=600)


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_generate_dbt_build_and_dashboard_get_the_passwords_from_env_or_file(guarded):
    server, directory = guarded
    refused = generate(client_env(server))
    assert refused.returncode == 1 and "Authentication failed" in refused.stderr, refused.stderr

    password_file = directory / "rw-password"
    password_file.write_text(READ_WRITE + "\n")
    done = generate(client_env(server, FEEDSTAR_CH_PASSWORD_FILE=str(password_file)))
    assert done.returncode == 0, done.stderr
    assert f"product @ http://default:***@127.0.0.1:{server.port}: {FIRST}..{LAST}" in done.stdout
    assert READ_WRITE not in done.stdout + done.stderr

    work = str(directory / "dbt")
    build = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "dbt"), "build", "--project-dir", REPO_ROOT,
         "--vars", f"{{start_date: {FIRST}, end_date: {LAST}}}",
         "--target-path", os.path.join(work, "target"), "--log-path", os.path.join(work, "logs")],
        env=client_env(server, FEEDSTAR_CH_PASSWORD=READ_WRITE), capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, build.stdout[-4000:]

    query = f"/api/panels/active_users?date_from={FIRST}&date_to={LAST}"
    for env, expected in ((client_env(server), 503), (client_env(server, FEEDSTAR_CH_READONLY_PASSWORD=READ_ONLY), 200)):
        dashboard = start_dashboard(None, str(directory), env=env)
        try:
            status, body = get_json(dashboard.url + query)
        finally:
            dashboard.stop()
        assert status == expected, body
        if status == 503:
            assert "refused the dashboard's login" in body["error"] and READ_ONLY not in body["error"]
    assert body["mart"] == "agg_active_users" and len(body["rows"]) >= 3 * 3  # 3 days x app/feed/messenger
    assert all(row[body["columns"].index("dau")] > 0 for row in body["rows"])


def test_the_read_only_password_does_not_write(guarded, monkeypatch):
    server, _ = guarded
    from feedstar.chclient import ClickHouseUnreachable, connection, get_client

    for key in [key for key in os.environ if key.startswith("FEEDSTAR_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("FEEDSTAR_CH_PORT", str(server.port))
    monkeypatch.setenv("FEEDSTAR_CH_READONLY_PASSWORD", READ_ONLY)
    reader = get_client(connection(readonly=True))
    assert reader.command("select 1") == 1
    with pytest.raises(Exception, match="(?i)readonly|not enough privileges"):
        reader.command("create database should_not_exist")
    with pytest.raises(ClickHouseUnreachable, match="Authentication failed"):
        get_client(connection())  # the read-write user without its password
