"""What `feedstar alerts` has sent: one row per (anomaly, target), newest version wins.

`<database>.intraday_alert_log` (ReplacingMergeTree(version), read with FINAL): an anomaly is
recorded 'pending' for every target when first seen, and becomes 'sent' for a target once
that target took it.  A run sends every pending row, so an anomaly whose delivery failed is
retried on the next run (never lost) and one already sent is never sent again to that target
(a re-run, a retry of the DAG task, an overlapping run of the same slot).
"""

from __future__ import annotations

import datetime as dt

COLUMNS = ["alert_key", "target_id", "target", "slot_start", "rule_id", "metric", "slice", "severity", "value",
           "center", "lower", "upper", "change", "reason", "status", "attempts", "first_seen", "last_attempt",
           "sent_at", "version"]


def table(database: str) -> str:
    if not database.replace("_", "").isalnum():
        raise ValueError(f"not a database name: {database!r}")
    return f"{database}.intraday_alert_log"


def ensure(client, database: str) -> None:
    client.command(f"""
        create table if not exists {table(database)} (
            alert_key String comment 'rule_id|slice|slot_start',
            target_id String comment 'hash of the apprise URL',
            target String comment 'the URL, secrets hidden',
            slot_start DateTime,
            rule_id String,
            metric String,
            slice String,
            severity String,
            value Nullable(Float64),
            center Nullable(Float64),
            lower Nullable(Float64),
            upper Nullable(Float64),
            change Nullable(Float64),
            reason String,
            status LowCardinality(String) comment 'pending | sent',
            attempts UInt32,
            first_seen DateTime,
            last_attempt Nullable(DateTime),
            sent_at Nullable(DateTime),
            version UInt64
        )
        engine = ReplacingMergeTree(version)
        order by (alert_key, target_id)""")


def known_keys(client, database: str, keys: list[str]) -> set[tuple[str, str]]:
    if not keys:
        return set()
    rows = client.query(f"select alert_key, target_id from {table(database)} final where alert_key in {{keys:Array(String)}}",
                        parameters={"keys": keys}).result_rows
    return {(key, target) for key, target in rows}


def pending(client, database: str) -> list[dict]:
    result = client.query(f"select * from {table(database)} final where status = 'pending' order by slot_start, alert_key")
    return [dict(zip(result.column_names, row)) for row in result.result_rows]


def write(client, database: str, rows: list[dict]) -> None:
    if rows:
        client.insert(table(database), [[row[name] for name in COLUMNS] for row in rows], column_names=COLUMNS)


def record_new(anomaly: dict, target, now: dt.datetime) -> dict:
    return {**{name: anomaly.get(name) for name in COLUMNS}, "alert_key": anomaly["alert_key"],
            "target_id": target.id, "target": target.label, "reason": anomaly.get("reason") or "",
            "status": "pending", "attempts": 0, "first_seen": now, "last_attempt": None, "sent_at": None,
            "version": 1}


def after_attempt(row: dict, delivered: bool, now: dt.datetime) -> dict:
    return {**row, "status": "sent" if delivered else "pending", "attempts": row["attempts"] + 1,
            "last_attempt": now, "sent_at": now if delivered else None, "version": row["version"] + 1}
