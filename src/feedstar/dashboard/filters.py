"""The dashboard's filters: parsed from a URL's query string and validated before any SQL is built.

Every value is checked against an allow-list (fixed, or the values present in the marts)
and later bound as a query parameter; nothing from the URL ever becomes SQL text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

# Attribute filters, in the order the filter bar shows them.
SLICE_FILTERS = ("source", "os", "gender", "age_bucket", "country", "city", "exp_group")
# Choices that steer a page rather than slice users: name -> allowed values (first = default).
CHOICES = {
    "service": ("app", "feed", "messenger"),
    "cohort_period": ("day", "week"),
    "retention_mode": ("classic", "rolling"),
    "period": ("day", "week"),
}
EXPERIMENT_GROUPS = ("group_a", "group_b")
DATE_FILTERS = ("date_from", "date_to")
ALL_PARAMETERS = DATE_FILTERS + SLICE_FILTERS + tuple(CHOICES) + EXPERIMENT_GROUPS

MAX_RANGE_DAYS = 400  # longer ranges are not a dashboard question; they also guard the endpoint
DEFAULT_RANGE_DAYS = 30
MAX_VALUE_LENGTH = 100


class FilterError(ValueError):
    """A filter value the dashboard refuses; `parameter` names it and the message says why."""

    def __init__(self, parameter: str, message: str):
        super().__init__(message)
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class Options:
    """What the marts contain: the date extent and the values each attribute filter may take."""

    first_date: dt.date | None
    last_date: dt.date | None
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The days each row of agg_experiment_users_30d sums (dbt's window; None = not built).
    experiment_window_days: int | None = None
    # dbt's labels of raw attribute values: (attribute, value, label) rows of dim_slice_labels.
    slice_labels: tuple[tuple[str, str | None, str], ...] = ()


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date
    slices: tuple[tuple[str, str], ...] = ()  # (filter name, value), in SLICE_FILTERS order
    service: str = "app"
    cohort_period: str = "day"
    retention_mode: str = "classic"
    period: str = "day"
    group_a: int | None = None
    group_b: int | None = None
    # The last day the marts hold and the trailing mart's window (not filters: they let a
    # panel pick a pre-aggregated mart only when it covers the range exactly).
    last_loaded_date: dt.date | None = None
    experiment_window_days: int | None = None
    # (not a filter either: the labels the panels give raw values, Options.slice_labels)
    slice_labels: tuple[tuple[str, str | None, str], ...] = ()

    @property
    def slice_dict(self) -> dict[str, str]:
        return dict(self.slices)

    def query_string_items(self) -> list[tuple[str, str]]:
        """The filters as URL parameters (defaults left out), to keep them across pages."""
        items = [("date_from", self.date_from.isoformat()), ("date_to", self.date_to.isoformat())]
        items += list(self.slices)
        for name, allowed in CHOICES.items():
            if getattr(self, name) != allowed[0]:
                items.append((name, getattr(self, name)))
        for name in EXPERIMENT_GROUPS:
            if getattr(self, name) is not None:
                items.append((name, str(getattr(self, name))))
        return items


def parse_filters(params, options: Options) -> Filters:
    """Validate a query string (a mapping, or (name, value) pairs) against the marts' options."""
    pairs = list(params.items()) if isinstance(params, Mapping) else list(params)
    names = [name for name, _ in pairs]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise FilterError(repeated[0], f"Parameter '{_show(repeated[0])}' is given more than once.")
    params = dict(pairs)
    unknown = sorted(set(params) - set(ALL_PARAMETERS))
    if unknown:
        raise FilterError(unknown[0], f"Unknown parameter '{_show(unknown[0])}'. "
                                      f"Known parameters: {', '.join(ALL_PARAMETERS)}.")
    date_from, date_to = _parse_range(params, options)
    slices = []
    for name in SLICE_FILTERS:
        value = params.get(name, "")
        if value == "":
            continue
        allowed = options.values.get(name, ())
        if value not in allowed:
            shown = ", ".join(allowed[:20]) + (", ..." if len(allowed) > 20 else "")
            raise FilterError(name, f"Unknown {name} '{_show(value)}'. Choose one of: {shown or '(none in the marts)'}.")
        slices.append((name, value))
    choices = {}
    for name, allowed in CHOICES.items():
        value = params.get(name, "") or allowed[0]
        if value not in allowed:
            raise FilterError(name, f"{name} must be one of {', '.join(allowed)}; got '{_show(value)}'.")
        choices[name] = value
    groups = {name: _parse_group(name, params.get(name, ""), options) for name in EXPERIMENT_GROUPS}
    if groups["group_a"] is not None and groups["group_a"] == groups["group_b"]:
        raise FilterError("group_b", "group_a and group_b must be two different exp_groups.")
    return Filters(date_from, date_to, tuple(slices), **choices, **groups, last_loaded_date=options.last_date,
                   experiment_window_days=options.experiment_window_days, slice_labels=options.slice_labels)


def _parse_range(params, options: Options) -> tuple[dt.date, dt.date]:
    last = options.last_date or dt.date.today()
    date_to = _parse_date("date_to", params.get("date_to", "")) or last
    default_from = date_to - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if options.first_date is not None:
        default_from = max(default_from, options.first_date)
    date_from = _parse_date("date_from", params.get("date_from", "")) or min(default_from, date_to)
    if date_from > date_to:
        raise FilterError("date_from", f"date_from ({date_from}) is after date_to ({date_to}).")
    if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        raise FilterError("date_from", f"The date range is {(date_to - date_from).days + 1} days; "
                                       f"at most {MAX_RANGE_DAYS} days can be shown at once.")
    return date_from, date_to


def _parse_date(name: str, text: str) -> dt.date | None:
    if text == "":
        return None
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise FilterError(name, f"{name} must be a date written YYYY-MM-DD; got '{_show(text)}'.") from None


def _parse_group(name: str, text: str, options: Options) -> int | None:
    if text == "":
        return None
    allowed = tuple(value for value in options.values.get("exp_group", ()) if value.isdigit())
    if text not in allowed:
        raise FilterError(name, f"{name} must be an exp_group present in the marts ({', '.join(allowed)}); "
                                f"got '{_show(text)}'.")
    return int(text)


def _show(value: str) -> str:
    """A user's value, cut short and stripped of control characters, safe to put in a message."""
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in value)
    return cleaned if len(cleaned) <= MAX_VALUE_LENGTH else cleaned[:MAX_VALUE_LENGTH] + "..."
