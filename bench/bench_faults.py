"""Fault injection, the full matrix: every job killed at many moments, restarted, re-run,
and compared with an uninterrupted run.

    python -m bench.bench_faults [--moments 20] [--jobs "full build,daily load,..."]
                                 [--victims client,endpoint] [--minutes M] [--project-dir DIR]
                                 [--workdir DIR]

Jobs (tests/python/faults_harness.py, JOBS): a full `dbt build`; the daily load as the
DAG runs it (`dbt build --vars '{start_date: D}' --exclude resource_type:unit_test`); a
5-day backfill; `feedstar generate --day D` (the next day); `dbt snapshot`.  All on a tiny generated
data set (6 days at scale 0.02, then one appended day), on its own endpoint and data
directory.  For each job the clean run is recorded first (its statements give the moments,
its tables the expected result); then for each moment and each victim (the client process:
dbt or the generator; or the endpoint) the job is started from the same saved state, the
victim is SIGKILLed at that statement (before it, half-way through it, or after it
committed but before the client got the answer), the victim restarted, the same command
run again, and every table of `analytics` and `product` compared with the clean run
(row counts, content checksums, no leftover tables, pid file naming the live endpoint).

Then runs the disk-full test (a 300 MB tmpfs, root only) and the Airflow retry test
(tests/python/test_faults_disk.py, test_faults_airflow.py) unless --no-extras.

Prints a line per cycle (with the statement and the differences when a cycle did not
recover) and at the end the table job x victim x moments tried x recovered.  Exit status 1
if any cycle did not recover.  About 30-60 s per cycle on 2 cores: the default matrix
(20 moments x 5 jobs x 2 victims) takes about two hours; `--minutes` stops starting cycles
after that long (the order is round-robin over job x victim, so every cell gets its most
telling moments first).  The CI subset is
tests/python/test_faults.py.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "python"))

from faults_harness import JOBS, FaultHarness, run_matrix, summary_table  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moments", type=int, default=20, help="moments per job (default 20)")
    parser.add_argument("--jobs", default=",".join(JOBS), help="comma-separated job names")
    parser.add_argument("--victims", default="client,endpoint")
    parser.add_argument("--project-dir", default=None, help="the dbt project to run (default: this repo)")
    parser.add_argument("--workdir", default=None, help="keep states and logs here (default: a temp dir, removed)")
    parser.add_argument("--seed", type=int, default=0, help="changes which moments are picked")
    parser.add_argument("--minutes", type=float, default=None,
                        help="start no cycle after this many minutes (the table covers the cycles run)")
    parser.add_argument("--no-extras", action="store_true", help="only the matrix, not the disk-full and Airflow tests")
    args = parser.parse_args(argv)
    jobs = [name.strip() for name in args.jobs.split(",") if name.strip()]
    unknown = [name for name in jobs if name not in JOBS]
    if unknown:
        parser.error(f"unknown job(s) {unknown}; known: {list(JOBS)}")
    workdir = args.workdir or tempfile.mkdtemp(prefix="feedstar-faults-")
    began = time.monotonic()
    harness = FaultHarness(workdir, project_dir=args.project_dir)
    try:
        harness.prepare()
        cycles = run_matrix(harness, jobs, args.victims.split(","), args.moments,
                            report=lambda line: print(line, flush=True), seed=args.seed,
                            deadline=began + args.minutes * 60 if args.minutes else None)
    finally:
        harness.close()
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(summary_table(cycles))
    print(f"\n{len(cycles)} cycles in {time.monotonic() - began:.0f}s")
    extras = 0
    if not args.no_extras:
        # The disk-full and Airflow retry tests (too slow for every `make test`).
        print("\n== disk full, Airflow retry: pytest -m faults", flush=True)
        extras = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-m", "faults", "-p", "no:cacheprovider",
             os.path.join(REPO, "tests", "python", "test_faults_disk.py"),
             os.path.join(REPO, "tests", "python", "test_faults_airflow.py")],
            cwd=REPO, env={**os.environ, "FEEDSTAR_FAULTS_FULL": "1",
                           **({"FEEDSTAR_FAULTS_PROJECT_DIR": args.project_dir} if args.project_dir else {})}).returncode
    return 0 if all(cycle.recovered for cycle in cycles) and extras in (0, 5) else 1


if __name__ == "__main__":
    sys.exit(main())
