"""The run summary: how many rows each table dbt builds holds for the loaded day.

Published to the task log as a small table and returned as a small dict (the only thing
that goes to XCom).  A table with a `date` column reports its rows on the day; one
without (dim_users, the snapshot) reports its total rows, marked as such.
"""

from __future__ import annotations

import datetime as dt

from feedstar.orchestration.arrival import quote_identifier

WHOLE_TABLE = "all rows"


def rows_per_table(client, tables: list[tuple[str, str]], day: dt.date) -> dict[str, dict]:
    """{table: {"rows": n, "scope": "YYYY-MM-DD" | "all rows"}} for each (schema, table)."""
    summary = {}
    for schema, table in tables:
        relation = f"{quote_identifier(schema)}.{quote_identifier(table)}"
        if _has_date_column(client, schema, table):
            rows = client.query(
                f"select count() from {relation} where date = {{day:Date}}", parameters={"day": day},
            ).result_rows[0][0]
            summary[table] = {"rows": int(rows), "scope": day.isoformat()}
        else:
            rows = client.query(f"select count() from {relation}").result_rows[0][0]
            summary[table] = {"rows": int(rows), "scope": WHOLE_TABLE}
    return summary


def format_summary(day: dt.date, summary: dict[str, dict]) -> str:
    """A fixed-width table for the task log."""
    if not summary:
        return f"run summary for {day}: dbt built no tables"
    width = max(len(table) for table in summary)
    lines = [f"run summary for {day} (rows per table):"]
    lines += [f"  {table:<{width}}  {entry['rows']:>12,}  ({entry['scope']})" for table, entry in summary.items()]
    return "\n".join(lines)


def _has_date_column(client, schema: str, table: str) -> bool:
    return bool(client.query(
        "select count() from system.columns where database = {db:String} and table = {t:String} and name = 'date'",
        parameters={"db": schema, "t": table},
    ).result_rows[0][0])
