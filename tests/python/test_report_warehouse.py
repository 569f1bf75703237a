"""`feedstar report` on a generated data set built by dbt: its numbers against plain Python over
the raw events (no model, no SQL aggregation) and against the dashboard's panels; the files
and PNGs it writes; and delivery through apprise to a real webhook on loopback, once per date.

Data: 12 days from Mon 2025-03-03 at scale 0.01; the report day D = 03-14 has a day before,
a same weekday a week before, and day-1 / day-7 cohorts.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import defaultdict

import pytest
from dashboard_support import readonly_url
from marts_support import MART_MODELS, RawEvents, dbt, generate, window_vars
from test_report_tiny import assert_report_matches_dashboard, metrics
from webhook import Webhook

from feedstar import chclient
from feedstar.report.data import NOT_LOADED, read_report_data

pytestmark = pytest.mark.slow

START, DAYS = dt.date(2025, 3, 3), 12
D = START + dt.timedelta(days=DAYS - 1)
FEEDSTAR = os.path.join(os.path.dirname(sys.executable), "feedstar")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def warehouse(endpoint, tmp_path_factory):
    generate(endpoint, "--start", START.isoformat(), "--days", str(DAYS), "--scale", "0.01", "--seed", "3")
    dbt(endpoint, tmp_path_factory.mktemp("dbt"), "run", "--select", f"+{MART_MODELS}", "dim_slice_labels", "--vars", window_vars(START, D))
    admin = endpoint.client()
    client = chclient.get_client(chclient.connection(readonly_url(endpoint), readonly=True), use_database=True)
    yield {"admin": admin, "client": client, "raw": RawEvents(admin)}
    client.close()


class Oracle:
    """Per-day numbers from the raw rows, by the definitions of docs/marts.md."""

    def __init__(self, admin):
        self.views, self.likes = defaultdict(int), defaultdict(int)
        self.post = defaultdict(lambda: [0, 0])          # (day, post) -> [views, likes]
        self.sent, self.receivers = defaultdict(int), defaultdict(set)
        latest = {}                                      # (day, user) -> (time, os) of their latest event
        for user, post, action, time, _g, _a, os_value, *_ in admin.query("select * from product.feed_actions").result_rows:
            if not (user and post and action in ("view", "like")):
                continue
            day = time.date()
            index = 0 if action == "view" else 1
            (self.views if index == 0 else self.likes)[day] += 1
            self.post[(day, post)][index] += 1
            self.feed_user_day = getattr(self, "feed_user_day", defaultdict(lambda: [0, 0]))
            self.feed_user_day[(day, user)][index] += 1
            latest[(day, user)] = max(latest.get((day, user), (time, os_value)), (time, os_value))
        for user, receiver, time, _g, _a, os_value, *_ in admin.query("select * from product.message_actions").result_rows:
            if not (user and receiver):
                continue
            day = time.date()
            self.sent[day] += 1
            self.receivers[day].add(receiver)
            latest[(day, user)] = max(latest.get((day, user), (time, os_value)), (time, os_value))
        self.os_of = {key: os_value for key, (_, os_value) in latest.items()}

    def ctr_by_os(self, day):
        views, likes = defaultdict(int), defaultdict(int)
        for (d, user), (v, l) in self.feed_user_day.items():
            if d == day:
                views[self.os_of[(d, user)]] += v
                likes[self.os_of[(d, user)]] += l
        return {os_value: likes[os_value] / views[os_value] for os_value in views if views[os_value]}

    def top_posts(self, day, n=5):
        posts = [(post, v, l) for (d, post), (v, l) in self.post.items() if d == day and v]
        return sorted(posts, key=lambda p: (-p[1], -p[2], p[0]))[:n]


def test_headline_equals_raw_events(warehouse):
    raw, oracle = warehouse["raw"], Oracle(warehouse["admin"])
    data = read_report_data(warehouse["client"])
    assert data.date == D
    for service in ("app", "feed", "messenger"):
        got = metrics(data, service)
        for day, attribute in ((D, "today"), (D - dt.timedelta(days=1), "day_before"),
                               (D - dt.timedelta(days=7), "week_before")):
            dau, wau, mau = (raw.active_users(service, day, n) for n in (1, 7, 30))
            assert (getattr(got["dau"], attribute), getattr(got["wau"], attribute), getattr(got["mau"], attribute)) \
                == (dau, wau, mau), (service, day)
            assert getattr(got["stickiness"], attribute) == pytest.approx(dau / mau)
        for n in (1, 7):
            size, retained, _ = raw.retention(service, D - dt.timedelta(days=n), 1, n)
            point = data.retention[service][n]
            assert (point.cohort_size, point.retained) == (size, retained), (service, n)
            assert got[f"retention_d{n}"].today == pytest.approx(retained / size)
    assert metrics(data, "app")["new_users"].today == raw.new_users("app", D)
    feed = metrics(data, "feed")
    assert (feed["views"].today, feed["likes"].today) == (oracle.views[D], oracle.likes[D])
    assert feed["ctr"].today == pytest.approx(oracle.likes[D] / oracle.views[D])
    messenger = metrics(data, "messenger")
    assert (messenger["messages_sent"].today, messenger["receivers"].today) == (oracle.sent[D], len(oracle.receivers[D]))
    assert [(p.post_id, p.views, p.likes) for p in data.top_posts] == oracle.top_posts(D)
    by_os = oracle.ctr_by_os(D)
    assert set(data.series["ctr_by_os"]) == set(by_os) and len(by_os) >= 2
    assert {os_value: values[-1] for os_value, values in data.series["ctr_by_os"].items()} == pytest.approx(by_os)


def test_numbers_equal_the_dashboards_panels(warehouse):
    assert_report_matches_dashboard(warehouse["client"], D)


def test_days_before_the_data_are_not_loaded_not_zero(warehouse):
    data = read_report_data(warehouse["client"], START + dt.timedelta(days=2))
    dau = metrics(data, "app")["dau"]
    assert dau.today > 0 and dau.week_before is NOT_LOADED
    assert data.series["dau"]["app"][:27] == [NOT_LOADED] * 27  # the 30-day window starts before the data


def report(endpoint, *args, env=None):
    return subprocess.run([FEEDSTAR, "report", "--url", readonly_url(endpoint), *args], capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)


def test_out_writes_the_document_and_phone_sized_pngs(endpoint, warehouse, tmp_path):
    from PIL import Image

    done = report(endpoint, "--out", str(tmp_path / "md"))
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "md" / "report.md").read_text()
    dau = metrics(read_report_data(warehouse["client"]), "app")["dau"].today
    assert f"- **DAU** {dau:,} · " in text and "![Daily active users" in text
    for name, height in (("dau.png", 1120), ("ctr_by_os.png", 736), ("messenger.png", 736)):
        path = tmp_path / "md" / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        with Image.open(path) as image:
            image.verify()
        with Image.open(path) as image:
            assert image.size == (1120, height) and image.format == "PNG"
    done = report(endpoint, "--out", str(tmp_path / "html"), "--format", "html", "--date", D.isoformat())
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "html" / "report.html").read_text()
    assert '<img src="dau.png"' in html and f"<strong>{dau:,}</strong>" in html


def test_send_delivers_text_and_images_once_per_date(endpoint, warehouse, tmp_path):
    hook = Webhook(fail_first=1)  # its first answer is a 500
    env = {"FEEDSTAR_NOTIFY_URLS": hook.url, "FEEDSTAR_REPORT_LEDGER": str(tmp_path / "ledger.json")}
    try:
        failed = report(endpoint, "--send", "--out", str(tmp_path / "out"), env=env)
        assert failed.returncode == 1 and "was not delivered to: json://127.0.0.1" in failed.stderr
        assert not (tmp_path / "ledger.json").exists() or D.isoformat() not in (tmp_path / "ledger.json").read_text()
        sent = report(endpoint, "--send", "--out", str(tmp_path / "out"), env=env)
        assert sent.returncode == 0, sent.stderr
        assert [post.status for post in hook.posts] == [500, 200]
        [post] = hook.delivered
        assert post.title == f"feedstar morning report — {D:%a %d %b %Y}"
        assert "## App" in post.message and "- **DAU** " in post.message and "](dau.png)" not in post.message
        assert set(post.attachments) == {"dau.png", "ctr_by_os.png", "messenger.png"}
        for name, content in post.attachments.items():
            assert content == (tmp_path / "out" / name).read_bytes()
        again = report(endpoint, "--send", env=env)
        assert again.returncode == 0 and "already sent" in again.stderr and len(hook.posts) == 2
        forced = report(endpoint, "--send", "--force", env=env)
        assert forced.returncode == 0 and len(hook.delivered) == 2
        ledger = json.loads((tmp_path / "ledger.json").read_text())["deliveries"]
        assert [entry["date"] for entry in ledger] == [D.isoformat()]
    finally:
        hook.close()


def test_send_without_a_target_or_for_a_day_not_loaded_is_refused(endpoint, warehouse, tmp_path):
    done = report(endpoint, "--send", env={"FEEDSTAR_NOTIFY_URLS": "", "FEEDSTAR_NOTIFY_CONFIG": ""})
    assert done.returncode == 1 and "no notification target" in done.stderr
    hook = Webhook()
    try:
        env = {"FEEDSTAR_NOTIFY_URLS": hook.url, "FEEDSTAR_REPORT_LEDGER": str(tmp_path / "ledger.json")}
        later = (D + dt.timedelta(days=1)).isoformat()
        done = report(endpoint, "--send", "--date", later, env=env)
        assert done.returncode == 1 and f"{later} is not loaded" in done.stderr and hook.posts == []
    finally:
        hook.close()
