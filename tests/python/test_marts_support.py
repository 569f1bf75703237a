"""Helpers (no tests here) for the dashboard-mart tests.

- `generate` / `dbt`: build a warehouse on a test's own endpoint, as subprocesses -- the same
  commands a user runs.
- `RawEvents`: an independent oracle -- the marts' metrics in plain Python, straight from the
  raw events (product.feed_actions, product.message_actions), with no dbt model and no SQL
  aggregation involved. Definitions follow docs/marts.md.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections import defaultdict

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)
MART_MODELS = "path:models/marts/dashboards"
MART_TESTS = "path:tests/marts"


def generate(endpoint, *args: str) -> str:
    """`feedstar generate --url <endpoint> ARGS`; returns its output, raises with it on failure."""
    command = [os.path.join(BIN, "feedstar"), "generate", "--url", endpoint.url, "--no-progress", *args]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=600)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def dbt(endpoint, work_dir, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """`dbt ARGS` on the `local` target pointed at `endpoint`, target/log paths under work_dir."""
    env = dict(os.environ, DBT_PROFILES_DIR=REPO_ROOT, DBT_SEND_ANONYMOUS_USAGE_STATS="false",
               FEEDSTAR_CH_PORT=str(endpoint.port), FEEDSTAR_TARGET="local")
    command = [os.path.join(BIN, "dbt"), *args, "--target-path", str(work_dir / "target"),
               "--log-path", str(work_dir / "logs")]
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=900)
    if check:
        assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    return done


def window_vars(start: dt.date, end: dt.date | None = None, lookback_days: int | None = None) -> str:
    parts = [f"start_date: {start.isoformat()}", f"end_date: {(end or start).isoformat()}"]
    if lookback_days is not None:
        parts.append(f"lookback_days: {lookback_days}")
    return "{" + ", ".join(parts) + "}"


def table_rows(client, table: str) -> list[tuple]:
    """Every row of analytics.<table>, sorted, floats rounded to 9 significant digits so two
    builds that add the same numbers in another order compare equal."""
    result = client.query(f"select * from analytics.{table}")  # table names are test constants

    def normal(value):
        return float(f"{value:.9g}") if isinstance(value, float) else value

    return sorted((tuple(normal(v) for v in row) for row in result.result_rows), key=repr)


DAY = dt.timedelta(days=1)
SERVICES = ("app", "feed", "messenger")


class RawEvents:
    """Per-user active days by service, and per (day, exp_group) feed totals, from raw rows."""

    def __init__(self, client):
        self.days = {service: defaultdict(set) for service in SERVICES}
        self.exp_group = {}
        self.feed_day_user = defaultdict(lambda: [0, 0])  # (day, user) -> [views, likes]
        feed = client.query("select user_id, toDate(time), action, exp_group from product.feed_actions")
        for user, day, action, group in feed.result_rows:
            self.days["feed"][user].add(day)
            self.exp_group[user] = group
            self.feed_day_user[(day, user)][0 if action == "view" else 1] += 1
        sent = client.query("select user_id, toDate(time) from product.message_actions")
        for user, day in sent.result_rows:  # only the sender is active; receiving is not activity
            self.days["messenger"][user].add(day)
        for service in ("feed", "messenger"):
            for user, days in self.days[service].items():
                self.days["app"][user] |= days
        self.first = {service: {user: min(days) for user, days in self.days[service].items()}
                      for service in SERVICES}
        all_days = set().union(*self.days["app"].values())
        self.first_date, self.last_date = min(all_days), max(all_days)

    def dates(self):
        day = self.first_date
        while day <= self.last_date:
            yield day
            day += DAY

    def active_users(self, service, day, window_days, group=None):
        """Distinct users active in [day - window_days + 1, day] (optionally in one exp_group)."""
        low = day - (window_days - 1) * DAY
        return sum(1 for user, days in self.days[service].items()
                   if (group is None or self.exp_group.get(user) == group)
                   and any(low <= d <= day for d in days))

    def new_users(self, service, day):
        return sum(1 for first in self.first[service].values() if first == day)

    def retention(self, service, cohort_start, cohort_days, day_number):
        """(cohort size, classic retained, rolling retained) for users whose first day is in
        [cohort_start, cohort_start + cohort_days - 1], on day N of their own lifetime."""
        members = [user for user, first in self.first[service].items()
                   if cohort_start <= first < cohort_start + cohort_days * DAY]
        classic = rolling = 0
        for user in members:
            first, days = self.first[service][user], self.days[service][user]
            classic += first + day_number * DAY in days
            rolling += any(first + day_number * DAY <= d <= first + 30 * DAY for d in days)
        return len(members), classic, rolling

    def lifecycle(self, service, period):
        """{period_start: (active, new, returning, resurrecting, dormant)}, PostHog's rules."""
        def start_of(day):
            return day - dt.timedelta(days=day.weekday()) if period == "week" else day

        step = dt.timedelta(days=7 if period == "week" else 1)
        statuses = defaultdict(lambda: [0, 0, 0, 0, 0])
        for user, days in self.days[service].items():
            periods = {start_of(d) for d in days}
            first = start_of(self.first[service][user])
            for p in periods:
                row = statuses[p]
                row[0] += 1
                if p == first:
                    row[1] += 1
                elif p - step in periods:
                    row[2] += 1
                else:
                    row[3] += 1
                if p + step not in periods and p + step <= self.last_date:
                    statuses[p + step][4] += 1
        return {p: tuple(row) for p, row in statuses.items()}

    def feed_by_group(self, day=None):
        """{exp_group: (users, views, likes)} on one day, or over all days (distinct users)."""
        users, views, likes = defaultdict(set), defaultdict(int), defaultdict(int)
        for (d, user), (user_views, user_likes) in self.feed_day_user.items():
            if day is None or d == day:
                group = self.exp_group[user]
                users[group].add(user)
                views[group] += user_views
                likes[group] += user_likes
        return {group: (len(users[group]), views[group], likes[group]) for group in users}
