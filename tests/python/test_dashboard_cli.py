"""`feedstar dashboard` as a user runs it: prints its URL, records its PID, stops on SIGTERM."""

import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from dashboard_support import readonly_url, start_dashboard


def test_a_bad_url_is_refused_with_the_reason():
    result = subprocess.run(
        [sys.executable, "-m", "feedstar.cli", "dashboard", "--url", "ftp://example.org/x", "--port", "1"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "not a ClickHouse HTTP URL: 'ftp://example.org/x'" in result.stderr


def test_an_old_setting_name_is_refused_with_the_new_one():
    env = {key: value for key, value in os.environ.items() if not key.startswith("FEEDSTAR_")}
    result = subprocess.run(
        [sys.executable, "-m", "feedstar.cli", "dashboard", "--port", "1"],
        capture_output=True, text=True, timeout=60,
        env={**env, "FEEDSTAR_DASHBOARD_URL": "http://dashboard@127.0.0.1:8123/analytics"})
    assert result.returncode == 2
    assert "FEEDSTAR_DASHBOARD_URL is no longer read: set FEEDSTAR_CH_HOST" in result.stderr
def test_serves_prints_its_url_and_stops_cleanly(endpoint, tmp_path):
    pid_file = tmp_path / "dashboard.pid"
    dashboard = start_dashboard(readonly_url(endpoint), str(tmp_path), "--pid-file", str(pid_file))
    try:
        assert f"feedstar dashboard: http://127.0.0.1:{dashboard.port}/" in dashboard.log()
        assert int(pid_file.read_text()) == dashboard.process.pid
        # No marts were built on this endpoint: the page says what to do, with a 503.
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"{dashboard.url}/", timeout=30)
        assert caught.value.code == 503
        assert "dbt build" in caught.value.read().decode()
    finally:
        returncode = dashboard.stop()
    assert returncode == 0
    assert not os.path.exists(pid_file)
