"""Benchmark: how well the intraday alert rules catch injected outages, over several seeds.

    python -m bench.bench_alerts [--seeds 1 2 3] [--scale 0.5] [--timing-scale 1.0] [--no-timing]

Per seed: its own endpoint, 5 weeks of history then one evaluated week (Monday..Sunday)
with incidents of different kinds and sizes (INCIDENTS; the Sunday has none), generated
with `feedstar generate --incident`, and `dbt build --select tag:intraday` over it all.  A
slot's alerts are the rows of intraday_alert_bands with status 'outside': exactly what
`feedstar alerts` sends for that slot (one message per rule and slice).

* recall          incidents above the rules' sensitivity (a loss of 40% or more of the
                  affected slice) alerted, on a rule of an affected metric and slice, in
                  their first slot or the next
* delay           minutes from the incident's start to the start of its first alerted slot
* false alerts    alerts outside every incident (its window and 30 minutes after), per day
                  of the evaluated week, and on the incident-free Sunday
* small incidents the 15% loss (below the rules' min_change): reported, not counted in recall

Measured (2 cores shared with other work, scale 0.5, seeds 1-3; the rules were tuned on
seed 1's history, seeds 2 and 3 were not looked at): recall 15/15 (100%), every incident
alerted in its first slot (delay 0 min), false alerts 0.14, 0.14, 0.29 per day (never more
than 1 in a day; 0-1 on the incident-free Sunday); the 15% incident is never alerted
(below min_change, by design).  One day at scale 1: 32-36 s (dbt start-up included).

--timing: the intraday build of one day at --timing-scale (8 days generated, first build,
then the incremental `dbt build --select tag:intraday` of the last day, as the DAG runs it).
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
BIN = os.path.dirname(sys.executable)
HISTORY_START = dt.date(2025, 1, 6)  # a Monday
WEEK = HISTORY_START + dt.timedelta(days=35)

# (day of the evaluated week, start, duration in minutes, metric=factor[,slice], affected metrics, affected slices, above sensitivity)
INCIDENTS = [
    (0, "11:00", 45, "feed_views=0.3", {"feed_views", "feed_users", "active_users"}, {"all"}, True),
    (1, "15:00", 30, "likes=0.3", {"likes", "ctr"}, {"all"}, True),
    (2, "19:00", 60, "messages=0.3", {"messages", "senders"}, {"all"}, True),
    (3, "12:00", 30, "messages=0,os=iOS", {"messages", "senders"}, {"all", "os=iOS"}, True),
    (4, "10:00", 30, "feed_views=0.85", {"feed_views", "feed_users", "active_users"}, {"all"}, False),
    (5, "16:00", 45, "feed_views=0.5,source=ads", {"feed_views", "feed_users", "active_users"}, {"all", "source=ads"}, True),
]


def start_endpoint(workdir: str):
    sys.path.insert(0, os.path.join(REPO, "tests", "python"))
    from endpoint import start_endpoint as start

    return start(os.path.join(workdir, "data"))


def profiles_dir() -> str:
    sys.path.insert(0, os.path.join(REPO, "tests", "python"))
    from dbt_profile import dbt_profiles_dir

    return dbt_profiles_dir()


def run(cmd: list[str], port: int, workdir: str) -> float:
    env = dict(os.environ, FEEDSTAR_CH_PORT=str(port), DBT_PROFILES_DIR=profiles_dir(),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    if cmd[0] == "dbt":
        cmd = [os.path.join(BIN, "dbt"), *cmd[1:], "--project-dir", REPO, "--target-path",
               os.path.join(workdir, "target"), "--log-path", os.path.join(workdir, "logs")]
    else:
        cmd = [os.path.join(BIN, cmd[0]), *cmd[1:]]
    started = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}")
    return time.perf_counter() - started


def incident_specs() -> list[str]:
    return [f"{WEEK + dt.timedelta(days=day)}T{start}/{minutes}m:{what}" for day, start, minutes, what, *_ in INCIDENTS]


def evaluate(client) -> dict:
    rows = client.query(
        "select slot_start, rule_id, metric, slice from analytics.intraday_alert_bands"
        " where status = 'outside' and date between {first:Date} and {last:Date}",
        parameters={"first": WEEK, "last": WEEK + dt.timedelta(days=6)}).result_rows
    windows, detected, delays, small = [], 0, [], []
    for day, start, minutes, what, metrics, slices, above in INCIDENTS:
        begin = dt.datetime.combine(WEEK + dt.timedelta(days=day), dt.time.fromisoformat(start))
        end = begin + dt.timedelta(minutes=minutes)
        windows.append((begin, end + dt.timedelta(minutes=30)))
        hits = sorted(t for t, _, metric, slice_ in rows if metric in metrics and slice_ in slices and begin <= t < end + dt.timedelta(minutes=15))
        delay = (hits[0] - begin).total_seconds() / 60 if hits else None
        if above:
            detected += delay is not None and delay <= 15
            if delay is not None:
                delays.append(delay)
        else:
            small.append(delay)
    false = [(t, rule, slice_) for t, rule, _, slice_ in rows if not any(b <= t < e for b, e in windows)]
    per_day = {}
    for t, _, _ in false:
        per_day[t.date()] = per_day.get(t.date(), 0) + 1
    sunday = WEEK + dt.timedelta(days=6)
    above_count = sum(1 for *_, above in INCIDENTS if above)
    return {"recall": detected / above_count, "detected": detected, "incidents": above_count,
            "delays": delays, "false_per_day": len(false) / 7, "false_max_day": max(per_day.values(), default=0),
            "false_sunday": per_day.get(sunday, 0), "small_incident_delay": small,
            "false_examples": [f"{t:%a %H:%M} {rule} {s}" for t, rule, s in false[:8]]}


def one_seed(seed: int, scale: float) -> dict:
    workdir = tempfile.mkdtemp(prefix="bench-alerts-")
    endpoint = start_endpoint(workdir)
    try:
        generate = ["feedstar", "generate", "--start", str(HISTORY_START), "--days", "42", "--scale", str(scale),
                    "--seed", str(seed), "--no-progress"]
        for spec in incident_specs():
            generate += ["--incident", spec]
        seconds_generate = run(generate, endpoint.port, workdir)
        vars_ = json.dumps({"intraday_day": str(WEEK + dt.timedelta(days=6)), "intraday_history_days": 42})
        seconds_build = run(["dbt", "build", "--select", "tag:intraday", "--exclude-resource-type", "unit_test",
                             "--vars", vars_], endpoint.port, workdir)
        result = evaluate(endpoint.client())
        result.update(seed=seed, generate_s=seconds_generate, build_s=seconds_build)
        return result
    finally:
        endpoint.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def timing(scale: float) -> dict:
    """Seconds of the incremental intraday build of one day (as the DAG runs it)."""
    workdir = tempfile.mkdtemp(prefix="bench-alerts-timing-")
    endpoint = start_endpoint(workdir)
    try:
        run(["feedstar", "generate", "--start", "2025-03-03", "--days", "8", "--scale", str(scale), "--no-progress"],
            endpoint.port, workdir)
        last = json.dumps({"intraday_day": "2025-03-10"})
        first = run(["dbt", "build", "--select", "tag:intraday", "--exclude-resource-type", "unit_test", "--vars", last],
                    endpoint.port, workdir)
        times = [run(["dbt", "build", "--select", "tag:intraday", "--exclude-resource-type", "unit_test",
                      "--vars", last], endpoint.port, workdir) for _ in range(2)]
        events = endpoint.client().command(
            "select count() from product.feed_actions where toDate(time) >= '2025-03-09'")
        return {"scale": scale, "first_build_8_days_s": first, "one_day_runs_s": times, "feed_events_read": events}
    finally:
        endpoint.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--timing-scale", type=float, default=1.0)
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args(argv)
    if not args.no_timing:
        t = timing(args.timing_scale)
        print(f"intraday build, one day at scale {t['scale']:g} (dbt build --select tag:intraday, incremental, "
              f"{t['feed_events_read']:,} feed events in its 2-day window): "
              + ", ".join(f"{s:.1f}s" for s in t["one_day_runs_s"]) + f"; first build of 8 days {t['first_build_8_days_s']:.1f}s",
              flush=True)
    results = []
    for seed in args.seeds:
        r = one_seed(seed, args.scale)
        results.append(r)
        print(f"seed {seed} (scale {args.scale:g}): recall {r['detected']}/{r['incidents']}, delays (min) {r['delays']}, "
              f"false alerts {r['false_per_day']:.2f}/day (max {r['false_max_day']} in a day, {r['false_sunday']} on the "
              f"incident-free Sunday), 15% incident delay {r['small_incident_delay']}; generate {r['generate_s']:.0f}s, "
              f"build {r['build_s']:.0f}s; false: {r['false_examples']}", flush=True)
    delays = [d for r in results for d in r["delays"]]
    print(f"\nover {len(results)} seeds: recall {sum(r['detected'] for r in results)}/{sum(r['incidents'] for r in results)}"
          f" = {sum(r['recall'] for r in results) / len(results):.0%}, false alerts {sum(r['false_per_day'] for r in results) / len(results):.2f}/day"
          f" (worst day {max(r['false_max_day'] for r in results)}), detection delay mean "
          f"{sum(delays) / max(len(delays), 1):.1f} min, max {max(delays, default=float('nan')):.0f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
