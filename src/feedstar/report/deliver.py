"""Delivering the report once per logical date and target, through `feedstar.delivery` (apprise).

Where it goes is the one configuration every feedstar sender shares (`feedstar.delivery`):
FEEDSTAR_NOTIFY_URLS (apprise URLs: tgram://, slack://, mailto://, json:// / form:// webhooks,
...) and/or FEEDSTAR_NOTIFY_CONFIG (an apprise configuration file).

What was sent is remembered in a ledger, a JSON file (FEEDSTAR_REPORT_LEDGER, default
~/.local/state/feedstar/report-deliveries.json): one entry per (logical date, target).  A
second send of the same date -- a re-run, a retried task -- skips the targets that already
got it and sends only to the others (a new target, one that failed); `force` sends to all.
Each target is sent to on its own, so one failing target neither blocks nor repeats the
others.  The entry is written right after a target accepted the message: a crash between
the two can repeat that one message, never lose it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from feedstar import delivery
from feedstar.delivery import NoTargets, Target, targets  # noqa: F401 - the report's view of the shared config

LEDGER_ENV_VAR = "FEEDSTAR_REPORT_LEDGER"

log = logging.getLogger("feedstar.report")


class DeliveryFailed(RuntimeError):
    """At least one target did not take the report; the others are recorded as sent."""


@dataclass
class Delivery:
    date: dt.date
    sent: list[str] = field(default_factory=list)          # target labels
    already_sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"date": self.date.isoformat(), "sent": self.sent, "already_sent": self.already_sent,
                "failed": self.failed}


def configured() -> bool:
    """Whether any delivery target is configured at all (the DAG skips its task otherwise)."""
    return bool(os.environ.get(delivery.URLS_ENV_VAR, "").strip()
                or os.environ.get(delivery.CONFIG_ENV_VAR, "").strip())


def ledger_path() -> Path:
    configured_path = os.environ.get(LEDGER_ENV_VAR)
    if configured_path:
        return Path(configured_path)
    state_home = os.environ.get("XDG_STATE_HOME") or os.path.expanduser("~/.local/state")
    return Path(state_home) / "feedstar" / "report-deliveries.json"


def deliver(date: dt.date, subject: str, body: str, body_format: str, images: list[Path],
            force: bool = False, to: list[Target] | None = None, ledger: Path | None = None) -> Delivery:
    """Send the report of `date` to every target that has not had it (all of them with `force`).

    body_format: "markdown" or "html".  Raises DeliveryFailed naming the targets that refused
    it, after trying them all and recording the ones that took it."""
    to = targets() if to is None else to
    ledger = ledger or ledger_path()
    outcome = Delivery(date)
    with _locked(ledger):
        for target in to:
            if not force and _was_sent(ledger, date, target):
                outcome.already_sent.append(target.label)
                continue
            with _warnings() as reasons:
                ok = delivery.send(subject, body, [str(path) for path in images], to=[target],
                                   body_format=body_format)[target.id]
            if ok:
                _record(ledger, date, target)
                outcome.sent.append(target.label)
                log.info("report of %s sent to %s", date, target.label)
            else:
                why = "; ".join(reasons) or "apprise reported a failure"
                outcome.failed.append(f"{target.label} ({why[:300]})")
                log.warning("report of %s not delivered to %s: %s", date, target.label, why)
    if outcome.failed:
        raise DeliveryFailed(f"the report of {date} was not delivered to: {', '.join(outcome.failed)}"
                             + (f" (sent to {', '.join(outcome.sent)})" if outcome.sent else ""))
    return outcome


def sent_dates(ledger: Path | None = None) -> dict[str, list[str]]:
    """{date: [target labels]} from the ledger (for people and tests)."""
    entries = _read(ledger or ledger_path())
    found: dict[str, list[str]] = {}
    for entry in entries:
        found.setdefault(entry["date"], []).append(entry["target"])
    return found


# -- the ledger ---------------------------------------------------------------------------------

def _read(ledger: Path) -> list[dict]:
    try:
        return json.loads(ledger.read_text()).get("deliveries", [])
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"cannot read the report ledger {ledger}: {exc}") from None


def _was_sent(ledger: Path, date: dt.date, target: Target) -> bool:
    return any(entry["date"] == date.isoformat() and entry["target_id"] == target.id for entry in _read(ledger))


def _record(ledger: Path, date: dt.date, target: Target) -> None:
    entries = [entry for entry in _read(ledger)
               if not (entry["date"] == date.isoformat() and entry["target_id"] == target.id)]
    entries.append({"date": date.isoformat(), "target_id": target.id, "target": target.label,
                    "sent_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
    entries.sort(key=lambda entry: (entry["date"], entry["target_id"]))
    temporary = ledger.with_name(ledger.name + ".tmp")
    temporary.write_text(json.dumps({"deliveries": entries}, indent=1))
    os.replace(temporary, ledger)


@contextlib.contextmanager
def _locked(ledger: Path):
    """One sender at a time per ledger (two overlapping runs must not both send)."""
    ledger.parent.mkdir(parents=True, exist_ok=True)
    with open(ledger.with_name(ledger.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextlib.contextmanager
def _warnings():
    """apprise says why a send failed only in its log: collect those lines for the error message."""
    reasons: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.WARNING:
                reasons.append(record.getMessage())

    handler = Collect()
    loggers = [logging.getLogger("apprise"), logging.getLogger(delivery.__name__)]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield reasons
    finally:
        for logger in loggers:
            logger.removeHandler(handler)

