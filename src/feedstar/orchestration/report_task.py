"""The daily DAG's `send_daily_report` task: the morning report of the day just built, delivered once.

It runs after `dbt_build` (the build and its data tests) and only reads the marts.  It is
skipped, not failed, when no delivery is configured (FEEDSTAR_NOTIFY_URLS /
FEEDSTAR_NOTIFY_CONFIG, see feedstar.delivery); a delivery failure fails it and Airflow
retries it (only the targets that did not get it are sent to again: the report ledger,
feedstar/report/deliver.py).  Nothing downstream of the load waits for it, and its retries
are short so that a dead chat service never holds up the next day's run for long.

A re-run or a cleared task of a date already sent sends nothing new unless forced: trigger
with `{"force_report": true}` as the run's conf, or set FEEDSTAR_REPORT_FORCE=true.

Its knobs (environment): FEEDSTAR_REPORT_RETRIES (default 3), FEEDSTAR_REPORT_RETRY_DELAY_SECONDS
(default 60; doubles per retry, capped at 10 minutes), FEEDSTAR_REPORT_FORMAT (markdown or html).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger("feedstar.orchestration")

TASK_ID = "send_daily_report"
TRUE_WORDS = ("1", "true", "yes", "on")


def _int_env(name: str, default: int) -> int:
    value = os.environ.get(name) or str(default)
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not an integer") from None


def task_arguments() -> dict:
    """The task's own retry policy (the DAG's default_args suit waiting for late data, not this)."""
    return {
        "task_id": TASK_ID,
        "retries": _int_env("FEEDSTAR_REPORT_RETRIES", 3),
        "retry_delay": dt.timedelta(seconds=_int_env("FEEDSTAR_REPORT_RETRY_DELAY_SECONDS", 60)),
        "max_retry_delay": dt.timedelta(minutes=10),
        "execution_timeout": dt.timedelta(minutes=10),
    }


def wants_force(conf: dict | None) -> bool:
    """Send again even to targets that already got this date: the run's conf or the environment."""
    if conf and str(conf.get("force_report", "")).strip().lower() in TRUE_WORDS:
        return True
    return os.environ.get("FEEDSTAR_REPORT_FORCE", "").strip().lower() in TRUE_WORDS


def send_daily_report(day: str, force: bool = False) -> dict:
    """Build the report of `day` from the marts and deliver it; what was sent, for XCom."""
    from airflow.sdk.exceptions import AirflowSkipException

    from feedstar import chclient
    from feedstar.orchestration.connection import connection_from_airflow
    from feedstar.report import deliver
    from feedstar.report.build import build_report
    from feedstar.settings import setting

    if not deliver.configured():
        raise AirflowSkipException(
            f"no delivery configured ({deliver.delivery.URLS_ENV_VAR} / {deliver.delivery.CONFIG_ENV_VAR}): "
            "the report is not sent")
    to = deliver.targets()
    fmt = os.environ.get("FEEDSTAR_REPORT_FORMAT") or "markdown"
    date = dt.date.fromisoformat(day)
    with chclient.get_client(connection_from_airflow(setting("conn_id")), use_database=True) as client, \
            tempfile.TemporaryDirectory(prefix="feedstar-report-") as scratch:
        built = build_report(client, Path(scratch), date, fmt)
        if not built.data.is_loaded(date):
            raise RuntimeError(f"the marts do not hold {day} although its build passed")
        outcome = deliver.deliver(date, built.subject, built.message, fmt, built.images, force=force, to=to)
    log.info("report of %s: sent to %s; already sent to %s", day, outcome.sent or "nobody",
             outcome.already_sent or "nobody")
    return outcome.as_dict()
