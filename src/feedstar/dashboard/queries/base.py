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

# Tables dbt builds from the marts' macros, so that the dashboard labels raw values as the
# marts do and has no labels of its own (docs/marts.md, "Labels and windows the dashboard reads"):
# - every age and NULL with its bucket (macro marts_age_bucket, models/marts/core/dim_age_buckets.sql);
# - the raw attribute values whose label is not their own text, e.g. NULL and '' -> 'unknown',
#   gender 1 -> 'male' (macros marts_slice_value and marts_gender_label, dim_slice_labels.sql).
#   Its few hundred rows are read with the filter options (Options.slice_labels, re-read at most
#   once a minute) and travel to each query as bound arrays: a scalar subquery of the table in
#   every panel query cost more than the labelling itself.
AGE_BUCKETS = "dim_age_buckets"
SLICE_LABELS = "dim_slice_labels"
SLICE_LABELS_SQL = f"select attribute, value, label from {SLICE_LABELS} order by attribute, value"
# The slice marts' age mapped through AGE_BUCKETS, read once per query as a map (NULL is the
# key 256, outside UInt8), so its buckets are the ones the breakdown marts were built with.
AGE_BUCKET_EXPRESSION = (
    f"(select mapFromArrays(groupArray(ifNull(age, 256)), groupArray(age_bucket)) from {AGE_BUCKETS})"
    "[ifNull(age, 256)]"
)
# The slice marts (`agg_*_daily_activity`) keep raw attributes, NULL when unknown; the
# breakdown marts store labels.  slice_expression() gives the slice marts' raw values the
# marts' labels, so one filter value means the same on every page.
SLICE_ATTRIBUTES = ("source", "os", "gender", "age_bucket", "country", "city")


def _labels(attribute: str, slice_labels) -> tuple[dict[str, str], str]:
    """({listed raw value: label}, NULL's label) of one attribute, from SLICE_LABELS' rows."""
    listed = {value: label for name, value, label in slice_labels if name == attribute and value is not None}
    missing = next((label for name, value, label in slice_labels if name == attribute and value is None), "")
    return listed, missing


def label_expression(attribute: str, slice_labels, column: str | None = None) -> tuple[str, dict]:
    """(SQL for the label of `column`'s raw value, its parameters); `column` defaults to `attribute`.

    `slice_labels` holds SLICE_LABELS' rows (attribute, value, label).  A value listed for the
    attribute gets its label there, any other value is its own text (as marts_slice_value
    spells it); NULL, which cannot be a key of transform(), has its own parameter.
    """
    column = column or attribute
    listed, missing = _labels(attribute, slice_labels)
    prefix = f"label_{attribute}"
    text = f"toString(assumeNotNull({column}))"
    sql = (f"if({column} is null, {{{prefix}_missing:String}}, "
           f"transform({text}, {{{prefix}_values:Array(String)}}, {{{prefix}_labels:Array(String)}}, {text}))")
    return sql, {f"{prefix}_missing": missing, f"{prefix}_values": list(listed),
                 f"{prefix}_labels": list(listed.values())}


def _raw_values_predicate(name: str, label: str, slice_labels) -> tuple[str, dict]:
    """SQL true where the raw attribute `name` has the label `label`: the raw values that carry
    it (the listed ones, and the label itself unless listed with another), or NULL if NULL's
    label is it.  Comparing raw values keeps a filtered read as cheap as an unlabelled one."""
    listed, missing = _labels(name, slice_labels)
    raw = [value for value, value_label in listed.items() if value_label == label]
    if label not in listed:
        raw.append(label)
    sql = (f"if({name} is null, {{slice_{name}_is_null_label:Bool}}, "
           f"toString(assumeNotNull({name})) in {{slice_{name}:Array(String)}})")
    return sql, {f"slice_{name}": raw, f"slice_{name}_is_null_label": missing == label}


def _slice_clause(name: str, label: str, slice_labels) -> tuple[str, dict]:
    if name == "age_bucket":
        return f"{AGE_BUCKET_EXPRESSION} = {{slice_age_bucket:String}}", {"slice_age_bucket": label}
    return _raw_values_predicate(name, label, slice_labels)


def slice_expression(name: str, slice_labels) -> tuple[str, dict]:
    """(SQL of a slice mart's attribute `name` as the breakdown marts spell it, parameters)."""
    if name == "age_bucket":
        return AGE_BUCKET_EXPRESSION, {}
    return label_expression(name, slice_labels)


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
        clause, clause_parameters = _slice_clause(name, value, filters.slice_labels)
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
