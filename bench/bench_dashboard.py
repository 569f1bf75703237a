"""Benchmark: the dashboard pages -- time to first full render in a real browser, p95 of their API calls.

    python -m bench.bench_dashboard [--days 60] [--scale 1] [--rounds 7] [--url http://127.0.0.1:8123]

Without --url it starts its own embedded endpoint on a throwaway directory, generates the
default data set (`feedstar generate`'s default: 60 days at scale 1, ~20k feed DAU) and
builds the marts with `dbt run`; with --url it reads the marts already there (e.g. the
endpoint `make demo` started).  Then it starts `feedstar dashboard` and headless Debian
chromium (Playwright) and loads every page --rounds times:

- cold: a fresh browser context each time (empty HTTP cache: Chart.js is fetched and
  compiled again); warm: a second load in the same context (what a user clicking between
  pages sees).
- render = `performance.now()` when the page marks itself fully rendered (every card
  drawn), measured by the browser from navigation start.
- API = the browser's resource timing of every /api/panels/... request behind the page.

Medians and p95 over the rounds, all measured in this one run.  Target: each
page <= 1 s on the default data set.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "python"))

from dashboard_support import Visit, chromium, start_dashboard  # noqa: E402

from bench.bench_generate import start_endpoint  # noqa: E402
from feedstar.dashboard.pages import PAGES  # noqa: E402

TARGET_SECONDS = 1.0


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def build_warehouse(url: str, days: int, scale: float, work: str) -> None:
    port = url.rsplit(":", 1)[1]
    print(f"generating {days} days at scale {scale} ...", flush=True)
    subprocess.run([sys.executable, "-m", "feedstar.cli", "generate", "--url", url, "--days", str(days),
                    "--scale", str(scale), "--no-progress"], check=True)
    env = {**os.environ, "FEEDSTAR_CH_PORT": port, "DBT_PROFILES_DIR": ROOT, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    print("building the marts (dbt run) ...", flush=True)
    subprocess.run([os.path.join(os.path.dirname(sys.executable), "dbt"), "run", "--target-path",
                    os.path.join(work, "target"), "--log-path", os.path.join(work, "logs")],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def page_path(page) -> str:
    return page.path + ("?group_a=0&group_b=1" if page.slug == "experiments" else "")


def measure(browser, base_url: str, path: str) -> tuple[float, list[float], list[str]]:
    """(render ms, API call ms, console errors) of one load of `path` in the visit's own tab."""
    visit = Visit(browser, base_url + path)
    try:
        render = visit.page.evaluate("window.feedstarRenderedMs")
        api = visit.page.evaluate(
            "performance.getEntriesByType('resource').filter(e => e.name.includes('/api/')).map(e => e.duration)")
        return render, api, visit.console_errors
    finally:
        visit.close()


# The same page shell (HTML, CSS, Chart.js and its plugins) with no panel to fetch or draw: a
# bad filter makes the page a message.  page / baseline separates our queries and drawing from
# the browser's and the machine's own cost of loading the page and its chart library.
BASELINE = ("baseline", "/feed?date_from=bad")


def run_pages(base_url: str, rounds: int) -> dict:
    targets = [(page.slug, page_path(page)) for page in PAGES] + [BASELINE]
    figures = {slug: {"cold": [], "warm": [], "api": []} for slug, _ in targets}
    with chromium() as browser:
        for _ in range(rounds):
            # pages in turn within a round, so that background load hits every page alike
            for slug, path in targets:
                context = browser.new_context()
                try:
                    for kind in ("cold", "warm"):
                        render, api, errors = measure(context, base_url, path)
                        if errors and slug != "baseline":  # (the baseline's own 400 is logged)
                            raise SystemExit(f"bench: console errors on {path}: {errors}")
                        figures[slug][kind].append(render)
                        figures[slug]["api"].extend(api)
                finally:
                    context.close()
    return figures


def report(figures: dict) -> bool:
    print(f"\n{'page':12} {'cold render ms':>22} {'warm render ms':>22} {'API calls ms':>24} {'cold/baseline':>14}")
    print(f"{'':12} {'median':>10} {'p95':>11} {'median':>10} {'p95':>11} {'n':>4} {'median':>9} {'p95':>9}")
    ok = True
    baseline = statistics.median(figures["baseline"]["cold"])
    for slug, values in figures.items():
        cold, warm, api = values["cold"], values["warm"], values["api"]
        api_figures = f"{len(api):4} {statistics.median(api):9.0f} {p95(api):9.0f}" if api else f"{0:4} {'-':>9} {'-':>9}"
        print(f"{slug:12} {statistics.median(cold):10.0f} {p95(cold):11.0f} {statistics.median(warm):10.0f} "
              f"{p95(warm):11.0f} {api_figures} {statistics.median(cold) / baseline:14.2f}")
        if slug != "baseline":
            ok &= statistics.median(cold) <= TARGET_SECONDS * 1000
    print(f"\ntarget: every page's median cold render <= {TARGET_SECONDS * 1000:.0f} ms: {'met' if ok else 'NOT met'}")
    return ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--url", help="ClickHouse HTTP URL whose `analytics` marts are already built")
    arguments = parser.parse_args(argv)
    work = tempfile.mkdtemp(prefix="bench-dashboard-")
    endpoint = None
    try:
        url = arguments.url
        if url is None:
            endpoint, url = start_endpoint(os.path.join(work, "data"))
            build_warehouse(url, arguments.days, arguments.scale, work)
        host_port = url.split("://", 1)[1]
        dashboard = start_dashboard(f"http://dashboard@{host_port}/analytics", work)
        load_before = f"{os.getloadavg()[0]:.1f}"
        try:
            figures = run_pages(dashboard.url, arguments.rounds)
        finally:
            dashboard.stop()
        data = f"--url {url}" if arguments.url else f"{arguments.days} days at scale {arguments.scale}"
        print(f"\n{arguments.rounds} rounds; data: {data}; load average before/after: "
              f"{load_before} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        report(figures)
        return 0
    finally:
        if endpoint is not None:
            endpoint.terminate()
            endpoint.wait(60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
