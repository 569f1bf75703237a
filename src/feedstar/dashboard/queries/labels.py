"""The labels the panels give the slice marts' raw attribute values: dbt's, never their own.

The slice marts (`agg_*_daily_activity`, `agg_experiment_daily`) keep raw attributes, NULL
when unknown; the breakdown marts store labels.  These helpers give the raw values the
marts' labels, so one filter value means the same on every page.
"""

from __future__ import annotations

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
# The attributes the slice marts can be filtered by.
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


def slice_clause(name: str, label: str, slice_labels) -> tuple[str, dict]:
    """(SQL true where a slice mart's attribute `name` has the label `label`, parameters)."""
    if name == "age_bucket":
        return f"{AGE_BUCKET_EXPRESSION} = {{slice_age_bucket:String}}", {"slice_age_bucket": label}
    return _raw_values_predicate(name, label, slice_labels)


def slice_expression(name: str, slice_labels) -> tuple[str, dict]:
    """(SQL of a slice mart's attribute `name` as the breakdown marts spell it, parameters)."""
    if name == "age_bucket":
        return AGE_BUCKET_EXPRESSION, {}
    return label_expression(name, slice_labels)
