"""Benchmark: the dashboard marts -- reads through the endpoint, and the cost of one new day.

    python -m bench.bench_marts [--days 60] [--scale 1] [--rounds 30]
                                [--build-scale 0.1] [--skip-reads] [--skip-build] [--url URL]

Starts its own embedded endpoint on a throwaway directory (and stops it) each part:

1. Reads: generates the data set (default = `feedstar generate`'s default, 60 days at scale
   1, ~20k feed DAU), builds the warehouse with dbt, then times every dashboard query the
   marts serve (QUERIES below) through the endpoint with clickhouse-connect: median and p95
   over --rounds. The same numbers computed straight from the raw events are timed too
   (fewer rounds: they are slow) and the ratio raw / mart is printed.
   Targets: each mart query median <= 50 ms, p95 <= 150 ms.
   Then every panel query of `feedstar dashboard`, built by its own module (dashboard/queries/)
   with the pages' default filters, timed the same way: the tiles' real reads.
2. One new day: generates 121 days (at --build-scale), builds days 1..30, then times the
   marts' load of day 31 (30 days of history); loads days 31..120, then times day 121 (120
   days of history). Each load is run 3 times (a re-run does the same work); medians of the
   dbt wall time and of the marts' own SQL time (sum of their execution_time in dbt's
   run_results.json). Target: 120-day / 30-day ratio <= 1.3.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
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
MARTS = "path:models/marts/dashboards"

# Every query a dashboard tile runs on the marts, and the same numbers from raw events.
# {day:Date} = the last loaded day; {since:Date} = 29 days before it.
RAW_ACTIVE_DAYS = """(select distinct toDate(time) as d, user_id from product.feed_actions
    union distinct select distinct toDate(time) as d, user_id from product.message_actions)"""
QUERIES = {
    "dau_wau_mau_30d": (
        "select date, dau, wau, mau, stickiness from analytics.agg_active_users where service = 'app' "
        "and breakdown = 'total' and date between {since:Date} and {day:Date} order by date",
        f"select d + k as day, uniqExactIf(user_id, k = 0), uniqExactIf(user_id, k < 7), uniqExact(user_id) "
        f"from {RAW_ACTIVE_DAYS} array join range(30) as k where day between {{since:Date}} and {{day:Date}} "
        "group by day order by day"),
    "mau_by_source_today": (
        "select breakdown_value, dau, wau, mau from analytics.agg_active_users where service = 'feed' "
        "and breakdown = 'source' and date = {day:Date}",
        "select source, uniqExactIf(user_id, toDate(time) = {day:Date}), "
        "uniqExactIf(user_id, toDate(time) > {day:Date} - 7), uniqExact(user_id) from product.feed_actions "
        "where toDate(time) between {since:Date} and {day:Date} group by source"),
    "retention_heatmap_30_cohorts": (
        "select cohort_start, day_number, cohort_size, retained_users, retention from analytics.agg_retention "
        "where service = 'app' and cohort_period = 'day' and breakdown = 'total' "
        "and cohort_start between {since:Date} - 30 and {day:Date} order by cohort_start, day_number",
        f"with firsts as (select user_id, min(d) as first_day from {RAW_ACTIVE_DAYS} group by user_id) "
        f"select first_day, a.d - first_day as n, uniqExact(a.user_id) from {RAW_ACTIVE_DAYS} as a "
        "join firsts using user_id where first_day between {since:Date} - 30 and {day:Date} "
        "and a.d - first_day <= 30 group by first_day, n order by first_day, n"),
    "retention_curve_by_source": (
        "select breakdown_value, day_number, sum(retained_users) / sum(cohort_size) from analytics.agg_retention "
        "where service = 'feed' and cohort_period = 'day' and breakdown = 'source' and day_number in (1, 7, 30) "
        "and cohort_start between {since:Date} - 30 and {day:Date} group by breakdown_value, day_number",
        "with firsts as (select user_id, min(toDate(time)) as first_day, argMin(source, time) as source "
        "from product.feed_actions group by user_id), days as (select distinct user_id, toDate(time) as d "
        "from product.feed_actions) select source, days.d - first_day as n, uniqExact(user_id) / "
        "any(cohort) from days join (select *, count() over (partition by source) as cohort from firsts "
        "where first_day between {since:Date} - 30 and {day:Date}) as f using user_id "
        "where n in (1, 7, 30) group by source, n"),
    "lifecycle_weekly": (
        "select period_start, new_users, returning_users, resurrecting_users, dormant_users "
        "from analytics.agg_lifecycle where service = 'app' and period = 'week' order by period_start",
        f"with weeks as (select distinct user_id, toMonday(d) as w from {RAW_ACTIVE_DAYS}), "
        "marked as (select user_id, w, min(w) over (partition by user_id) as first_w, "
        "lagInFrame(w, 1, toDate(0)) over (partition by user_id order by w rows between 1 preceding "
        "and current row) as prev_w from weeks) select w, countIf(w = first_w), "
        "countIf(w != first_w and prev_w = w - 7), countIf(w != first_w and prev_w != w - 7) "
        "from marked group by w order by w"),
    "app_activity_by_country": (
        "select date, country, sum(total_users), sum(new_users_lifetime_0), sum(receive_only_users) "
        "from analytics.agg_app_daily_activity where date between {since:Date} and {day:Date} "
        "group by date, country order by date, country",
        f"with firsts as (select user_id, min(d) as first_day from {RAW_ACTIVE_DAYS} group by user_id) "
        "select toDate(time) as date, country, uniqExact(user_id), uniqExactIf(user_id, first_day = date) "
        "from product.feed_actions join firsts using user_id where date between {since:Date} and {day:Date} "
        "group by date, country order by date, country"),
    "engagement_30d": (
        "select date, ctr, views_per_user, likes_per_user, messages_per_sender from analytics.agg_engagement_daily "
        "where date between {since:Date} and {day:Date} order by date",
        "select toDate(time) as date, countIf(action = 'like') / countIf(action = 'view'), "
        "countIf(action = 'view') / uniqExact(user_id) from product.feed_actions "
        "where date between {since:Date} and {day:Date} group by date order by date"),
    "top_posts_today": (
        "select post_rank, post_id, views, likes, unique_viewers, ctr from analytics.agg_top_posts_daily "
        "where date = {day:Date} order by post_rank",
        "select post_id, countIf(action = 'view') as views, countIf(action = 'like'), "
        "uniqExactIf(user_id, action = 'view') from product.feed_actions where toDate(time) = {day:Date} "
        "group by post_id order by views desc limit 20"),
    "experiment_ctr_by_group_daily": (
        "select date, exp_group, users, ctr from analytics.agg_experiment_daily "
        "where date between {since:Date} and {day:Date} order by date, exp_group",
        "select toDate(time) as date, exp_group, uniqExact(user_id), countIf(action = 'like') / "
        "countIf(action = 'view') from product.feed_actions where date between {since:Date} and {day:Date} "
        "group by date, exp_group order by date, exp_group"),
    "experiment_per_user_ctr_30d": (
        "select exp_group, count(), avg(ctr), welchTTest(ctr, toUInt8(exp_group = 2)) from "
        "(select exp_group, user_id, likes / views as ctr from analytics.agg_experiment_users_30d "
        "where end_date = {day:Date} and exp_group in (1, 2) and views > 0) "
        "group by grouping sets ((exp_group), ())",
        "select exp_group, count(), avg(ctr), welchTTest(ctr, toUInt8(exp_group = 2)) from "
        "(select exp_group, user_id, countIf(action = 'like') / countIf(action = 'view') as ctr "
        "from product.feed_actions where toDate(time) between {since:Date} and {day:Date} and exp_group in (1, 2) "
        "group by exp_group, user_id having countIf(action = 'view') > 0) group by grouping sets ((exp_group), ())"),
}


def timed(client, sql: str, parameters: dict, rounds: int) -> list[float]:
    client.query(sql, parameters=parameters)  # warm-up: first read of the parts
    seconds = []
    for _ in range(rounds):
        begin = time.perf_counter()
        client.query(sql, parameters=parameters)
        seconds.append(time.perf_counter() - begin)
    return seconds


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, **kwargs)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-2000:]}")
    return done


def generate(url: str, *args: str) -> None:
    run([os.path.join(BIN, "feedstar"), "generate", "--url", url, "--no-progress", *args])


def dbt_run(port: int, work: str, window: str, select: str) -> tuple[float, float]:
    """(wall seconds, seconds the marts' own SQL took) of one `dbt run`."""
    env = dict(os.environ, DBT_PROFILES_DIR=ROOT, DBT_SEND_ANONYMOUS_USAGE_STATS="false",
               FEEDSTAR_CH_PORT=str(port), FEEDSTAR_TARGET="local")
    begin = time.perf_counter()
    run([os.path.join(BIN, "dbt"), "run", "--select", select, "--vars", window, "--target-path",
         os.path.join(work, "target"), "--log-path", os.path.join(work, "logs")], env=env)
    wall = time.perf_counter() - begin
    with open(os.path.join(work, "target", "run_results.json")) as handle:
        results = json.load(handle)["results"]
    marts_sql = sum(r["execution_time"] for r in results
                    if r["unique_id"].split(".")[-1].startswith(("agg_", "int_user_daily_activity")))
    return wall, marts_sql


def window(start: dt.date, end: dt.date) -> str:
    return f"{{start_date: {start.isoformat()}, end_date: {end.isoformat()}}}"


def with_endpoint(body):
    work = tempfile.mkdtemp(prefix="bench-marts-")
    process, url = start_endpoint(os.path.join(work, "data"))
    try:
        return body(work, url, int(url.rsplit(":", 1)[1]))
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:  # still busy with a query: it owns a throwaway dir
            process.kill()
            process.wait()
        shutil.rmtree(work, ignore_errors=True)


def bench_reads(args) -> None:
    if args.url:  # marts already built there (e.g. by `make demo`): time the reads only
        client = get_client(args.url)
        last = client.query("select max(date) from analytics.agg_active_users").result_rows[0][0]
        print(f"data set: the warehouse at {args.url} (last day {last})")
        time_queries(args.url, last, args.rounds)
        return

    def body(work, url, port):
        start = dt.date(2025, 3, 1)
        last = start + dt.timedelta(days=args.days - 1)
        generate(url, "--start", start.isoformat(), "--days", str(args.days), "--scale", str(args.scale))
        wall, _ = dbt_run(port, work, window(start, last), f"+{MARTS}")
        print(f"data set: {args.days} days at scale {args.scale:g}; warehouse built in {wall:.1f} s")
        time_queries(url, last, args.rounds)
    with_endpoint(body)


def time_queries(url: str, last: dt.date, rounds: int) -> None:
    time_listed_queries(get_client(url), last, rounds)
    # as the dashboard's own client: unqualified mart names, no session (dashboard/db.py)
    time_panel_queries(get_client(url, database="analytics", autogenerate_session_id=False), last, rounds)


def time_panel_queries(client, last: dt.date, rounds: int) -> None:
    """Every panel query of `feedstar dashboard`, built by its own module with the page's default
    filters (the last 30 days; exp_groups 1 vs 2), run one at a time as the dashboard's client runs it."""
    from feedstar.dashboard.filters import Filters
    from feedstar.dashboard.queries import PANELS

    filters = Filters(date_from=last - dt.timedelta(days=29), date_to=last, group_a=1, group_b=2,
                      last_loaded_date=last)
    print(f"\n{'dashboard panel (default filters)':40} {'median':>9} {'p95':>9}")
    for name, module in PANELS.items():
        query = module.build(filters)
        seconds = timed(client, query.sql, query.parameters, rounds)
        ok = statistics.median(seconds) <= 0.050 and p95(seconds) <= 0.150
        print(f"{name:40} {statistics.median(seconds) * 1000:6.1f} ms {p95(seconds) * 1000:6.1f} ms"
              f"{'' if ok else '  <- over target'}")


def time_listed_queries(client, last: dt.date, rounds: int) -> None:
    parameters = {"day": last, "since": last - dt.timedelta(days=29)}
    print(f"{'query':32} {'mart median':>12} {'mart p95':>9} {'raw median':>11} {'speed-up':>9}")
    for name, (mart_sql, raw_sql) in QUERIES.items():
        mart = timed(client, mart_sql, parameters, rounds)
        raw = timed(client, raw_sql, parameters, max(3, rounds // 10))
        ok = statistics.median(mart) <= 0.050 and p95(mart) <= 0.150
        print(f"{name:32} {statistics.median(mart) * 1000:9.1f} ms {p95(mart) * 1000:6.1f} ms "
              f"{statistics.median(raw) * 1000:8.1f} ms {statistics.median(raw) / statistics.median(mart):8.1f}x"
              f"{'' if ok else '  <- over target'}")


def bench_one_day(args) -> None:
    def body(work, url, port):
        start = dt.date(2025, 1, 1)

        def day(n):  # day n of the data set, from 1
            return start + dt.timedelta(days=n - 1)

        generate(url, "--start", start.isoformat(), "--days", "121", "--scale", str(args.build_scale))
        figures = {}
        for history, first_load in ((30, window(day(1), day(30))), (120, window(day(31), day(120)))):
            dbt_run(port, work, first_load, f"+{MARTS}")
            new_day = day(history + 1)
            dbt_run(port, work, window(new_day, new_day), f"+{MARTS}")  # the stars get the day too
            rounds = [dbt_run(port, work, window(new_day, new_day), MARTS) for _ in range(3)]
            figures[history] = (statistics.median(r[0] for r in rounds), statistics.median(r[1] for r in rounds))
            print(f"one new day after {history:3} days of history: dbt wall {figures[history][0]:.2f} s, "
                  f"marts SQL {figures[history][1]:.2f} s (medians of 3)")
        print(f"ratio 120 / 30 days: wall {figures[120][0] / figures[30][0]:.2f}, "
              f"marts SQL {figures[120][1] / figures[30][1]:.2f} (target <= 1.3)")
    with_endpoint(body)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--build-scale", type=float, default=0.1)
    parser.add_argument("--skip-reads", action="store_true")
    parser.add_argument("--skip-build", action="store_true")
    parser.add_argument("--url", help="time the reads on this endpoint's already built marts (no generate/build)")
    args = parser.parse_args(argv)
    if not args.skip_reads:
        bench_reads(args)
    if not args.skip_build:
        bench_one_day(args)


if __name__ == "__main__":
    main()
