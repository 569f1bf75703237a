"""Owning the data directory: pid file, refusal of a second owner, clean SIGTERM/SIGINT, data kept."""

import os
import signal
import subprocess
import sys
import threading
import time

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


def test_sigterm_cancels_a_query_still_running_after_the_grace_period(tmp_path):
    """A query that would run for hours must not keep the process alive after SIGTERM:
    after --shutdown-timeout it is cancelled, its client gets an error, and the data
    directory is closed cleanly (exit 0, pid file gone)."""
    data_dir = str(tmp_path / "data")
    server = start_endpoint(data_dir, "--shutdown-timeout", "1")
    ok(server, "CREATE TABLE kept (n UInt32) ENGINE = MergeTree ORDER BY n")
    ok(server, "INSERT INTO kept SELECT number FROM numbers(10)")
    answers = []
    endless = "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 1 SETTINGS max_threads = 1"

    def run_endless():
        try:
            answers.append(http(server, "POST", {}, endless.encode(), timeout=120))
        except OSError as exc:  # the connection may be closed instead of answered
            answers.append(exc)

    client = threading.Thread(target=run_endless)
    client.start()
    deadline = time.monotonic() + 30
    while "numbers(100000000000)" not in ok(server, "SELECT query FROM system.processes"):
        assert time.monotonic() < deadline, "the endless query never started"
    assert server.stop(signal.SIGTERM, timeout=60) == 0
    client.join(60)
    assert not client.is_alive()
    assert not (answers and getattr(answers[0], "status", 500) == 200), "the endless query cannot have succeeded"
    assert "cancelled 1 query(ies) still running at shutdown" in server.log()
    assert not os.path.exists(os.path.join(data_dir, "feedstar-serve.pid"))

    again = start_endpoint(data_dir)
    try:
        assert ok(again, "SELECT count(), sum(n) FROM kept") == "10\t45\n"  # 0 + 1 + ... + 9
    finally:
        again.stop()
