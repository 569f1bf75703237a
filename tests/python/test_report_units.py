"""The report's delivery ledger and the DAG task's knobs, without ClickHouse: apprise posts to
real webhooks on loopback."""

from __future__ import annotations

import datetime as dt

import pytest
from webhook import Webhook

from feedstar import delivery
from feedstar.orchestration import report_task
from feedstar.report import deliver

D = dt.date(2025, 3, 10)


@pytest.fixture
def hooks():
    made = [Webhook(), Webhook(fail_first=1)]
    yield made
    for hook in made:
        hook.close()


def send(ledger, hooks, force=False, png=None):
    to = delivery.targets(" ".join(hook.url for hook in hooks), "")
    return deliver.deliver(D, "subject", "**body**", "markdown", [png] if png else [], force=force, to=to,
                           ledger=ledger)


def test_a_failed_target_is_retried_alone_and_a_sent_one_never_twice(tmp_path, hooks):
    good, flaky = hooks
    ledger = tmp_path / "ledger.json"
    png = tmp_path / "chart.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    with pytest.raises(deliver.DeliveryFailed, match=r"not delivered to: json://127\.0\.0\.1:\d+/hook\S* \(.*error=500.*\(sent to json"):
        send(ledger, hooks, png=png)
    assert (len(good.posts), [post.status for post in flaky.posts]) == (1, [500])
    assert good.posts[0].attachments == {"chart.png": png.read_bytes()} and "body" in good.posts[0].message
    retry = send(ledger, hooks)            # the retry: only the target that failed
    assert (len(retry.sent), len(retry.already_sent)) == (1, 1)
    assert (len(good.posts), [post.status for post in flaky.posts]) == (1, [500, 200])
    rerun = send(ledger, hooks)            # a re-run: nothing
    assert rerun.sent == [] and len(rerun.already_sent) == 2 and len(good.posts) == 1
    forced = send(ledger, hooks, force=True)
    assert len(forced.sent) == 2 and (len(good.posts), len(flaky.posts)) == (2, 3)
    assert list(deliver.sent_dates(ledger)) == [D.isoformat()] and len(deliver.sent_dates(ledger)[D.isoformat()]) == 2


def test_another_date_is_sent_again(tmp_path, hooks):
    good = hooks[0]
    ledger = tmp_path / "ledger.json"
    send(ledger, [good])
    deliver.deliver(D + dt.timedelta(days=1), "s", "b", "markdown", [], to=delivery.targets(good.url, ""), ledger=ledger)
    assert len(good.posts) == 2


def test_force_comes_from_the_run_conf_or_the_environment(monkeypatch):
    monkeypatch.delenv("FEEDSTAR_REPORT_FORCE", raising=False)
    assert not report_task.wants_force(None) and not report_task.wants_force({"force_report": False})
    assert report_task.wants_force({"force_report": True}) and report_task.wants_force({"force_report": "yes"})
    monkeypatch.setenv("FEEDSTAR_REPORT_FORCE", "true")
    assert report_task.wants_force({})


def test_task_retry_policy_from_the_environment(monkeypatch):
    monkeypatch.setenv("FEEDSTAR_REPORT_RETRIES", "5")
    monkeypatch.setenv("FEEDSTAR_REPORT_RETRY_DELAY_SECONDS", "7")
    arguments = report_task.task_arguments()
    assert (arguments["task_id"], arguments["retries"], arguments["retry_delay"]) == (
        "send_daily_report", 5, dt.timedelta(seconds=7))
    monkeypatch.setenv("FEEDSTAR_REPORT_RETRIES", "many")
    with pytest.raises(ValueError, match="FEEDSTAR_REPORT_RETRIES='many' is not an integer"):
        report_task.task_arguments()


def test_without_delivery_the_task_skips_before_reading_anything(monkeypatch):
    exceptions = pytest.importorskip("airflow.sdk.exceptions", reason="Airflow is optional")
    monkeypatch.setenv("FEEDSTAR_NOTIFY_URLS", "")
    monkeypatch.setenv("FEEDSTAR_NOTIFY_CONFIG", "")
    monkeypatch.setenv("FEEDSTAR_CH_CONN_ID", "no_such_connection")  # would fail if it were read
    with pytest.raises(exceptions.AirflowSkipException, match="no delivery configured"):
        report_task.send_daily_report("2025-03-10")
