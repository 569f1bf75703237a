"""Benchmark: the embedded endpoint (`feedstar serve`) against chDB in-process.

    python -m bench.bench_server [--rounds 5] [--rows 1000000] [--pings 300]

Starts its own endpoint on a throwaway directory and, since chDB allows one data path per
process, a child process that runs the same work on chDB in-process on its own throwaway
directory.  Both build the same 5-column table from numbers() (deterministic), then the
rounds alternate between the two sides so that background load hits both alike:

* SELECT of all rows into a pyarrow Table: clickhouse-connect `query_arrow` vs
  chDB `query(sql, "ArrowTable")`; and into a pandas DataFrame (`query_df` vs "DataFrame");
* insert of the same rows from a pyarrow Table: `insert_arrow` vs
  `INSERT ... SELECT * FROM Python(table)`.

Figures are medians over the rounds.  Targets: SELECT 1 round trip <= 2 ms; SELECT and
insert through the endpoint <= 1.5x in-process; the raw SELECT 1 round trip <= 1.5x the
bare chDB wrapper's, measured in the same run, with the statement policy in the path (its
cost per statement, cache bypassed, is printed too).

Beside SELECT 1 it prints the floor under that figure on this machine: a raw SELECT 1 to
bench/bare_chdb_http.py (uvicorn, one thread hop, chDB, no protocol at all) plus the CPU
time clickhouse-connect itself spends per query in this process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TABLE_DDL = ("CREATE TABLE {name} (id UInt64, bucket UInt32, score Float64, label String, day Date) "
             "ENGINE = MergeTree ORDER BY id")
FILL_SQL = ("INSERT INTO bench_rows SELECT number, number % 1000, number / 3, "
            "concat('user', toString(number % 977)), toDate('2025-01-01') + number % 90 FROM numbers({rows})")
SELECT_SQL = "SELECT id, bucket, score, label, day FROM bench_rows"
TARGET_PING_MS = 2.0
TARGET_RATIO = 1.5
# the tests' endpoint helpers (start_endpoint, free_port)
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "python"))


# --- the in-process side (runs in a child process) ---------------------------------------
def in_process_child(rows: int) -> None:
    """Answer commands on stdin with elapsed seconds on stdout, on chDB in-process."""
    import chdb

    path = tempfile.mkdtemp(prefix="bench-inproc-")
    try:
        connection = chdb.connect(f"file:{path}")
        setup(lambda sql: connection.query(sql), rows)
        arrow_rows = connection.query(SELECT_SQL, "ArrowTable")
        commands = {
            "ping": lambda: connection.query("SELECT 1", "TabSeparated"),
            "select_arrow": lambda: connection.query(SELECT_SQL, "ArrowTable"),
            "select_df": lambda: connection.query(SELECT_SQL, "DataFrame"),
            "insert": lambda: insert_in_process(connection, arrow_rows),
        }
        print("ready", flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "truncate":
                connection.query("TRUNCATE TABLE bench_insert")
                print(json.dumps(0), flush=True)
                continue
            started = time.perf_counter()
            commands[command]()
            print(json.dumps(time.perf_counter() - started), flush=True)
        connection.close()
    finally:
        shutil.rmtree(path, ignore_errors=True)


def insert_in_process(connection, arrow_rows) -> None:
    # chDB's Python() table function reads the variable named in the query from this frame.
    connection.query("INSERT INTO bench_insert SELECT * FROM Python(arrow_rows)")


def setup(run, rows: int) -> None:
    run(TABLE_DDL.format(name="bench_rows"))
    run(TABLE_DDL.format(name="bench_insert"))
    run(FILL_SQL.format(rows=int(rows)))


class InProcess:
    """The parent's handle on the child process."""

    def __init__(self, rows: int):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_server", "--in-process-child", "--rows", str(rows)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout.readline().strip() == "ready"

    def time(self, command: str) -> float:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(60)


# --- the endpoint side ---------------------------------------------------------------------
def start_endpoint():
    from endpoint import start_endpoint as start  # the tests' helper: free port, waits for /ping

    data_dir = tempfile.mkdtemp(prefix="bench-endpoint-")
    return start(os.path.join(data_dir, "data")), data_dir


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_ms(samples) -> float:
    return statistics.median(samples) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pings", type=int, default=300)
    parser.add_argument("--in-process-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.in_process_child:
        in_process_child(args.rows)
        return 0

    endpoint, data_dir = start_endpoint()
    in_process = InProcess(args.rows)
    try:
        client = endpoint.client()
        setup(client.command, args.rows)
        arrow_rows = client.query_arrow(SELECT_SQL)
        assert arrow_rows.num_rows == args.rows

        for _ in range(30):  # warm-up: connections, code paths
            client.query("SELECT 1")
            in_process.time("ping")
        cpu_started = time.process_time()
        ping = [timed(lambda: client.query("SELECT 1")) for _ in range(args.pings)]
        # This process's CPU time per query is clickhouse-connect's own cost: no server can remove it.
        client_cpu = (time.process_time() - cpu_started) / args.pings
        ping_raw = raw_http_pings(endpoint.port, args.pings)
        # Each text new to the endpoint: the statement is parsed for the policy on every request.
        ping_raw_uncached = raw_http_pings(endpoint.port, args.pings, distinct_texts=True)
        ping_bare = bare_wrapper_pings(args.pings)
        ping_in_process = [in_process.time("ping") for _ in range(args.pings)]

        samples = {key: ([], []) for key in ("select_arrow", "select_df", "select_df_arrow", "insert")}
        client.query_arrow(SELECT_SQL)  # warm-up of both sides
        in_process.time("select_arrow")
        for _ in range(args.rounds):
            samples["select_arrow"][0].append(timed(lambda: client.query_arrow(SELECT_SQL)))
            samples["select_arrow"][1].append(in_process.time("select_arrow"))
            samples["select_df"][0].append(timed(lambda: client.query_df(SELECT_SQL)))
            samples["select_df"][1].append(in_process.time("select_df"))
            samples["select_df_arrow"][0].append(timed(lambda: client.query_df_arrow(SELECT_SQL)))
            samples["select_df_arrow"][1].append(samples["select_df"][1][-1])  # the same in-process DataFrame
            client.command("TRUNCATE TABLE bench_insert")
            in_process.time("truncate")
            samples["insert"][0].append(timed(lambda: client.insert_arrow("bench_insert", arrow_rows)))
            samples["insert"][1].append(in_process.time("insert"))
        inserted = client.query("SELECT count() FROM bench_insert").result_rows[0][0]
        assert inserted == args.rows, inserted
    finally:
        in_process.close()
        endpoint.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    report(args, ping, ping_raw, ping_bare, client_cpu, ping_in_process, samples)
    report_policy(ping_raw, ping_raw_uncached, ping_bare, parse_costs(args.pings))
    return 0


POLICY_SAMPLES = {
    "SELECT 1": "SELECT 1",
    "dashboard panel (1.1 kB)": (
        "SELECT date, os, uniqExactMerge(users) AS dau, sum(views) AS views, sum(likes) AS likes, "
        "if(sum(views) = 0, 0, sum(likes) / sum(views)) AS ctr FROM analytics.agg_feed_daily_activity "
        "WHERE date BETWEEN {start:Date} AND {end:Date} AND os IN {os:Array(String)} "
        "AND source IN {source:Array(String)} AND age_bucket IN {ages:Array(String)} "
        "GROUP BY date, os ORDER BY date, os WITH FILL FROM {start:Date} TO {end:Date} + 1 "
        + " ".join(f"/* padding {n} */" for n in range(30))),
    "dbt model DDL": (
        "/* {\"app\": \"dbt\", \"node_id\": \"model.feedstar.fact_daily_feed\"} */ "
        "create table analytics.fact_daily_feed__dbt_new_data engine = MergeTree() order by (date, user_id) "
        "partition by toYYYYMM(date) as (with feed as (select * from analytics.stg_feed_actions "
        "where toDate(time) between '2025-03-01' and '2025-03-09') select toDate(time) as date, user_id, "
        "countIf(action = 'view') as views, countIf(action = 'like') as likes, uniqExact(post_id) as posts "
        "from feed group by date, user_id)"),
}


def parse_costs(count: int) -> dict[str, float]:
    """The policy's parser on its own, cache bypassed: median seconds per statement."""
    import chdb

    from feedstar.server.policy import Policy
    from feedstar.server.statement import Parser

    parser, policy = Parser(lambda: chdb.connect(":memory:")), Policy()
    admin = type("Admin", (), {"name": "default", "readonly": False})()
    costs = {}
    try:
        for label, sql in POLICY_SAMPLES.items():
            def check(sql=sql):
                policy.check(parser._parse_uncached(sql), admin, is_get=False, database=None)
            for _ in range(20):
                check()
            costs[label] = statistics.median(timed(check) for _ in range(count))
    finally:
        parser.close()
    return costs


def report_policy(ping_raw, ping_raw_uncached, ping_bare, costs) -> None:
    raw, uncached, bare = median_ms(ping_raw), median_ms(ping_raw_uncached), median_ms(ping_bare)
    ratio = raw / bare
    print(f"  SELECT 1 raw HTTP: feedstar serve {raw:.2f} ms | bare chDB wrapper {bare:.2f} ms | ratio {ratio:.2f}x "
          f"(target <= {TARGET_RATIO}x: {'ok' if ratio <= TARGET_RATIO else 'MISSED'}); "
          f"a text the endpoint has not parsed before: {uncached:.2f} ms ({uncached / bare:.2f}x)")
    print("  statement policy (ClickHouse's parser + the checks), per statement, cache bypassed: "
          + "; ".join(f"{label} {seconds * 1000:.2f} ms" for label, seconds in costs.items()))


def bare_wrapper_pings(count: int) -> list[float]:
    """The same raw SELECT 1 against bench/bare_chdb_http.py: the floor for any chDB endpoint."""
    from endpoint import free_port

    port, data_dir = free_port(), tempfile.mkdtemp(prefix="bench-bare-")
    process = subprocess.Popen([sys.executable, "-m", "bench.bare_chdb_http", str(port), data_dir])
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                return raw_http_pings(port, count)
            except ConnectionRefusedError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(30)
        shutil.rmtree(data_dir, ignore_errors=True)


def raw_http_pings(port: int, count: int, distinct_texts: bool = False) -> list[float]:
    """SELECT 1 over one keep-alive connection with no client library: the endpoint's own share.

    With `distinct_texts` every request's text differs (a numbered comment), so that no
    cached parse serves it.
    """
    import http.client
    import itertools

    connection = http.client.HTTPConnection("127.0.0.1", port)
    numbers = itertools.count()

    def once():
        text = f"SELECT 1 /* {next(numbers)} */ FORMAT Native" if distinct_texts else "SELECT 1 FORMAT Native"
        connection.request("POST", "/?wait_end_of_query=1", body=text.encode())
        connection.getresponse().read()

    for _ in range(30):
        once()
    samples = [timed(once) for _ in range(count)]
    connection.close()
    return samples


def report(args, ping, ping_raw, ping_bare, client_cpu, ping_in_process, samples) -> None:
    load = " / ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"bench_server: {args.rows:,} rows x 5 columns, {args.rounds} rounds, {args.pings} pings; medians "
          f"(load average {load} on {os.cpu_count()} cores)")
    ping_ms = median_ms(ping)
    verdict = "ok" if ping_ms <= TARGET_PING_MS else "MISSED"
    print(f"  SELECT 1 round trip, clickhouse-connect   {ping_ms:8.2f} ms   (target <= {TARGET_PING_MS} ms: {verdict}; "
          f"raw HTTP {median_ms(ping_raw):.2f} ms; chDB in-process {median_ms(ping_in_process):.2f} ms)")
    floor = median_ms(ping_bare) + client_cpu * 1000
    print(f"    floor on this machine: raw HTTP to a bare chDB wrapper (bench/bare_chdb_http.py) "
          f"{median_ms(ping_bare):.2f} ms + clickhouse-connect's own CPU per query {client_cpu * 1000:.2f} ms "
          f"= {floor:.2f} ms; feedstar serve adds {ping_ms - floor:.2f} ms above it")
    labels = {"select_arrow": "SELECT all rows -> Arrow table ",
              "select_df": "SELECT all rows -> DataFrame   ",
              "select_df_arrow": "  ... DataFrame via Arrow       ",
              "insert": "INSERT all rows from Arrow     "}
    for key, label in labels.items():
        endpoint_ms, in_process_ms = median_ms(samples[key][0]), median_ms(samples[key][1])
        ratio = endpoint_ms / in_process_ms
        target = "" if key.startswith("select_df") else \
            f"   (target <= {TARGET_RATIO}x: {'ok' if ratio <= TARGET_RATIO else 'MISSED'})"
        print(f"  {label} endpoint {endpoint_ms:8.1f} ms | in-process {in_process_ms:8.1f} ms | "
              f"ratio {ratio:5.2f}x{target}")


if __name__ == "__main__":
    sys.exit(main())
