"""The endpoint after a crash: a SIGKILLed endpoint, with a half-written part and a damaged
one left in its directory, starts again without any manual step and logs what it
recovered; `feedstar serve --check` reports the directory's health without serving.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
from endpoint import start_endpoint

pytestmark = pytest.mark.faults


def _serve(*args):
    return subprocess.run([sys.executable, "-m", "feedstar.cli", "serve", *args],
                          capture_output=True, text=True, timeout=120)


def _table_dir(client, table):
    return client.query("select data_paths[1] from system.tables where database = 'd' and name = {t:String}",
                        parameters={"t": table}).result_rows[0][0]


def test_restart_after_kill_recovers_and_check_reports(tmp_path):
    data = str(tmp_path / "data")
    endpoint = start_endpoint(data)
    client = endpoint.client()
    client.command("create database d")
    client.command("create table d.t (a UInt32) engine MergeTree order by a")
    client.command("system stop merges d.t")
    client.command("insert into d.t select number from numbers(1000)")
    client.command("insert into d.t select number from numbers(1000, 500)")
    table_dir = _table_dir(client, "t")
    parts = sorted(row[0] for row in client.query(
        "select name from system.parts where database = 'd' and table = 't' and active").result_rows)
    assert len(parts) == 2
    os.kill(endpoint.pid, signal.SIGKILL)
    endpoint.process.wait(30)
    assert os.path.exists(os.path.join(data, "feedstar-serve.pid"))  # what SIGKILL leaves

    # What a crash inside an INSERT leaves (a part directory never renamed into place) and
    # what a power loss can leave (a committed part with a file cut short).
    half_written = os.path.join(table_dir, "tmp_insert_all_9_9_0")
    os.makedirs(half_written)
    with open(os.path.join(half_written, "data.bin"), "wb") as handle:
        handle.write(b"half")
    open(os.path.join(table_dir, parts[1], "data.bin"), "wb").close()

    # --check reports without serving: exit 1, the damaged part named with what to do.
    checked = _serve("--path", data, "--check")
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "pid file: names process" in checked.stdout
    assert "half-written parts removed at open: 1" in checked.stdout
    assert f"detached damaged part broken-on-start_{parts[1]}" in checked.stdout
    assert "d.t: MergeTree, 1000 rows" in checked.stdout
    assert not os.path.exists(half_written)

    # The endpoint starts on it without any manual step and logs what it found.
    restarted = start_endpoint(data, port=endpoint.port)
    try:
        log = restarted.log()
        assert f"pid file named process {endpoint.pid}" in log
        assert f"part broken-on-start_{parts[1]} of d.t could not be loaded and is detached" in log
        client = restarted.client()
        assert client.command("select count() from d.t") == 1000
        # Busy: --check refuses a directory a running endpoint owns, naming it.
        busy = _serve("--path", data, "--check")
        assert busy.returncode == 2 and f"(pid {restarted.pid}," in busy.stderr, busy.stderr
        client.command(f"alter table d.t drop detached part 'broken-on-start_{parts[1]}'",
                       settings={"allow_drop_detached": 1})
    finally:
        restarted.stop()
    healthy = _serve("--path", data, "--check")
    assert healthy.returncode == 0, healthy.stdout
    assert healthy.stdout.strip().endswith("healthy") and "pid file" not in healthy.stdout
