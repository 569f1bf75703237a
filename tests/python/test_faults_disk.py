"""Disk full: the data directory on a 300 MB tmpfs the test mounts (root only), filled
while the warehouse loads.  The load fails with a clear error, the endpoint stays up, what
was stored is intact (checksums and CHECK TABLE), and once space is freed the same command
completes with the tables of an uninterrupted run.

A few minutes: it runs with the full fault matrix (`python -m bench.bench_faults`, or
FEEDSTAR_FAULTS_FULL=1).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from faults_harness import JOBS, FaultHarness, compare, table_checksums

pytestmark = [pytest.mark.faults, pytest.mark.slow,
              pytest.mark.skipif(os.environ.get("FEEDSTAR_FAULTS_FULL") != "1",
                                 reason="with the full fault matrix (FEEDSTAR_FAULTS_FULL=1)")]

NO_SPACE = ("No space left on device", "NOT_ENOUGH_SPACE", "Cannot reserve", "CANNOT_WRITE_TO_FILE_DESCRIPTOR")


@pytest.fixture
def small_volume(tmp_path):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    mount_point = tmp_path / "volume"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300m", "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield str(mount_point)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def fill(volume: str) -> str:
    """Write a file until the volume is full; returns its path."""
    path = os.path.join(volume, "filler")
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for size in (1 << 20, 4096, 1):
            block = b"\0" * size
            try:
                while True:
                    os.write(descriptor, block)
            except OSError:
                pass
    finally:
        os.close(descriptor)
    return path


def stored_health(client, tables) -> list[str]:
    """CHECK TABLE of the MergeTree `tables` (db.table): the parts that fail it."""
    failed = []
    for database, table in client.query(
            "select database, name from system.tables where database in ('analytics', 'product') "
            "and engine like '%MergeTree' and total_rows > 0").result_rows:  # parts to check
        if f"{database}.{table}" not in tables:
            continue
        # (part_path, is_passed, message) per part
        for row in client.query(
                f"check table `{database}`.`{table}` settings check_query_single_value_result = 0").result_rows:
            if str(row[1]) != "1":
                failed.append(f"{database}.{table}: {row}")
    return failed


def test_disk_full_during_a_load(small_volume, tmp_path):
    harness = FaultHarness(str(tmp_path / "work"))
    harness.data_dir = os.path.join(small_volume, "data")  # the endpoint's data on the small volume
    try:
        harness.prepare()
        job = JOBS["daily load"]
        expected = harness.reference(job)[1]
        harness.load_state("appended")
        before = table_checksums(harness.client())

        filler = fill(small_volume)
        failed = harness.run(job.argv)
        assert failed.returncode != 0, "the load succeeded on a full disk"
        assert any(marker in failed.stdout for marker in NO_SPACE), failed.stdout[-3000:]

        # The endpoint is up and what was stored is intact: the sources and the warehouse
        # hold exactly what they held before (a load that got part way replaced partitions
        # with the same rows, or left them), and every part passes its checksums.
        assert harness.endpoint.process.poll() is None
        client = harness.client()
        assert client.command("select 1") == 1
        after = table_checksums(client)
        damaged = {name: (before.get(name), value) for name, value in after.items()
                   if name.startswith("product.") and before.get(name) != value}
        assert not damaged, damaged
        assert stored_health(client, before) == []

        # Space freed: the same command completes, equal to an uninterrupted run.
        os.unlink(filler)
        rerun = harness.run(job.argv)
        assert rerun.returncode == 0, rerun.stdout[-3000:]
        # Every table of the clean run holds its rows, and the failed run's scratch tables
        # (dbt-clickhouse's `<model>__dbt_new_data_<invocation id>`, one per model whose
        # INSERT failed) are gone: the re-run's on-run-start drops them.
        assert compare(expected, table_checksums(harness.client(), harness.excluded[job.name])) == []
        # And the generator reports a full disk clearly too, leaving `product` as it was.
        product_before = {k: v for k, v in table_checksums(harness.client()).items() if k.startswith("product.")}
        filler = fill(small_volume)
        appended = subprocess.run(
            [sys.executable, "-m", "feedstar.cli", "generate", "--append-day", "--no-progress", "--url", harness.url],
            capture_output=True, text=True, env=harness.env())
        assert appended.returncode != 0
        assert any(marker in appended.stdout + appended.stderr for marker in NO_SPACE), appended.stderr[-2000:]
        os.unlink(filler)
        product_after = {k: v for k, v in table_checksums(harness.client()).items() if k.startswith("product.")}
        assert _without_stages(product_after) == _without_stages(product_before)
    finally:
        harness.close()


def _without_stages(sums: dict) -> dict:
    """The generator's stage tables may hold a failed run's half-built day: that is what they are for."""
    return {name: value for name, value in sums.items() if not name.endswith("_stage")}
