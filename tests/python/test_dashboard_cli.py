"""`feedstar dashboard` as a user runs it: prints its URL, records its PID, stops on SIGTERM."""

import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from test_dashboard_support import readonly_url, start_dashboard


def test_a_bad_url_is_refused_with_the_reason():
    result = subprocess.run(
        [sys.executable, "-m", "feedstar.cli", "dashboard", "--url", "ftp://example.org/x", "--port", "1"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "--url must start with http:// or https://" in result.stderr


@pytest.mark.parametrize("url, message", [
    ("http://host:99999/analytics", "invalid port"),
    ("http:///analytics", "no host"),
    ("http://h:8123/a/b", "single database name"),
])
def test_url_defects_are_named(url, message):
    from feedstar.dashboard.settings import SettingsError, parse_url

    with pytest.raises(SettingsError, match=message):
        parse_url(url)


def test_url_parts():
    from feedstar.dashboard.settings import parse_url

    warehouse = parse_url("https://reader:s%40cret@ch.example:9443/marts")
    assert (warehouse.host, warehouse.port, warehouse.username, warehouse.password, warehouse.database,
            warehouse.secure) == ("ch.example", 9443, "reader", "s@cret", "marts", True)
    assert warehouse.redacted() == "https://reader:***@ch.example:9443/marts"  # never print a password


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
