"""Optional: the README's `make superset`, run as written, then every chart's data API and the dashboard in chromium.

Enabled with FEEDSTAR_SUPERSET_TEST=1: it installs Superset 6.1 into its own venv (~830 MB)
unless FEEDSTAR_SUPERSET_VENV (default /tmp/feedstar-superset-venv) already holds it, so a
second run skips the install; about 2 minutes with a warm pip cache.  `make superset` gets
this module's endpoint, a free port and a throwaway state dir; `make stop` must stop it.
"""

import os
import re
import signal
import subprocess
import time

import pytest
from endpoint import free_port
from dashboard_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, build_marts
from test_readme_commands import bash_commands, shell_env

pytestmark = [
    pytest.mark.superset,
    pytest.mark.skipif(os.environ.get("FEEDSTAR_SUPERSET_TEST") != "1",
                       reason="optional Superset import test: set FEEDSTAR_SUPERSET_TEST=1"),
]

CHART_COUNT = 8


def make(*args, env=None, timeout=1800):
    done = subprocess.run(["make", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"make {' '.join(args)}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def superset(endpoint, tmp_path_factory):
    """`make superset` as the README's Superset section shows it; yields what it printed."""
    work = tmp_path_factory.mktemp("superset")
    build_marts(endpoint, str(work), "2025-03-01", 14, 0.01)
    [command] = [c for c in bash_commands("Superset") if c.startswith("make superset")]
    data_dir, port = str(work / "state" / "data"), free_port()
    env = {**shell_env(), "FEEDSTAR_SUPERSET_VENV": os.environ.get("FEEDSTAR_SUPERSET_VENV",
                                                                   "/tmp/feedstar-superset-venv")}
    settings = [f"PORT={endpoint.port}", f"SUPERSET_PORT={port}", f"DATA_DIR={data_dir}"]
    pid_file = work / "state" / "superset.pid"
    try:
        output = make(*command.split()[1:], *settings, env=env)
        login = re.search(r"Login: +admin / (\S+)", output)
        assert login, output
        yield {"output": output, "base": f"http://127.0.0.1:{port}", "password": login.group(1),
               "state": work / "state", "pid_file": pid_file, "stop": ["stop", f"DATA_DIR={data_dir}"], "env": env}
    finally:
        if pid_file.exists():  # a test failed before `make stop` ran
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def api(superset, path, token=None, body=None):
    import json
    import urllib.error
    import urllib.request

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(superset["base"] + path, headers=headers,
                                     data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()[:500]


def test_make_superset_prints_the_dashboard_and_keeps_a_generated_secret(superset):
    assert f"Dashboard:  {superset['base']}/superset/dashboard/feedstar/" in superset["output"]
    config = (superset["state"] / "superset" / "superset_config.py").read_text()
    # a long random key (Superset refuses to start with its default one)
    assert len(re.search(r'^SECRET_KEY = "([A-Za-z0-9_-]+)"$', config, re.M).group(1)) >= 48
    assert (superset["state"] / "superset" / "admin-password").read_text().strip() == superset["password"]


def test_every_chart_answers_its_data_api(superset, endpoint):
    status, login = api(superset, "/api/v1/security/login",
                        body={"username": "admin", "password": superset["password"], "provider": "db"})
    assert status == 200, login
    token = login["access_token"]
    status, charts = api(superset, "/api/v1/dashboard/feedstar/charts", token)
    assert status == 200 and len(charts["result"]) == CHART_COUNT
    answers = {}
    for chart in charts["result"]:
        status, data = api(superset, f"/api/v1/chart/{chart['id']}/data/", token)
        assert status == 200, (chart["slice_name"], data)
        answers[chart["slice_name"]] = data["result"][0]
    assert all(answer["rowcount"] > 0 for answer in answers.values())
    # the saved query asks for what the chart draws: DAU per (day, service) = the mart's total rows
    dau = answers["DAU per service"]
    got = {(row["date"], row["service"]): row["DAU"] for row in dau["data"]}
    mart = endpoint.client().query(
        "select toUnixTimestamp(toDateTime(date)) * 1000, service, dau from analytics.agg_active_users "
        "where breakdown = 'total'").result_rows
    assert got == {(date, service): value for date, service, value in mart}


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs /usr/bin/chromium (make test-deps)")
def test_dashboard_renders_every_chart(superset):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            # the login form a person uses (with its CSRF token)
            page.goto(f"{superset['base']}/login/")
            page.fill("#username", "admin")
            page.fill("#password", superset["password"])
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(re.compile(r"/superset/welcome/|/dashboard/list/"), timeout=120000, wait_until="commit")
            page.goto(f"{superset['base']}/superset/dashboard/feedstar/")
            # every chart draws an ECharts canvas once its query returned rows (polled from
            # here: Superset's content security policy forbids evaluating a string in the page)
            deadline = time.monotonic() + 240
            while page.locator("canvas").count() < CHART_COUNT:
                assert time.monotonic() < deadline, f"{page.locator('canvas').count()} charts drawn"
                page.wait_for_timeout(1000)
            page.wait_for_timeout(2000)  # let the last chart finish its animation for the screenshot
            os.makedirs(ARTIFACTS, exist_ok=True)
            page.screenshot(path=os.path.join(ARTIFACTS, "superset-dashboard.png"), full_page=True)
            assert page.get_by_text(re.compile("unexpected error|engine error|error occurred", re.I)).count() == 0
        finally:
            browser.close()


def test_make_stop_stops_superset(superset):
    pid = int(superset["pid_file"].read_text())
    stopped = make(*superset["stop"], env=superset["env"])
    assert f"stopped pid {pid} (superset)" in stopped
    assert not superset["pid_file"].exists()
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"Superset pid {pid} still running after make stop")
