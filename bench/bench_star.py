"""Benchmark: the star schema -- full build, one incremental day, the seed's queries.

    python -m bench.bench_star [--days 60] [--scale 1] [--history-scale 0.1] [--repeat 3]
                               [--skip-main] [--skip-history]

Each part starts its own embedded endpoint on a throwaway directory (and stops it):

1. Main (--days, --scale; default = `feedstar generate`'s default data set):
   - full `dbt build` of the star schema (models + unit and data tests): wall time, events/s;
   - one incremental day (`dbt build` for the last day D, default lookback 3): wall time, and
     ClickHouse time = the run's model and data-test SQL (compiled by dbt for D) executed
     straight through the endpoint, summed; dbt's own overhead = wall - ClickHouse time; and
     the same build without the unit tests, as the Airflow DAG runs a day;
   - per day, the seed's original queries (analyses/seed_*.sql) vs feedstar's fact models, both
     compiled for the single day D (lookback 0) and run through the endpoint, output discarded
     (FORMAT Null) so both do the full work.  Target: feedstar >= 3x faster.
2. History (121 days at --history-scale): the same incremental day D (the last one) loaded on
   top of 120 days of history, then -- after dropping the source's older days and rebuilding --
   on top of 30 days.  Target: wall(120) / wall(30) <= 1.2.

Figures are medians of --repeat runs (the seed comparison: --day-repeat alternated rounds,
after the loads' background merges have finished); ratios come from one run of this script.
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bench.bench_generate import start_endpoint
from feedstar.chclient import get_client

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)
STAR = ["--select", "staging", "marts.core", "--indirect-selection", "cautious"]
FACTS = ["fact_daily_feed", "fact_daily_posts", "fact_daily_messenger", "fact_user_connections"]


def generate(url: str, start: dt.date, days: int, scale: float) -> float:
    began = time.perf_counter()
    subprocess.run([os.path.join(BIN, "feedstar"), "generate", "--start", start.isoformat(), "--days", str(days),
                    "--scale", str(scale), "--url", url, "--no-progress"], check=True)
    return time.perf_counter() - began


def dbt(port: str, work: str, command: str, *args: str, vars: str | None = None) -> float:
    env = dict(os.environ, DBT_PROFILES_DIR=ROOT, DBT_SEND_ANONYMOUS_USAGE_STATS="false", FEEDSTAR_CH_PORT=port)
    cmd = [os.path.join(BIN, "dbt"), command, "--project-dir", ROOT, "--target-path", os.path.join(work, "target"),
           "--log-path", os.path.join(work, "logs"), *args]
    if vars:
        cmd += ["--vars", vars]
    began = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"bench: dbt {command} failed:\n{result.stdout[-4000:]}")
    return time.perf_counter() - began


def timed(client, sql: str) -> float:
    began = time.perf_counter()
    client.raw_query(sql, fmt="Null")
    return time.perf_counter() - began


def compiled(work: str, pattern: str) -> dict[str, str]:
    """name -> compiled SQL of the nodes last compiled under target/compiled matching pattern."""
    paths = glob.glob(os.path.join(work, "target", "compiled", "feedstar", pattern), recursive=True)
    return {os.path.basename(p)[:-4]: open(p).read() for p in sorted(paths) if "unit_tests.yml" not in p}


def clickhouse_seconds(client, work: str) -> float:
    """Run the compiled model SELECTs and data tests of the last `dbt compile` once; total seconds.
    Staging models are views: dbt only (re)creates them, their reads are inside the facts' and
    tests' SQL, so their own SELECT is not run here."""
    sql = {name: text for name, text in compiled(work, "models/**/*.sql").items() if not name.startswith("stg_")}
    sql |= compiled(work, "tests/core/*.sql")
    return sum(timed(client, text) for text in sql.values())


def one_day(client, port: str, work: str, day: dt.date, repeat: int) -> tuple[float, float, float]:
    """Median wall of `dbt build` for `day`, the ClickHouse time of the same SQL, and the median
    wall of the same build without the unit tests (as the Airflow DAG runs a day: the unit
    tests check SQL logic on fixed rows, CI runs them)."""
    vars = f"{{start_date: {day}}}"
    walls = [dbt(port, work, "build", *STAR, vars=vars) for _ in range(repeat)]
    daily = [dbt(port, work, "build", *STAR, "--exclude-resource-type", "unit_test", vars=vars)
             for _ in range(repeat)]
    dbt(port, work, "compile", *STAR, vars=vars)
    ch = statistics.median(clickhouse_seconds(client, work) for _ in range(repeat))
    return statistics.median(walls), ch, statistics.median(daily)


def wait_for_merges(client, timeout: float = 300.0) -> None:
    """Let the background merges of the loads just done finish, so they do not land on the
    timings of one side only."""
    deadline = time.monotonic() + timeout
    while client.query("select count() from system.merges").result_rows[0][0] and time.monotonic() < deadline:
        time.sleep(1)


def seed_vs_feedstar(client, port: str, work: str, day: dt.date, repeat: int) -> tuple[float, float]:
    dbt(port, work, "compile", "--select", *FACTS, "path:analyses", vars=f"{{start_date: {day}, lookback_days: 0}}")
    wait_for_merges(client)
    seed = compiled(work, "analyses/seed_*.sql")
    ours = {name: text for name, text in compiled(work, "models/marts/core/**/*.sql").items() if name in FACTS}
    assert len(seed) == len(ours) == 4, (sorted(seed), sorted(ours))
    seed_times, our_times = [], []
    for _ in range(repeat):  # alternate, so drifting machine load hits both sides alike
        seed_times.append(sum(timed(client, text) for text in seed.values()))
        our_times.append(sum(timed(client, text) for text in ours.values()))
    return statistics.median(seed_times), statistics.median(our_times)


def with_endpoint(part):
    def run(args):
        base = tempfile.mkdtemp(prefix="bench-star-")
        process, url = start_endpoint(os.path.join(base, "data"))
        try:
            part(args, get_client(url), url.rsplit(":", 1)[1], os.path.join(base, "work"), url)
        finally:
            process.terminate()
            process.wait(60)
            shutil.rmtree(base, ignore_errors=True)
    return run


@with_endpoint
def main_part(args, client, port, work, url):
    start = dt.date(2025, 1, 1)
    day = start + dt.timedelta(days=args.days - 1)
    seconds = generate(url, start, args.days, args.scale)
    events = client.query("select (select count() from product.feed_actions) "
                          "+ (select count() from product.message_actions)").result_rows[0][0]
    print(f"data: {args.days} days at scale {args.scale}: {events:,} events (generated in {seconds:.0f} s)")
    full = dbt(port, work, "build", *STAR)
    print(f"full dbt build (star schema, tests included): {full:.1f} s wall, {events / full:,.0f} events/s")
    wall, ch, daily = one_day(client, port, work, day, args.repeat)
    print(f"one incremental day ({day}, lookback 3, dbt build): {wall:.1f} s wall; "
          f"ClickHouse {ch:.2f} s ({ch / wall:.0%}), dbt overhead {wall - ch:.1f} s; "
          f"without the unit tests (as the DAG runs it) {daily:.1f} s wall")
    seed, ours = seed_vs_feedstar(client, port, work, day, args.day_repeat)
    print(f"one day's four facts: seed queries {seed:.3f} s, feedstar {ours:.3f} s -> "
          f"feedstar {seed / ours:.1f}x faster (target >= 3x)")


@with_endpoint
def history_part(args, client, port, work, url):
    start = dt.date(2025, 1, 1)
    day = start + dt.timedelta(days=120)
    generate(url, start, 121, args.history_scale)
    results = {}
    for history in (120, 30):
        first = day - dt.timedelta(days=history)
        for table in ("feed_actions", "message_actions"):  # keep exactly `history` days before `day`
            client.command(f"alter table product.{table} delete where toDate(time) < {{first:Date}}",
                           parameters={"first": first}, settings={"mutations_sync": 2})
        client.command("drop database if exists analytics")
        dbt(port, work, "run", "--full-refresh", "--select", "staging", "marts.core",
            vars=f"{{start_date: {first}, end_date: {day - dt.timedelta(days=1)}}}")
        results[history] = one_day(client, port, work, day, args.repeat)
        print(f"incremental day {day} on {history} days of history (scale {args.history_scale}): "
              f"{results[history][0]:.1f} s wall, ClickHouse {results[history][1]:.2f} s, "
              f"as the DAG runs it {results[history][2]:.1f} s")
    print(f"120-day / 30-day history: wall ratio {results[120][0] / results[30][0]:.2f} (target <= 1.2), "
          f"ClickHouse ratio {results[120][1] / results[30][1]:.2f}, "
          f"as the DAG runs it {results[120][2] / results[30][2]:.2f}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_star", description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--history-scale", type=float, default=0.1)
    parser.add_argument("--repeat", type=int, default=3)
    # one day's queries take ~2 s a round, so the seed comparison can afford more rounds
    parser.add_argument("--day-repeat", type=int, default=9)
    parser.add_argument("--skip-main", action="store_true")
    parser.add_argument("--skip-history", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_main:
        main_part(args)
    if not args.skip_history:
        history_part(args)


if __name__ == "__main__":
    main()
