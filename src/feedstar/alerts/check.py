"""One alert check: the latest complete 15-minute slot (or the one before --at) against its bands.

Reads `intraday_alert_bands` (status 'outside') and `intraday_slot_metrics` (a slot without
any row is a 'no data' anomaly: the product or the pipeline stopped), records each new
anomaly once per target in the alert log (state.py), then sends every pending one with a
chart (chart.py) through feedstar.delivery.  A target that fails keeps its rows pending: the
next run retries them, and a row already sent is never sent again.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from dataclasses import dataclass, field
from urllib.parse import urlencode

from .. import delivery
from . import chart, state

SLOT = dt.timedelta(minutes=15)
DASHBOARD_URL_ENV_VAR = "FEEDSTAR_DASHBOARD_PUBLIC_URL"
DEFAULT_DASHBOARD_URL = "http://127.0.0.1:8050"


class AlertsError(RuntimeError):
    """A clear one-line error (bad --at, the intraday models not built, ...)."""


@dataclass
class Outcome:
    slot: dt.datetime
    anomalies: list[dict]
    messages: list[tuple[str, str]] = field(default_factory=list)  # (title, body) sent or, dry run, to send
    delivered: int = 0
    failed: int = 0


def server_now(client) -> dt.datetime:
    return dt.datetime.fromisoformat(str(client.command("select toString(now())")))


def checked_slot(at: dt.datetime) -> dt.datetime:
    """The latest slot complete at `at`: the one that ended at or before it."""
    floor = at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)
    return floor - SLOT


def parse_at(value: str | None, now: dt.datetime) -> dt.datetime:
    if value is None:
        return now
    try:
        at = dt.datetime.fromisoformat(value.strip().replace(" ", "T"))
    except ValueError:
        raise AlertsError(f"--at: {value!r} is not a date and time (YYYY-MM-DDTHH:MM)") from None
    if at.tzinfo is not None:
        raise AlertsError(f"--at: {value!r}: give the time without a zone, in the warehouse's clock")
    if at > now:
        raise AlertsError(f"--at: {at} is in the future (the warehouse's clock says {now:%Y-%m-%d %H:%M:%S})")
    return at


def find_anomalies(client, database: str, slot: dt.datetime) -> list[dict]:
    for name in ("intraday_alert_bands", "intraday_slot_metrics"):
        if not int(client.command("select count() from system.tables where database = {db:String} and name = {name:String}",
                                  parameters={"db": database, "name": name})):
            raise AlertsError(f"{database}.{name} does not exist: build it first (dbt build --select tag:intraday)")
    params = {"slot": slot}
    has_data = int(client.command(
        f"select count() from {database}.intraday_slot_metrics where slot_start = {{slot:DateTime}} and slice_kind = 'all'",
        parameters=params))
    if not has_data:
        newest = client.command(
            f"select toString(max(slot_start)) from {database}.intraday_slot_metrics where date <= {{day:Date}}",
            parameters={"day": slot.date()})
        return [{"alert_key": f"no_data|all|{slot:%Y-%m-%d %H:%M}", "slot_start": slot, "rule_id": "no_data",
                 "metric": "data", "slice": "all", "severity": "critical", "value": None, "center": None,
                 "lower": None, "upper": None, "change": None, "direction": "",
                 "reason": f"no data for the slot {slot:%H:%M}-{slot + SLOT:%H:%M}: newest slot with data "
                           f"{newest if newest and not newest.startswith('1970') else 'none'}"}]
    result = client.query(
        f"select rule_id, metric, slice, severity, value, center, lower, upper, change, direction, reason"
        f" from {database}.intraday_alert_bands where slot_start = {{slot:DateTime}} and status = 'outside'"
        f" order by severity = 'critical' desc, rule_id, slice", parameters=params)
    anomalies = []
    for row in result.result_rows:
        anomaly = dict(zip(result.column_names, row))
        anomaly["slot_start"] = slot
        anomaly["alert_key"] = f"{anomaly['rule_id']}|{anomaly['slice']}|{slot:%Y-%m-%d %H:%M}"
        anomalies.append(anomaly)
    return anomalies


def dashboard_link(base: str, anomaly: dict) -> str:
    query = {"date": f"{anomaly['slot_start']:%Y-%m-%d}", "metric": anomaly["metric"], "slice": anomaly["slice"]}
    return f"{base.rstrip('/')}/today?{urlencode(query)}"


def _number(value) -> str:
    if value is None:
        return "-"
    return f"{value:.4f}" if abs(value) < 10 else f"{value:,.0f}"


def message(anomaly: dict, dashboard: str) -> tuple[str, str]:
    slot = anomaly["slot_start"]
    if anomaly["rule_id"] == "no_data":
        title = f"[critical] no data at {slot:%Y-%m-%d %H:%M}"
    else:
        title = (f"[{anomaly['severity']}] {anomaly['metric']} ({anomaly['slice']}) "
                 f"{anomaly.get('direction') or 'outside'} its band at {slot:%Y-%m-%d %H:%M}")
    lines = [f"slot: {slot:%Y-%m-%d %H:%M}-{slot + SLOT:%H:%M}", f"rule: {anomaly['rule_id']}"]
    if anomaly["rule_id"] != "no_data":
        change = anomaly.get("change")
        lines += [f"metric: {anomaly['metric']} ({anomaly['slice']})",
                  f"value: {_number(anomaly['value'])}",
                  f"band: [{_number(anomaly['lower'])}, {_number(anomaly['upper'])}], expected {_number(anomaly['center'])}",
                  f"deviation: {'' if change is None else f'{100 * change:+.1f}%'}"]
    lines += [f"why: {anomaly['reason']}", f"dashboard: {dashboard_link(dashboard, anomaly)}"]
    return title, "\n".join(lines)


def render_chart(client, database: str, anomaly: dict, directory: str) -> list[str]:
    """The PNG for an anomaly (none for 'no data')."""
    if anomaly["rule_id"] == "no_data":
        return []
    slot = anomaly["slot_start"]
    day, week_ago = slot.date(), slot.date() - dt.timedelta(days=7)
    params = {"metric": anomaly["metric"], "slice": anomaly["slice"], "day": day, "week_ago": week_ago,
              "rule": anomaly["rule_id"]}
    curves = client.query(
        f"select date, slot_start, value from {database}.intraday_metric_values"
        f" where date in ({{day:Date}}, {{week_ago:Date}}) and metric = {{metric:String}} and slice = {{slice:String}}"
        f" and value is not null order by slot_start", parameters=params).result_rows
    band = client.query(
        f"select slot_start, lower, upper from {database}.intraday_alert_bands"
        f" where date = {{day:Date}} and rule_id = {{rule:String}} and slice = {{slice:String}}"
        f" and status != 'not_evaluated' order by slot_start", parameters=params).result_rows
    today = [(t, v) for d, t, v in curves if d == day]
    last_week = [(t + dt.timedelta(days=7), v) for d, t, v in curves if d == week_ago]
    path = os.path.join(directory, f"{anomaly['rule_id']}-{anomaly['slice']}-{slot:%Y%m%d%H%M}.png".replace("=", "-"))
    chart.render(path, title=f"{anomaly['metric']} ({anomaly['slice']}), {day}: today vs {week_ago}",
                 today=today, last_week=last_week, band=band, marked=slot)
    return [path]


def run(client, *, database: str, at: str | None = None, dry_run: bool = False,
        dashboard: str | None = None, targets: list | None = None) -> Outcome:
    dashboard = dashboard or os.environ.get(DASHBOARD_URL_ENV_VAR) or DEFAULT_DASHBOARD_URL
    now = server_now(client)
    slot = checked_slot(parse_at(at, now))
    anomalies = find_anomalies(client, database, slot)
    outcome = Outcome(slot, anomalies)
    if dry_run:
        outcome.messages = [message(anomaly, dashboard) for anomaly in anomalies]
        return outcome
    targets = targets if targets is not None else delivery.targets()
    state.ensure(client, database)
    known = state.known_keys(client, database, [a["alert_key"] for a in anomalies])
    state.write(client, database, [state.record_new(anomaly, target, now) for anomaly in anomalies
                                   for target in targets if (anomaly["alert_key"], target.id) not in known])
    by_id = {target.id: target for target in targets}
    rows = [row for row in state.pending(client, database) if row["target_id"] in by_id]
    with tempfile.TemporaryDirectory(prefix="feedstar-alert-") as directory:
        images: dict[str, list[str]] = {}
        for row in rows:
            anomaly = {**row, "direction": _direction(row)}
            if row["alert_key"] not in images:
                images[row["alert_key"]] = render_chart(client, database, anomaly, directory)
            title, body = message(anomaly, dashboard)
            delivered = delivery.send(title, body, images[row["alert_key"]], to=[by_id[row["target_id"]]])
            ok = delivered[row["target_id"]]
            # recorded right after each attempt: a crash can repeat at most the one message in flight
            state.write(client, database, [state.after_attempt(row, ok, server_now(client))])
            if ok:
                outcome.delivered += 1
                outcome.messages.append((title, body))
            else:
                outcome.failed += 1
    return outcome


def _direction(row: dict) -> str:
    if row.get("value") is None or row.get("lower") is None:
        return ""
    return "below" if row["value"] < row["lower"] else "above" if row["value"] > row["upper"] else ""
