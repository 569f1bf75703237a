"""The filter bar's choices: the marts' date extent and the values each attribute takes."""

from __future__ import annotations

from feedstar.dashboard.db import MartReader
from feedstar.dashboard.filters import Options
from feedstar.dashboard.queries.base import SLICE_EXPRESSIONS

DATES_SQL = "select min(date), max(date), count() from agg_active_users"
# Attributes the long-format marts break down by, with every value they hold.
BREAKDOWN_VALUES_SQL = (
    "select breakdown, arraySort(groupUniqArray(breakdown_value)) from agg_active_users "
    "where breakdown != 'total' group by breakdown"
)
# The slice marts' values, spelled as the breakdown marts spell them (gender and city
# exist only here).
SLICE_VALUES_SQL = "select " + ", ".join(
    f"groupUniqArray({expression})" for expression in SLICE_EXPRESSIONS.values()
) + " from agg_app_daily_activity"


def load_options(reader: MartReader) -> Options:
    _, ((first_date, last_date, rows),) = reader.select(DATES_SQL, {})
    found = {}
    for breakdown, breakdown_values in reader.select(BREAKDOWN_VALUES_SQL, {})[1]:
        found[breakdown] = set(breakdown_values)
    _, slice_rows = reader.select(SLICE_VALUES_SQL, {})
    for name, slice_values in zip(SLICE_EXPRESSIONS, slice_rows[0] if slice_rows else ()):
        found.setdefault(name, set()).update(slice_values)
    values = {name: tuple(sorted(found_values)) for name, found_values in found.items()}
    if rows == 0:
        return Options(None, None, values)
    return Options(first_date, last_date, values)
