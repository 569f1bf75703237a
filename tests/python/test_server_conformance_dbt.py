"""dbt-clickhouse's own materialization features against the endpoint, as against a server:
sql_header, projections, CHECK constraints of an enforced contract, and the query_id of the
adapter response (found again in system.query_log)."""

import os
import shutil

import pytest
from test_server_dbt import FIXTURE, dbt

MODELS = {
    "with_header.sql": "{{ config(materialized='table', sql_header='-- header from the model') }}\n"
                       "select 1 as x",
    "with_projection.sql": "{{ config(materialized='table', order_by='x', projections=[{'name': 'by_y', "
                           "'query': 'SELECT y, count() GROUP BY y'}]) }}\n"
                           "select number as x, number % 3 as y from numbers(30)",
    "with_constraint.sql": "{{ config(materialized='table', order_by='x') }}\nselect toUInt32(5) as x",
}
CONTRACT = """
version: 2
models:
  - name: with_constraint
    config:
      contract:
        enforced: true
    constraints:
      - type: check
        expression: "x < 10"
        name: x_small
    columns:
      - name: x
        data_type: UInt32
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    path = tmp_path_factory.mktemp("conformance_dbt") / "project"
    shutil.copytree(FIXTURE, path)
    for name, sql in MODELS.items():
        (path / "models" / name).write_text(sql)
    (path / "models" / "contract.yml").write_text(CONTRACT)
    return str(path)


def test_dbt_features_build_as_on_a_server(endpoint, project):
    results = dbt(project, endpoint, "run", "--select", "with_header", "with_projection", "with_constraint").result
    assert sorted(str(r.status) for r in results) == ["success"] * 3
    client = endpoint.client()
    assert client.query("SELECT name FROM system.projections WHERE database = 'tiny' "
                        "AND table = 'with_projection'").result_rows == [("by_y",)]
    ddl = client.command("SHOW CREATE TABLE tiny.with_constraint")
    assert "CONSTRAINT x_small CHECK (x < 10)" in ddl
    with pytest.raises(Exception, match="VIOLATED_CONSTRAINT|x_small"):
        client.command("INSERT INTO tiny.with_constraint VALUES (11)")
    # Every adapter response carries the query_id dbt sent, and the query is logged under it.
    query_ids = {r.node.name: r.adapter_response.get("query_id") for r in results}
    assert all(query_ids.values())
    client.command("SYSTEM FLUSH LOGS")
    for name, query_id in query_ids.items():
        logged = client.query("SELECT query FROM system.query_log WHERE query_id = {q:String} AND type = 'QueryFinish'",
                              parameters={"q": query_id}).result_rows
        assert len(logged) == 1 and f"`tiny`.`{name}`" in logged[0][0]
    # The sql_header went out in front of the model's DDL, as dbt-clickhouse renders it.
    headed = client.query("SELECT count() FROM system.query_log WHERE type = 'QueryFinish' AND query_kind = 'Create' "
                          "AND query LIKE '%-- header from the model%create table%with_header%'").result_rows
    assert headed[0][0] >= 1
