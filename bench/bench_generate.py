"""Benchmark: `feedstar generate` against a bare INSERT ... SELECT of the same rows.

    python -m bench.bench_generate [--days 60] [--scale 1] [--repeat 3] [--url URL]

Without --url it starts its own embedded endpoint on a throwaway directory (and stops it).
Each round generates the data set, then inserts the same number of rows with the same
columns into identical tables (same engine, partitioning by day and sort key) straight from
numbers() — the cost of writing those rows with no generation logic at all.  Rounds
alternate so background load hits both alike; figures are medians over the rounds.
Targets: default data set in <= 60 s; generate rows/s >= 0.5 x bare rows/s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from feedstar.chclient import get_client
from feedstar.generate import run
from feedstar.generate.options import make_plan

# The bare insert: same columns and types, cheap arithmetic on `number`, the rows of each day
# contiguous (like the generator's, which writes day by day) so each insert block touches one
# or two day partitions: the fastest way to write these rows, hence the strictest baseline.
BARE_FEED = """
insert into product._bench_feed_actions
select
    toUInt32(intHash64(number) % 150000) as user_id,
    toUInt32(number % 5000) as post_id,
    if(number % 5 = 0, 'like', 'view') as action,
    toDateTime({start:Date}) + intDiv(number * {days:UInt32}, {rows:UInt64}) * 86400 + intHash32(number) % 86400 as time,
    toUInt8(number % 2) as gender,
    toUInt8(14 + number % 50) as age,
    if(number % 3 = 0, 'iOS', 'Android') as os,
    if(number % 2 = 0, 'ads', 'organic') as source,
    'Russia' as country,
    'Moscow' as city,
    toUInt8(number % 5) as exp_group
from numbers({rows:UInt64})
"""

BARE_MESSAGES = """
insert into product._bench_message_actions
select
    toUInt32(intHash64(number) % 150000) as user_id,
    toUInt32(intHash64(number + 1) % 150000) as receiver_id,
    toDateTime({start:Date}) + intDiv(number * {days:UInt32}, {rows:UInt64}) * 86400 + intHash32(number) % 86400 as time,
    toUInt8(number % 2) as gender,
    toUInt8(14 + number % 50) as age,
    if(number % 3 = 0, 'iOS', 'Android') as os,
    if(number % 2 = 0, 'ads', 'organic') as source,
    'Russia' as country,
    'Moscow' as city,
    toUInt8(number % 5) as exp_group
from numbers({rows:UInt64})
"""


def start_endpoint(data_dir: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(os.path.join(os.path.dirname(data_dir), "serve.log"), "w")
    process = subprocess.Popen([sys.executable, "-m", "feedstar.cli", "serve", "--path", data_dir, "--port", str(port)],
                               stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(url + "/ping", timeout=1):
                return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("bench: the endpoint did not start")


def bare_round(client, plan, feed_rows: int, message_rows: int) -> float:
    for table in ("feed_actions", "message_actions"):
        client.command(f"drop table if exists product._bench_{table}")
        client.command(f"create table product._bench_{table} as product.{table}")
    began = time.monotonic()
    params = {"start": plan.start, "days": plan.days}
    client.command(BARE_FEED, parameters={**params, "rows": feed_rows})
    client.command(BARE_MESSAGES, parameters={**params, "rows": message_rows})
    elapsed = time.monotonic() - began
    for table in ("feed_actions", "message_actions"):
        client.command(f"drop table product._bench_{table}")
    return elapsed


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--url", default=None, help="an existing endpoint (its `product` database is replaced)")
    args = parser.parse_args(argv)

    process, workdir = None, None
    url = args.url
    if url is None:
        workdir = tempfile.mkdtemp(prefix="feedstar-bench-")
        process, url = start_endpoint(os.path.join(workdir, "data"))
    try:
        client = get_client(url)
        plan = make_plan(days=args.days, scale=args.scale)
        generate_times, bare_times = [], []
        for round_number in range(1, args.repeat + 1):
            summary = run.generate(client, plan, progress=False)
            generate_times.append(summary.seconds)
            rows = summary.feed_rows + summary.message_rows
            bare_times.append(bare_round(client, plan, summary.feed_rows, summary.message_rows))
            print(f"round {round_number}: generate {generate_times[-1]:.1f}s, bare insert {bare_times[-1]:.1f}s",
                  flush=True)
        generate_s, bare_s = statistics.median(generate_times), statistics.median(bare_times)
        print(f"\nfeedstar generate --days {args.days} --scale {args.scale:g}: {summary.feed_rows:,} feed_actions + "
              f"{summary.message_rows:,} message_actions = {rows:,} rows, {summary.users:,} users")
        print(f"  generate     median {generate_s:6.1f} s  {rows / generate_s:12,.0f} rows/s   (target <= 60 s at the defaults)")
        print(f"  bare insert  median {bare_s:6.1f} s  {rows / bare_s:12,.0f} rows/s")
        print(f"  ratio generate/bare rows/s = {bare_s / generate_s:.2f}   (target >= 0.5)")
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:  # still finishing a query: it is ours, end it
                process.kill()
                process.wait()
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
