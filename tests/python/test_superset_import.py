"""Optional: import the Superset bundle into a real Superset 6.1 and render the dashboard in chromium.

Enabled with FEEDSTAR_SUPERSET_TEST=1 (it installs Superset into its own venv, ~1.4 GB, and
takes 4-5 minutes).  The venv is kept at FEEDSTAR_SUPERSET_VENV (default
/tmp/feedstar-superset-venv) so that a second run skips the install.  Pins from
../shared/FACTS.md: apache-superset==6.1.0 with "flask-caching<2.5" rich cachetools.
"""

import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest
from endpoint import free_port
from test_dashboard_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, REPO_ROOT, build_marts
from test_superset_bundle import load_make_bundle

pytestmark = [
    pytest.mark.superset,
    pytest.mark.skipif(os.environ.get("FEEDSTAR_SUPERSET_TEST") != "1",
                       reason="optional Superset import test: set FEEDSTAR_SUPERSET_TEST=1"),
]

PINS = ["apache-superset==6.1.0", "flask-caching<2.5", "rich", "cachetools", "clickhouse-connect"]
CHART_COUNT = 8


@pytest.fixture(scope="module")
def superset_bin():
    venv = os.environ.get("FEEDSTAR_SUPERSET_VENV", "/tmp/feedstar-superset-venv")
    binary = os.path.join(venv, "bin", "superset")
    if not os.path.exists(binary):
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([os.path.join(venv, "bin", "pip"), "install", "-q", *PINS], check=True, timeout=1800)
    return binary


@pytest.fixture(scope="module")
def superset_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("superset")
    config = home / "superset_config.py"
    config.write_text(
        "SECRET_KEY = 'feedstar-superset-test-only-not-a-secret'\n"
        f"SQLALCHEMY_DATABASE_URI = 'sqlite:///{home}/superset.db'\n"
        "WTF_CSRF_ENABLED = False\n"
        "TALISMAN_ENABLED = False\n"
    )
    return {**os.environ, "SUPERSET_CONFIG_PATH": str(config), "FLASK_APP": "superset", "SUPERSET_HOME": str(home)}


def test_bundle_imports_and_every_chart_renders(endpoint, superset_bin, superset_env, tmp_path):
    build_marts(endpoint, str(tmp_path), "2025-03-01", 14, 0.01)
    bundle = tmp_path / "feedstar_superset.zip"
    load_make_bundle().write_zip(str(bundle), f"clickhousedb://dashboard:@127.0.0.1:{endpoint.port}/analytics")

    def superset(*args):
        result = subprocess.run([superset_bin, *args], env=superset_env, capture_output=True, text=True,
                                timeout=900)
        assert result.returncode == 0, f"superset {args[0]}: {result.stdout[-2000:]}{result.stderr[-3000:]}"
        return result

    superset("db", "upgrade")
    superset("fab", "create-admin", "--username", "admin", "--firstname", "Ad", "--lastname", "Min",
             "--email", "admin@example.org", "--password", "admin")
    superset("init")
    superset("import-dashboards", "-p", str(bundle), "-u", "admin")

    port = free_port()
    log = open(tmp_path / "superset-web.log", "w")
    server = subprocess.Popen([superset_bin, "run", "-p", str(port), "--with-threads"], env=superset_env,
                              stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        render_dashboard(f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(30)


def render_dashboard(base_url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            # Flask-AppBuilder's login view takes a form POST (CSRF is off in this test config);
            # the session cookie lands in the page's context.
            login = page.request.post(f"{base_url}/login/", form={"username": "admin", "password": "admin"})
            assert login.ok, login.status
            charts = page.request.get(f"{base_url}/api/v1/dashboard/feedstar/charts").json()["result"]
            assert len(charts) == CHART_COUNT
            page.goto(f"{base_url}/superset/dashboard/feedstar/")
            # every chart draws an ECharts canvas once its query returned rows
            page.wait_for_function(f"document.querySelectorAll('canvas').length >= {CHART_COUNT}", timeout=240000)
            page.wait_for_timeout(2000)  # let the last chart finish its animation for the screenshot
            os.makedirs(ARTIFACTS, exist_ok=True)
            page.screenshot(path=os.path.join(ARTIFACTS, "superset-dashboard.png"), full_page=True)
            assert page.get_by_text(re.compile("unexpected error|engine error|error occurred", re.I)).count() == 0
        finally:
            browser.close()
