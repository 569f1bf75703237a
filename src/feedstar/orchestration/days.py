"""Which logical day a DAG run loads, and whether that day may be loaded at all.

The run that fires at 03:00 UTC on day X loads day X-1.  With
`CronTriggerTimetable("0 3 * * *", interval=timedelta(days=1))` that run's data interval
is [X-1 03:00, X 03:00), so the day is the *date of the interval start*.  Manual runs and
`dag.test(logical_date=T)` get the interval [T - 1 day, T), so the rule is the same:
the day before the logical date.  Runs without a logical date (Airflow 3 allows them)
fall back to run_after.  Why not `ds`: in Airflow 3 a `@daily` run's ds is the day it
fires, not the day whose data is complete.
"""

from __future__ import annotations

import datetime as dt


class LoadRefused(ValueError):
    """The run asks for something that can never succeed: retrying will not help."""


class SourceNotArrived(RuntimeError):
    """The day's events are not (all) in the sources yet: a later retry may succeed."""


def day_to_load(
    data_interval_start: dt.datetime | None,
    logical_date: dt.datetime | None,
    run_after: dt.datetime | None,
) -> dt.date:
    """The logical day (UTC) a run loads; see the module docstring for the rule."""
    if data_interval_start is not None:
        return _utc(data_interval_start).date()
    anchor = logical_date or run_after
    if anchor is None:
        raise LoadRefused("the run has no data interval, logical date or run_after: cannot tell which day to load")
    return _utc(anchor).date() - dt.timedelta(days=1)


def refuse_unfinished_day(day: dt.date, today: dt.date) -> None:
    """LoadRefused if `day` is today or later (UTC): its events cannot all be there yet."""
    if day >= today:
        raise LoadRefused(
            f"refusing to load {day}: that day is not over yet (today is {today} UTC); "
            "a run loads the day before its logical date"
        )


def refuse_day_before_data(day: dt.date, first_source_day: dt.date | None) -> None:
    """LoadRefused if the sources are empty or `day` lies before their first event."""
    if first_source_day is None:
        raise LoadRefused(f"refusing to load {day}: the source tables hold no events at all")
    if day < first_source_day:
        raise LoadRefused(
            f"refusing to load {day}: it is before the data starts (first event day {first_source_day})"
        )


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc)
