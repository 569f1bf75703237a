"""The Today page's data: each metric's 15-minute curve for a day and slice, the same weekday a
week earlier, the band of the metric's first rule, and the slots outside any band
(`intraday_metric_values`, `intraday_alert_bands`, built by `dbt build --select tag:intraday`)."""

from __future__ import annotations

import datetime as dt

METRICS = ("active_users", "feed_users", "feed_views", "likes", "ctr", "messages", "senders")


def newest_day(reader) -> dt.date | None:
    _, rows = reader.select("select max(date) from intraday_slot_metrics", {})
    day = rows[0][0] if rows else None
    return day if day and day.year > 1970 else None


def slices(reader, day: dt.date) -> list[str]:
    _, rows = reader.select(
        "select distinct slice from intraday_metric_values where date = {day:Date} order by slice != 'all', slice",
        {"day": day})
    return [row[0] for row in rows]


def load(reader, day: dt.date, slice_: str) -> dict:
    week_ago = day - dt.timedelta(days=7)
    params = {"day": day, "week_ago": week_ago, "slice": slice_}
    _, curves = reader.select(
        "select metric, date, slot, value from intraday_metric_values"
        " where date in ({day:Date}, {week_ago:Date}) and slice = {slice:String} and value is not null"
        " order by metric, date, slot", params)
    _, bands = reader.select(
        "select metric, slot, any(lower), any(upper), groupArrayIf(rule_id, is_outside = 1),"
        " groupArrayIf(reason, is_outside = 1)"
        " from (select * from intraday_alert_bands where date = {day:Date} and slice = {slice:String}"
        "       order by rule_id)"
        " where status != 'not_evaluated' group by metric, slot order by metric, slot", params)
    out = {metric: {"today": [], "last_week": [], "band": [], "anomalies": []} for metric in METRICS}
    for metric, date, slot, value in curves:
        if metric in out:
            out[metric]["today" if date == day else "last_week"].append([slot, value])
    for metric, slot, lower, upper, rules, reasons in bands:
        if metric not in out:
            continue
        out[metric]["band"].append([slot, lower, upper])
        if rules:
            value = dict((s, v) for s, v in out[metric]["today"]).get(slot)
            out[metric]["anomalies"].append([slot, value, ", ".join(rules), reasons[0]])
    return {"date": day.isoformat(), "last_week": week_ago.isoformat(), "slice": slice_, "metrics": out}
