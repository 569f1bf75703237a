"""The two steps of the intraday DAG (dags/feedstar_intraday.py) as plain functions.

1. build_slot_day: `dbt build --select tag:intraday --vars '{intraday_day: D}'` for the day of
   the slot just completed (the models also rebuild the day before: lookback 1).
2. check_alerts: `feedstar alerts --at T` for the run's data interval end T: the slot that
   ended at T.  A message that could not be delivered fails the task, so Airflow retries
   it; the alert log makes a retry send only what is still pending.

Both are idempotent (partitions replaced whole; anomalies remembered), so a retry, a re-run
or a run overlapping the daily DAG (which loads other partitions of other tables) is safe.
dbt gets its own target dir (<daily target dir>-intraday): run_results.json of one DAG is
never read by the other.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from dataclasses import dataclass

from feedstar import chclient
from feedstar.orchestration import daily_load
from feedstar.orchestration.dbt_build import DbtCommand, run_dbt_build

log = logging.getLogger("feedstar.orchestration")
SLOT = dt.timedelta(minutes=15)


@dataclass(frozen=True)
class IntradayDbtCommand(DbtCommand):
    def argv(self, day: dt.date) -> list[str]:
        return self.invocation(
            "build",
            "--select", "tag:intraday",
            "--vars", json.dumps({"intraday_day": day.isoformat()}),
            "--exclude-resource-type", "unit_test",
        )


def slot_day(interval_end: dt.datetime) -> dt.date:
    """The day of the slot that ended at `interval_end` (00:00 ends yesterday's last slot)."""
    return (interval_end.replace(tzinfo=None) - SLOT).date()


def dbt_command(target: chclient.Connection) -> IntradayDbtCommand:
    daily = daily_load._dbt_command(target)
    return IntradayDbtCommand(executable=daily.executable, project_dir=daily.project_dir,
                              profiles_dir=daily.profiles_dir, target=daily.target,
                              target_path=daily.target_path.rstrip("/") + "-intraday", env=daily.env)


def build_slot_day(interval_end: dt.datetime) -> dict:
    day = slot_day(interval_end)
    started = time.perf_counter()
    counts = run_dbt_build(dbt_command(daily_load._target()), day, log)
    seconds = time.perf_counter() - started
    log.info("intraday build of %s finished in %.1f s: %s", day, seconds, counts)
    return {"day": day.isoformat(), "nodes": counts, "seconds": round(seconds, 3)}


def check_alerts(interval_end: dt.datetime) -> dict:
    from feedstar.alerts import check

    target = daily_load._target()
    at = interval_end.replace(tzinfo=None).isoformat(timespec="seconds")
    with chclient.get_client(target) as client:
        outcome = check.run(client, database=target.database, at=at)
    log.info("slot %s: %d anomaly(ies), %d message(s) sent, %d not delivered",
             outcome.slot, len(outcome.anomalies), outcome.delivered, outcome.failed)
    if outcome.failed:
        raise RuntimeError(f"{outcome.failed} alert message(s) not delivered; kept for the retry")
    return {"slot": outcome.slot.isoformat(), "anomalies": len(outcome.anomalies), "sent": outcome.delivered}
