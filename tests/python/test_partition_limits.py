"""A full build writes one partition per day (facts) or per week (marts) in one INSERT.

ClickHouse refuses an INSERT block that touches more than `max_partitions_per_insert_block`
partitions (100 by default), so a full build past 100 days of facts or 100 weeks of marts
would fail unless each model lifts the cap for its own INSERT (dbt_project.yml,
`+query_settings`).  Building 100+ weeks in a test is slow, so this one lowers the cap for
the whole dbt connection to 3 (the profile's `custom_settings`) and builds 36 days = 6 weeks:
only the models' own setting can make that build pass.
"""

from __future__ import annotations

import pytest
from dbt_profile import write_profiles_dir
from marts_support import generate
from star_support import run_dbt

from feedstar.chclient import get_client

CAP = 3


@pytest.fixture(scope="module")
def capped_profiles_dir(tmp_path_factory):
    """The tests' profile with the partitions-per-insert cap lowered on the `local` target."""
    return write_profiles_dir(str(tmp_path_factory.mktemp("capped_profile")),
                              custom_settings={"max_partitions_per_insert_block": CAP})


def test_the_capped_connection_really_refuses_a_wide_insert(endpoint):
    """The control: with the same session setting, an INSERT into CAP + 1 partitions fails."""
    client = get_client(endpoint.url, settings={"max_partitions_per_insert_block": CAP})
    client.command("create table if not exists default.wide (n UInt8) engine = MergeTree "
                   "partition by n order by n")
    with pytest.raises(Exception, match="TOO_MANY_PARTS|Too many partitions"):
        client.command(f"insert into default.wide select number from numbers({CAP + 1})")


def test_a_full_build_wider_than_the_cap_succeeds(endpoint, capped_profiles_dir, tmp_path):
    generate(endpoint, "--start", "2025-01-06", "--days", "36", "--scale", "0.01")
    run_dbt(endpoint, str(tmp_path), "run", "--select", "staging", "marts", "--profiles-dir", capped_profiles_dir)
    client = get_client(endpoint.url)
    partitions = dict(client.query(
        "select table, uniqExact(partition) from system.parts where database = 'analytics' and active "
        "and table in ('fact_daily_feed', 'agg_engagement_daily') group by table").result_rows)
    assert partitions == {"fact_daily_feed": 36, "agg_engagement_daily": 6}
