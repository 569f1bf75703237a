"""Helpers for the dashboard-mart tests.

- `generate` / `dbt`: build a warehouse on a test's own endpoint, as subprocesses -- the same
  commands a user runs.
- `RawEvents`: an independent oracle -- the marts' metrics in plain Python, straight from the
  raw events (product.feed_actions, product.message_actions), with no dbt model and no SQL
  aggregation involved. Definitions follow docs/marts.md.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import subprocess
import sys
from collections import defaultdict

from dbt_profile import dbt_profiles_dir

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
    env = dict(os.environ, DBT_PROFILES_DIR=dbt_profiles_dir(), DBT_SEND_ANONYMOUS_USAGE_STATS="false",
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
        # The staging rules (models/staging/staging.yml): an event without a user, post or
        # receiver, or with an unknown action, is dropped; exact duplicates are kept (the
        # source has no event id to tell a repeat from a double tap).
        feed = client.query("select * from product.feed_actions").result_rows
        for user, post, action, time, *_, group in feed:
            if user and post and action in ("view", "like"):
                day = time.date()
                self.days["feed"][user].add(day)
                self.exp_group[user] = group
                self.feed_day_user[(day, user)][0 if action == "view" else 1] += 1
        sent = client.query("select * from product.message_actions").result_rows
        for user, receiver, time, *_, group in sent:  # only the sender is active, never the receiver
            if user and receiver:
                self.days["messenger"][user].add(time.date())
                self.exp_group[user] = group
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


def welch_t_test(a: list[float], b: list[float]) -> tuple[float, float]:
    """(t, two-sided p) of Welch's t-test, t = (mean a - mean b) / se, in plain Python: the
    p-value is the Student t tail, I_x(df/2, 1/2) with x = df / (df + t^2)."""
    def mean_var(xs):
        mean = sum(xs) / len(xs)
        return mean, sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)

    (mean_a, var_a), (mean_b, var_b) = mean_var(a), mean_var(b)
    se_a, se_b = var_a / len(a), var_b / len(b)
    t = (mean_a - mean_b) / math.sqrt(se_a + se_b)
    df = (se_a + se_b) ** 2 / (se_a ** 2 / (len(a) - 1) + se_b ** 2 / (len(b) - 1))
    return t, regularized_incomplete_beta(df / (df + t * t), df / 2, 0.5)


def regularized_incomplete_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b) by its continued fraction (modified Lentz; Numerical Recipes' betacf)."""
    if x <= 0 or x >= 1:
        return 0.0 if x <= 0 else 1.0
    if x > (a + 1) / (a + b + 2):  # the fraction converges fast only below this point
        return 1 - regularized_incomplete_beta(1 - x, b, a)
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)) / a
    tiny, c, d = 1e-300, 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 500):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return front * result


def mann_whitney_u(a: list[float], b: list[float]) -> float:
    """U of sample a (ties share their mean rank): rank sum of a minus n_a (n_a + 1) / 2."""
    ranked = sorted([(value, 0) for value in a] + [(value, 1) for value in b])
    rank_sum_a, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        mean_rank = (i + 1 + j) / 2
        rank_sum_a += mean_rank * sum(1 for k in range(i, j) if ranked[k][1] == 0)
        i = j
    return rank_sum_a - len(a) * (len(a) + 1) / 2
