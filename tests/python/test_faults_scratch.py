"""The clean-up of dbt-clickhouse's scratch tables (macros/scratch_tables.sql) on the
`cluster` target: found on every replica, dropped ON CLUSTER, as dbt-clickhouse creates them.

No cluster runs here: the run is recorded as sent and executed in a one-node form against the
embedded endpoint (cluster_capture.py).  The local target's clean-up after real kills:
test_faults.py.
"""

from __future__ import annotations

import uuid

import pytest
from cluster_capture import CLUSTER_NAME, QUERY_COMMENT, REPO, record_run, target_env, target_profile
from endpoint import start_endpoint

pytestmark = pytest.mark.faults


def test_cluster_target_drops_the_scratch_tables_on_cluster(tmp_path):
    killed_run = str(uuid.uuid4()).replace("-", "_")
    stale = [f"fact_daily_feed__dbt_new_data_{killed_run}", "fact_daily_feed__dbt_distributed_new_data",
             f"__dbt_exchange_test_1_{uuid.uuid1().hex}"]
    kept = [f"intraday_slot_metrics__dbt_new_data_{killed_run}"]  # a model this run does not select
    endpoint = start_endpoint(str(tmp_path / "data"))
    try:
        client = endpoint.client()
        client.command("CREATE DATABASE analytics")
        for name in stale + kept:
            client.command(f"CREATE TABLE analytics.`{name}` (test String) ENGINE MergeTree() ORDER BY tuple()")
        env = target_env(endpoint, target_profile(str(tmp_path / "profile"), "cluster"), "", "product")
        # The model itself fails (nothing upstream was built); the on-run-start before it is
        # what is looked at.
        _, recorded = record_run(
            ["run", "--select", "fact_daily_feed", "--project-dir", REPO,
             "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
             "--vars", "{stale_exchange_test_minutes: 0}"], env, emulate=True)
        expected = {f'drop table if exists `analytics`.`{name}` on cluster "{CLUSTER_NAME}"' for name in stale}
        sent = {" ".join(QUERY_COMMENT.sub("", sql, count=1).split()) for sql in recorded}
        assert expected <= sent, sorted(s for s in sent if s.startswith("drop"))
        assert not [s for s in sent if s.startswith("drop") and kept[0] in s]
        assert any(f'clusterAllReplicas("{CLUSTER_NAME}", system.tables)' in s for s in sent)
        # executed in the one-node form: gone, and the other run's table kept
        names = {name for (name,) in client.query(
            "SELECT name FROM system.tables WHERE database = 'analytics' AND position(name, '__dbt_') > 0").result_rows}
        assert names == set(kept)
        # ClickHouse's parser takes the statements as sent (ON CLUSTER, clusterAllReplicas)
        for statement in expected:
            client.query("SELECT formatQuerySingleLine({q:String})", parameters={"q": statement})
    finally:
        endpoint.stop()
