"""What every panel query shares: the Query value, the filter predicates, and the runner.

A panel module (one per panel, PostHog query-runner style) defines `Row` (a dataclass
whose fields are the result's columns, in order) and `build(filters) -> Query`.
`run()` executes it and returns typed rows.  SQL text is assembled only from constants
in this package; every value from the URL travels as a bound parameter (`{name:Type}`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from feedstar.dashboard.db import MartReader, WarehouseError
from feedstar.dashboard.filters import Filters
from feedstar.dashboard.queries.labels import SLICE_ATTRIBUTES, slice_clause

# Attributes the long-format marts (agg_active_users, agg_retention) break down by.
BREAKDOWNS = ("source", "os", "country", "age_bucket", "exp_group")


class PanelUnavailable(ValueError):
    """The panel's mart cannot answer for these filters (e.g. it has no `city`); the message says so."""


@dataclass(frozen=True)
class Query:
    sql: str
    parameters: dict
    mart: str  # the table it reads (shown under the panel's data table)


@dataclass(frozen=True)
class PanelResult:
    mart: str
    rows: list


def date_range(column: str, filters: Filters) -> tuple[str, dict]:
    return (f"{column} between {{date_from:Date}} and {{date_to:Date}}",
            {"date_from": filters.date_from, "date_to": filters.date_to})


def slice_predicate(filters: Filters, mart: str) -> tuple[str, dict]:
    """`and`-ed predicates for the attribute filters, over a slice mart's raw columns (a label
    chosen in the filter bar selects the raw values dbt gives that label)."""
    clauses, parameters = [], {}
    for name, value in filters.slices:
        if name not in SLICE_ATTRIBUTES:
            raise PanelUnavailable(f"This panel ({mart}) cannot be filtered by {name}: "
                                   f"it is sliced by {', '.join(SLICE_ATTRIBUTES)}.")
        clause, clause_parameters = slice_clause(name, value, filters.slice_labels)
        clauses.append(clause)
        parameters.update(clause_parameters)
    return (" and ".join(clauses) or "1 = 1"), parameters


def breakdown_predicate(filters: Filters, mart: str) -> tuple[str, dict]:
    """The one breakdown row set that answers the filters: the total, or a single attribute's value."""
    if not filters.slices:
        return "breakdown = 'total'", {}
    if len(filters.slices) > 1:
        names = " and ".join(name for name, _ in filters.slices)
        raise PanelUnavailable(f"This panel ({mart}) can be filtered by one attribute at a time, not {names}: "
                               "its distinct-user counts are stored per single attribute.")
    name, value = filters.slices[0]
    if name not in BREAKDOWNS:
        raise PanelUnavailable(f"This panel ({mart}) cannot be filtered by {name}: "
                               f"it is broken down by {', '.join(BREAKDOWNS)}.")
    return ("breakdown = {breakdown:String} and breakdown_value = {breakdown_value:String}",
            {"breakdown": name, "breakdown_value": value})


def no_slices(filters: Filters, mart: str) -> None:
    if filters.slices:
        names = ", ".join(name for name, _ in filters.slices)
        raise PanelUnavailable(f"This panel ({mart}) covers all users; it cannot be filtered by {names}.")


def run(reader: MartReader, panel, filters: Filters) -> PanelResult:
    """Build the panel's query, run it, and return its rows as `panel.Row` objects."""
    query = panel.build(filters)
    columns, rows = reader.select(query.sql, query.parameters)
    expected = [field.name for field in dataclasses.fields(panel.Row)]
    # (an empty result may come back without its column names)
    if rows and columns != expected:
        raise WarehouseError(f"Panel {panel.__name__} expected columns {expected}, the mart returned {columns}.", 502)
    return PanelResult(query.mart, [panel.Row(*(_clean(value) for value in row)) for row in rows])


def _clean(value):
    # ClickHouse gives nan/inf for 0/0 in Float64; JSON has no such numbers: show them as absent.
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
