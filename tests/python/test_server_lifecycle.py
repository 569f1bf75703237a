"""Owning the data directory: pid file, refusal of a second owner, clean SIGTERM/SIGINT, data kept."""

import os
import signal
import subprocess
import sys

import pytest
from endpoint import free_port, http, start_endpoint


def ok(endpoint, sql):
    answer = http(endpoint, "POST", {}, sql.encode())
    assert answer.status == 200, answer.text
    return answer.text


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_stop_signal_shuts_down_cleanly_and_data_survives_a_restart(tmp_path, stop_signal):
    data_dir = str(tmp_path / "data")
    first = start_endpoint(data_dir)
    pid_file = os.path.join(data_dir, "feedstar-serve.pid")
    with open(pid_file) as handle:
        assert int(handle.read()) == first.pid
    ok(first, "CREATE TABLE durable (d Date, n UInt32) ENGINE = MergeTree PARTITION BY d ORDER BY n")
    ok(first, "INSERT INTO durable SELECT toDate('2025-03-01') + number % 3, number FROM numbers(1000)")
    assert first.stop(stop_signal) == 0
    assert not os.path.exists(pid_file)
    assert "endpoint stopped" in first.log()

    second = start_endpoint(data_dir)
    try:
        # 1000 rows over 3 days; 0 + 1 + ... + 999 = 499500
        assert ok(second, "SELECT count(), sum(n), uniqExact(d) FROM durable") == "1000\t499500\t3\n"
    finally:
        assert second.stop() == 0


def test_second_process_on_the_same_directory_is_refused(endpoint):
    ok(endpoint, "CREATE TABLE IF NOT EXISTS owned (x UInt8) ENGINE = Memory")
    command = [sys.executable, "-m", "feedstar.cli", "serve", "--path", endpoint.data_dir, "--port", str(free_port())]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "is already open in another process" in refused.stderr
    assert f"pid {endpoint.pid}" in refused.stderr  # it names the owner
    # The owner is untouched: still serving, still the pid file's owner.
    assert ok(endpoint, "EXISTS TABLE owned") == "1\n"
    with open(os.path.join(endpoint.data_dir, "feedstar-serve.pid")) as handle:
        assert int(handle.read()) == endpoint.pid


def test_port_already_taken_is_a_clear_error(endpoint, tmp_path):
    command = [sys.executable, "-m", "feedstar.cli", "serve", "--path", str(tmp_path / "data"),
               "--port", str(endpoint.port)]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert "feedstar serve:" in refused.stderr and "in use" in refused.stderr.lower()
    assert not (tmp_path / "data" / "feedstar-serve.pid").exists()
