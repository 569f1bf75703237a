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
# gender and city exist only in the slice marts.
SLICE_VALUES_SQL = (
    f"select arraySort(groupUniqArray({SLICE_EXPRESSIONS['gender']})), "
    f"arraySort(groupUniqArray({SLICE_EXPRESSIONS['city']})) from agg_app_daily_activity"
)


def load_options(reader: MartReader) -> Options:
    _, ((first_date, last_date, rows),) = reader.select(DATES_SQL, {})
    values = {}
    for breakdown, breakdown_values in reader.select(BREAKDOWN_VALUES_SQL, {})[1]:
        values[breakdown] = tuple(breakdown_values)
    _, ((genders, cities),) = reader.select(SLICE_VALUES_SQL, {})
    values["gender"], values["city"] = tuple(genders), tuple(cities)
    if rows == 0:
        return Options(None, None, values)
    return Options(first_date, last_date, values)
