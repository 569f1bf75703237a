"""`feedstar alerts` end to end: generated data with an injected feed outage, the intraday
models built by dbt (their unit tests run here too), and apprise delivering to a real HTTP
receiver on loopback (`json://`).

Independent oracle for the band: the feed views of the outage slot and of the same slot on
the 4 previous Mondays are counted from the raw events and the IQR band computed with
numpy; the alert must carry that value and band.  Each anomaly arrives once with its PNG;
a re-run sends nothing; an unreachable target keeps the alert and a later run delivers it
exactly once; a slot without data is a 'no data' alert.
"""

import base64
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from endpoint import free_port
from star_support import run_dbt

FEEDSTAR = os.path.join(os.path.dirname(sys.executable), "feedstar")
DAY = "2025-04-07"  # a Monday; the data starts 5 weeks earlier
OUTAGE = f"{DAY}T14:00/30m:feed_views=0.1"


class Receiver:
    """A webhook on loopback that records every JSON body posted to it."""

    def __init__(self, port: int):
        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def alerts(endpoint, *args, urls=""):
    env = dict(os.environ, FEEDSTAR_CH_PORT=str(endpoint.port), FEEDSTAR_NOTIFY_URLS=urls)
    env.pop("FEEDSTAR_NOTIFY_CONFIG", None)
    return subprocess.run([FEEDSTAR, "alerts", *args], env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def warehouse(endpoint, tmp_path_factory):
    env = dict(os.environ, FEEDSTAR_CH_PORT=str(endpoint.port))
    generated = subprocess.run(
        [FEEDSTAR, "generate", "--start", "2025-03-03", "--days", "35", "--scale", "0.2", "--seed", "4",
         "--until", f"{DAY}T15:00", "--incident", OUTAGE, "--no-progress"],
        env=env, capture_output=True, text=True, timeout=600)
    assert generated.returncode == 0, generated.stderr
    run_dbt(endpoint, str(tmp_path_factory.mktemp("dbt")), "build", "--select", "tag:intraday")
    return endpoint.client()


@pytest.fixture
def receiver():
    server = Receiver(free_port())
    yield server
    server.close()


def oracle_feed_views_band(client):
    """Feed views at 14:00-14:15 of DAY and of the 4 previous Mondays, straight from the events,
    each Monday's value scaled by the views of 12:00-14:00 that day vs DAY (the rule's level)."""
    rows = client.query(
        "select toDate(time) d, countIf(toHour(time) = 14), countIf(toHour(time) in (12, 13))"
        " from product.feed_actions where action = 'view' and (toHour(time) in (12, 13) or"
        " (toHour(time) = 14 and toMinute(time) < 15)) and toDayOfWeek(time) = 1 group by d order by d").result_rows
    (_, value, level), history = rows[-1], rows[-5:-1]
    assert str(rows[-1][0]) == DAY and len(history) == 4
    q1, q3 = np.percentile([v * level / lv for _, v, lv in history], [25, 75])
    return value, q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)


def oracle_slot_metrics(client, day):
    """Every metric of every (slot, slice) of `day` from the raw events, counted in Python:
    {(slot, slice_kind, slice_value): (active, feed users, views, likes, messages, senders)},
    slots from 0 to the newest with an event, zeros where a slice seen that day has none."""
    feed = client.query("select user_id, action, toHour(time) * 4 + intDiv(toMinute(time), 15), os, source "
                        "from product.feed_actions where toDate(time) = {d:Date} and user_id != 0 and post_id != 0 "
                        "and action in ('view', 'like')", parameters={"d": day}).result_rows
    messages = client.query("select user_id, 'message', toHour(time) * 4 + intDiv(toMinute(time), 15), os, source "
                            "from product.message_actions where toDate(time) = {d:Date} and user_id != 0 "
                            "and receiver_id != 0", parameters={"d": day}).result_rows
    events = feed + messages
    slices = {("all", "all")} | {("os", e[3]) for e in events} | {("source", e[4]) for e in events}
    newest = max(e[2] for e in events)
    metrics = {}
    for slot in range(newest + 1):
        for kind, value in slices:
            chosen = [e for e in events if e[2] == slot and (kind == "all" or e[3 if kind == "os" else 4] == value)]
            metrics[(slot, kind, value)] = (
                len({e[0] for e in chosen}),
                len({e[0] for e in chosen if e[1] != "message"}),
                sum(e[1] == "view" for e in chosen),
                sum(e[1] == "like" for e in chosen),
                sum(e[1] == "message" for e in chosen),
                len({e[0] for e in chosen if e[1] == "message"}),
            )
    return metrics


def test_slot_metrics_equal_a_count_of_the_raw_events(warehouse):
    # the outage day up to 15:00: users counted once per slot and slice whatever their events
    rows = warehouse.query(
        "select slot, slice_kind, slice_value, active_users, feed_users, feed_views, likes, messages, senders "
        "from analytics.intraday_slot_metrics where date = {d:Date}", parameters={"d": DAY}).result_rows
    measured = {(slot, kind, value): tuple(numbers) for slot, kind, value, *numbers in rows}
    expected = oracle_slot_metrics(warehouse, DAY)
    assert len(expected) == 60 * 5  # 00:00..14:45, slices all, os x2, source x2
    assert measured == expected


def test_dry_run_prints_the_anomalies_and_records_nothing(endpoint, warehouse):
    result = alerts(endpoint, "--at", f"{DAY}T14:20", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "[warning] feed_views (all) below its band at 2025-04-07 14:00" in result.stdout
    assert "dry run, nothing sent or recorded" in result.stdout
    assert warehouse.command("select count() from system.tables where name = 'intraday_alert_log'") == 0


def test_each_anomaly_is_delivered_once_with_its_chart(endpoint, warehouse, receiver):
    url = f"json://127.0.0.1:{receiver.server.server_port}/hook"
    first = alerts(endpoint, "--at", f"{DAY}T14:20", urls=url)
    assert first.returncode == 0, first.stdout + first.stderr
    expected = warehouse.query(
        "select rule_id, slice from analytics.intraday_alert_bands"
        f" where slot_start = '{DAY} 14:00:00' and status = 'outside'").result_rows
    assert len(receiver.received) == len(expected) >= 2
    views = [m for m in receiver.received if m["title"].startswith("[warning] feed_views (all) below")]
    assert len(views) == 1
    value, lower, upper = oracle_feed_views_band(warehouse)
    assert value < lower
    body = views[0]["message"]
    assert f"value: {value:,.0f}" in body
    assert f"band: [{lower:,.0f}, {upper:,.0f}]" in body, (body, lower, upper)
    assert f"dashboard: http://127.0.0.1:8050/today?date={DAY}&metric=feed_views&slice=all" in body
    (image,) = views[0]["attachments"]
    assert base64.b64decode(image["base64"]).startswith(b"\x89PNG\r\n\x1a\n")
    # a re-run (a retried DAG task) sends nothing again
    again = alerts(endpoint, "--at", f"{DAY}T14:20", urls=url)
    assert again.returncode == 0 and "sent 0 message(s)" in again.stdout
    assert len(receiver.received) == len(expected)


def test_unreachable_target_keeps_the_alert_and_a_later_run_delivers_it_once(endpoint, warehouse):
    port = free_port()  # nothing listens there yet
    url = f"json://127.0.0.1:{port}/hook"
    failed = alerts(endpoint, "--at", f"{DAY}T14:35", urls=url)
    assert failed.returncode == 1 and "not delivered (kept, retried on the next run)" in failed.stdout
    pending = warehouse.command(
        f"select count() from analytics.intraday_alert_log final where status = 'pending' and slot_start = '{DAY} 14:15:00'")
    assert pending >= 1
    late = Receiver(port)
    try:
        retried = alerts(endpoint, "--at", f"{DAY}T14:35", urls=url)
        assert retried.returncode == 0, retried.stdout + retried.stderr
        assert len(late.received) == pending
        assert all("2025-04-07 14:15" in m["title"] for m in late.received)
        assert alerts(endpoint, "--at", f"{DAY}T14:50", urls=url).returncode == 0
        # the next slot's run sends only that slot's anomalies, if any: nothing twice
        titles = [m["title"] for m in late.received]
        assert sum("2025-04-07 14:15" in title for title in titles) == pending
        assert len(titles) == len(set(titles))
    finally:
        late.close()


def test_a_slot_without_data_is_a_no_data_alert(endpoint, warehouse, receiver):
    url = f"json://127.0.0.1:{receiver.server.server_port}/hook"
    result = alerts(endpoint, "--at", f"{DAY}T15:20", urls=url)
    assert result.returncode == 0, result.stdout + result.stderr
    (message,) = receiver.received
    assert message["title"] == f"[critical] no data at {DAY} 15:00"
    assert "newest slot with data 2025-04-07 14:45:00" in message["message"]


@pytest.mark.parametrize("args, expected", [
    (["--at", "2999-01-01T00:00"], "Error: --at: 2999-01-01 00:00:00 is in the future"),
    (["--at", "teatime"], "Error: --at: 'teatime' is not a date and time"),
    (["--at", f"{DAY}T14:20", "--database", "nowhere"], "Error: nowhere.intraday_alert_bands does not exist"),
])
def test_bad_input_is_a_one_line_error(endpoint, warehouse, args, expected):
    result = alerts(endpoint, *args, urls="json://127.0.0.1:9/hook")
    assert result.returncode == 1
    assert result.stderr.startswith(expected) and result.stderr.count("\n") == 1, result.stderr


def test_no_target_is_an_error_not_a_silent_drop(endpoint, warehouse):
    result = alerts(endpoint, "--at", f"{DAY}T14:20", urls="")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: no notification target: set FEEDSTAR_NOTIFY_URLS")


def test_today_page_serves_the_curves_bands_and_anomalies(endpoint, warehouse):
    from starlette.testclient import TestClient

    from feedstar import chclient
    from feedstar.dashboard.app import create_app

    app = create_app(chclient.connection(f"http://default@127.0.0.1:{endpoint.port}/analytics"))
    with TestClient(app) as client:
        page = client.get("/today")
        assert page.status_code == 200 and "/static/today.js" in page.text
        assert client.get("/static/today.js").status_code == 200
        body = client.get("/api/today", params={"date": DAY}).json()
        views = body["metrics"]["feed_views"]
        value, lower, upper = oracle_feed_views_band(warehouse)
        assert dict(views["today"])[56] == value                      # 14:00, counted from the events
        assert len(views["today"]) == 60 and len(views["last_week"]) == 96  # today up to 14:45
        band = {slot: (lo, hi) for slot, lo, hi in views["band"]}
        assert band[56] == pytest.approx((lower, upper))
        assert any(slot == 56 and "feed_views" in rules for slot, _, rules, _ in views["anomalies"])
        assert "all" in body["slices"] and "os=iOS" in body["slices"]
        assert client.get("/api/today").json()["date"] == DAY          # default: the newest day
        bad = client.get("/api/today", params={"date": DAY, "slice": "os=Symbian"})
        assert bad.status_code == 400 and "os=Symbian" in bad.json()["error"]
        assert client.get("/api/today", params={"date": "yesterday"}).status_code == 400


def intraday_checksums(client) -> dict:
    return {table: client.query(f"select count(), sum(cityHash64(*)) from analytics.{table}").result_rows[0]
            for table in ("intraday_slot_metrics", "intraday_alert_bands")}


def test_a_first_build_killed_part_way_is_completed_by_the_next_run(endpoint, warehouse, tmp_path):
    # A first build is one INSERT ... SELECT whose days commit one part at a time: killed
    # part-way, whole days are missing.  Drop some days as such a kill leaves them; the next
    # incremental run starts at the first missing day and restores the uninterrupted tables.
    clean = intraday_checksums(warehouse)
    for table, days in (("intraday_slot_metrics", ("2025-03-03", "2025-03-20")),
                        ("intraday_alert_bands", ("2025-03-25",))):
        for day in days:
            warehouse.command(f"alter table analytics.{table} drop partition '{day}'")
    assert intraday_checksums(warehouse) != clean
    run_dbt(endpoint, str(tmp_path), "run", "--select", "tag:intraday")
    compiled = (tmp_path / "target" / "run" / "feedstar" / "models" / "intraday")
    # the data starts on 03-03, inside the 36-day history: the first missing day is that one
    assert "between toDate('2025-03-03') and toDate('2025-04-07')" in (compiled / "intraday_slot_metrics.sql").read_text()
    assert intraday_checksums(warehouse) == clean
    # complete again: the next run reloads only the usual lookback day
    run_dbt(endpoint, str(tmp_path), "run", "--select", "tag:intraday")
    assert "between toDate('2025-04-07') - 1 and toDate('2025-04-07')" in (
        compiled / "intraday_slot_metrics.sql").read_text()
    assert intraday_checksums(warehouse) == clean
