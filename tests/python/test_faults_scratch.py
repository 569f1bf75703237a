"""Which of dbt-clickhouse's scratch tables a dbt run drops (macros/scratch_tables.sql, the
on-run-start): a killed run's, of the models it selects, and EXCHANGE probes' older than 10
minutes; not a concurrent run's (the intraday DAG's models, a probe in progress), not a
look-alike name.  On the `cluster` target, so that the ON CLUSTER form is what is checked.

No cluster runs here: the run is recorded as sent and executed in a one-node form against the
embedded endpoint (cluster_capture.py).  The re-run after a real kill on the local target:
test_faults.py and the bench's matrix.
"""

from __future__ import annotations

import glob
import os
import time
import uuid

import pytest
from cluster_capture import CLUSTER_NAME, QUERY_COMMENT, REPO, record_run, target_env, target_profile
from endpoint import start_endpoint

pytestmark = pytest.mark.faults


def test_a_run_drops_a_killed_runs_scratch_tables_on_cluster_and_keeps_a_running_ones(tmp_path):
    killed_run, other_run = (str(uuid.uuid4()).replace("-", "_") for _ in range(2))
    old_probe = f"__dbt_exchange_test_1_{uuid.uuid1().hex}"
    stale = [f"fact_daily_feed__dbt_new_data_{killed_run}", "fact_daily_feed__dbt_distributed_new_data", old_probe]
    kept = [f"intraday_slot_metrics__dbt_new_data_{other_run}",  # the intraday DAG's run, going on
            f"__dbt_exchange_test_0_{uuid.uuid1().hex}",          # a probe of this second
            f"fact_daily_feed__dbt_new_data_{killed_run[:-1]}"]   # not dbt-clickhouse's name
    data = str(tmp_path / "data")
    endpoint = start_endpoint(data)
    try:
        client = endpoint.client()
        client.command("CREATE DATABASE analytics")
        for name in stale + kept:
            client.command(f"CREATE TABLE analytics.`{name}` (test String) ENGINE MergeTree() ORDER BY tuple()")
        # The old probe's table: an hour old, as ClickHouse tells a table's age (its metadata file).
        endpoint.stop()
        hour_ago = time.time() - 3600
        for path in glob.glob(os.path.join(data, "**", f"{old_probe}.sql"), recursive=True):
            os.utime(path, (hour_ago, hour_ago))
        endpoint = start_endpoint(data)
        client = endpoint.client()
        assert client.command(f"SELECT dateDiff('minute', metadata_modification_time, now()) FROM system.tables "
                              f"WHERE name = '{old_probe}'") >= 59

        env = target_env(endpoint, target_profile(str(tmp_path / "profile"), "cluster"), "", "product")
        # The model itself fails (nothing upstream was built); its on-run-start is what is looked at.
        _, recorded = record_run(
            ["run", "--select", "fact_daily_feed", "--project-dir", REPO,
             "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")], env, emulate=True)
        sent = {" ".join(QUERY_COMMENT.sub("", sql, count=1).split()) for sql in recorded}
        expected = {f'drop table if exists `analytics`.`{name}` on cluster "{CLUSTER_NAME}"' for name in stale}
        assert expected <= sent, sorted(s for s in sent if s.startswith("drop"))
        assert not [s for s in sent if s.startswith("drop") and any(f"`{name}`" in s for name in kept)]
        assert any(f'clusterAllReplicas("{CLUSTER_NAME}", system.tables)' in s for s in sent)
        # executed in the one-node form: gone, and the others kept
        names = {name for (name,) in client.query(
            "SELECT name FROM system.tables WHERE database = 'analytics' AND position(name, '__dbt_') > 0").result_rows}
        assert names == set(kept)
        # ClickHouse's parser takes the statements as sent (ON CLUSTER)
        for statement in expected:
            client.query("SELECT formatQuerySingleLine({q:String})", parameters={"q": statement})
    finally:
        endpoint.stop()
