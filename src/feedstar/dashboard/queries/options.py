"""The filter bar's choices: the marts' date extent and the values each attribute takes,
with what the panels need of dbt's definitions (the labels of raw values, the A/B window)."""

from __future__ import annotations

from feedstar.dashboard.db import MartReader
from feedstar.dashboard.filters import Options
from feedstar.dashboard.queries.experiment_users import WINDOW_SQL
from feedstar.dashboard.queries.labels import SLICE_ATTRIBUTES, SLICE_LABELS_SQL, slice_expression

DATES_SQL = "select min(date), max(date), count() from agg_active_users"
# Attributes the long-format marts break down by, with every value they hold.
BREAKDOWN_VALUES_SQL = (
    "select breakdown, arraySort(groupUniqArray(breakdown_value)) from agg_active_users "
    "where breakdown != 'total' group by breakdown"
)


def slice_values_query(slice_labels) -> tuple[str, dict]:
    """The slice marts' values, spelled as the breakdown marts spell them (gender and city
    exist only here): one array per SLICE_ATTRIBUTES."""
    columns, parameters = [], {}
    for name in SLICE_ATTRIBUTES:
        expression, expression_parameters = slice_expression(name, slice_labels)
        columns.append(f"groupUniqArray({expression})")
        parameters.update(expression_parameters)
    return f"select {', '.join(columns)} from agg_app_daily_activity", parameters


def load_options(reader: MartReader) -> Options:
    _, ((first_date, last_date, rows),) = reader.select(DATES_SQL, {})
    found = {}
    for breakdown, breakdown_values in reader.select(BREAKDOWN_VALUES_SQL, {})[1]:
        found[breakdown] = set(breakdown_values)
    slice_labels = tuple(tuple(row) for row in reader.select(SLICE_LABELS_SQL, {})[1])
    _, slice_rows = reader.select(*slice_values_query(slice_labels))
    for name, slice_values in zip(SLICE_ATTRIBUTES, slice_rows[0] if slice_rows else ()):
        found.setdefault(name, set()).update(slice_values)
    values = {name: tuple(sorted(found_values)) for name, found_values in found.items()}
    window = reader.select(WINDOW_SQL, {})[1]
    window_days = window[0][0] if window else None
    if rows == 0:
        return Options(None, None, values, window_days, slice_labels)
    return Options(first_date, last_date, values, window_days, slice_labels)
