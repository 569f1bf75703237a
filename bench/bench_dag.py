"""Benchmark: one daily run of the Airflow DAG via dag.test, split into Airflow overhead,
dbt overhead and ClickHouse work.

    python -m bench.bench_dag [--days 60] [--scale 1.0] [--runs 3]

Starts its own endpoint on a throwaway directory, generates the product data (defaults:
the generator's default data set, 60 days ending yesterday at scale 1), builds the whole
history once with `dbt build`, then runs the DAG `--runs` times for the same logical date
(today, so it loads yesterday; re-runs do identical work because loads replace their
partitions) in one Airflow process, after one run for the day before (its logical date the
day before).  That first run has no earlier load to compare the sources with and rebuilds
the whole 3-day lookback, the daily run's most expensive form (printed too); the runs after
it rebuild only the lookback days whose sources changed since (none): the steady state
(orchestration/load_plan.py).  Per run:

* wall             dag.test() of the whole run
* ClickHouse work  dbt's own elapsed time for executing the nodes (SQL in ClickHouse plus
                   dbt's per-node bookkeeping; threads overlap) + the arrival check's and
                   the summary's queries
* dbt overhead     the dbt process minus its node execution: interpreter, adapter, parse
* Airflow overhead wall minus the three tasks' own work: scheduling loop, task start-up,
                   XCom, metadata DB

The split shown is that of the median run (by wall time), so its parts add up; every
run's split is printed too.  Airflow's start-up (once per worker process) is
reported apart: a scheduler pays it once, not per run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_endpoint(workdir: str):
    sys.path.insert(0, os.path.join(REPO, "tests", "python"))
    from endpoint import start_endpoint as start  # the tests' helper: free port, waits for /ping

    return start(os.path.join(workdir, "data"))


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def split_run(run: dict) -> dict:
    """Seconds of one DAG run by where they went (see the module docstring)."""
    tasks = run["tasks"]
    check = tasks["check_source_arrival"]["xcom"]["seconds"]
    build = tasks["dbt_build"]["xcom"]
    summary = tasks["publish_run_summary"]["xcom"]["seconds"]
    return {
        "wall": run["seconds"],
        "clickhouse": build["nodes_seconds"] + check + summary,
        "dbt_overhead": build["seconds"] - build["nodes_seconds"],
        "airflow_overhead": run["seconds"] - build["seconds"] - check - summary,
        "dbt_nodes": sum(build["nodes"].values()),
        "dbt_models": build["kinds"].get("model", 0) + build["kinds"].get("snapshot", 0),
        "window": f"{build['load_plan']['start']}..{build['load_plan']['day']}: {build['load_plan']['reason']}",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    sys.path.insert(0, os.path.join(REPO, "tests", "python"))
    from dag_worker import DagWorker  # the tests' harness: one Airflow process, many runs

    workdir = tempfile.mkdtemp(prefix="bench-dag-")
    endpoint = start_endpoint(workdir)
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", REPO),
        "FEEDSTAR_CH_PORT": str(endpoint.port),
        "AIRFLOW_CONN_FEEDSTAR_CLICKHOUSE": f"generic://default:@127.0.0.1:{endpoint.port}/analytics",
        "FEEDSTAR_DBT_TARGET_PATH": os.path.join(workdir, "dbt-dag"),
        "FEEDSTAR_DBT_PROJECT_DIR": REPO,
        "FEEDSTAR_DAG_RETRIES": "0",
    }
    worker = None
    try:
        generate = [sys.executable, "-m", "feedstar.cli", "generate", "--days", str(args.days),
                    "--scale", str(args.scale), "--no-progress", "--url", endpoint.url]
        generate_seconds = timed(lambda: subprocess.run(generate, check=True, env=env, capture_output=True))
        rows = endpoint.client().query(
            "select (select count() from product.feed_actions), (select count() from product.message_actions)"
        ).result_rows[0]
        build = [os.path.join(os.path.dirname(sys.executable), "dbt"), "build", "--project-dir", REPO,
                 "--target-path", os.path.join(workdir, "dbt-direct"), "--log-path", os.path.join(workdir, "dbt-direct")]
        first_build_seconds = timed(lambda: subprocess.run(build, check=True, env=env, capture_output=True))

        worker = DagWorker(os.path.join(workdir, "airflow"), os.path.join(workdir, "airflow.log"), env)
        startup_seconds = timed(lambda: worker.start().run())  # migrate, import, parse: once per process
        today = dt.datetime.now(dt.timezone.utc).date()
        logical_date = today.isoformat()
        load = os.getloadavg()[0]
        first = worker.run((today - dt.timedelta(days=1)).isoformat())
        outcome = worker.run(*[logical_date] * args.runs)
        failed = [run for run in first["runs"] + outcome["runs"] if run["state"] != "success"]
        if failed:
            print(f"a DAG run failed: {json.dumps(failed[0], default=str)[:2000]}", file=sys.stderr)
            return 1
        splits = [split_run(run) for run in outcome["runs"]]
        first_split = split_run(first["runs"][0])
    finally:
        if worker:
            worker.stop()
        endpoint.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    # The run with the median wall time, split so that its parts add up to its wall.
    middle = sorted(splits, key=lambda split: split["wall"])[len(splits) // 2]
    loaded_day = dt.date.fromisoformat(logical_date) - dt.timedelta(days=1)
    print(f"data: {args.days} days at scale {args.scale:g}: {rows[0]:,} feed events, {rows[1]:,} messages "
          f"(generated in {generate_seconds:.1f} s); first full dbt build {first_build_seconds:.1f} s")
    print(f"load average when the runs started (2 cores here): {load:.1f}")
    print(f"Airflow worker start-up (migrate + import + first parse, once per process): {startup_seconds:.1f} s")
    print(f"the first DAG run, for {loaded_day - dt.timedelta(days=1)} ({first_split['window']}): "
          f"{first_split['wall']:.1f} s wall, ClickHouse work {first_split['clickhouse']:.1f} s, "
          f"dbt overhead {first_split['dbt_overhead']:.1f} s, Airflow overhead {first_split['airflow_overhead']:.1f} s")
    print(f"one daily DAG run for {loaded_day} (the median of {len(splits)} runs by wall time, dag.test):")
    for key, label in [("wall", "wall"), ("clickhouse", "ClickHouse work"), ("dbt_overhead", "dbt overhead"),
                       ("airflow_overhead", "Airflow overhead")]:
        share = "" if key == "wall" else f"  ({middle[key] / middle['wall']:5.1%} of wall)"
        print(f"  {label:<17} {middle[key]:7.1f} s{share}")
    print(f"  days loaded: {middle['window']}")
    print(f"  dbt nodes run: {middle['dbt_nodes']} ({middle['dbt_models']} models + snapshots); a cosmos task per "
          f"model would start dbt {middle['dbt_models']} times: ~{middle['dbt_models']} x "
          f"{middle['dbt_overhead']:.1f} s = {middle['dbt_models'] * middle['dbt_overhead']:.0f} s of dbt overhead a day "
          f"instead of {middle['dbt_overhead']:.1f} s")
    print("  all runs (wall | ClickHouse | dbt | Airflow, s): " + "; ".join(
        f"{split['wall']:.1f} | {split['clickhouse']:.1f} | {split['dbt_overhead']:.1f} | {split['airflow_overhead']:.1f}"
        for split in splits))
    return 0


if __name__ == "__main__":
    sys.exit(main())
