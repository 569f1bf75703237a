"""What a `feedstar generate` run is asked to do, validated before anything is touched."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

DEFAULT_DAYS = 60
MAX_DAYS = 3650
MAX_SCALE = 100.0
MAX_SEED = 2**63 - 1


class InvalidOptions(ValueError):
    """A flag value that cannot be used; the message is one line naming the flag."""


@dataclass(frozen=True)
class Plan:
    """A validated full run: the window [start, end] and how to fill it."""

    start: dt.date
    days: int
    scale: float
    seed: int
    late_share: float

    @property
    def end(self) -> dt.date:
        return self.start + dt.timedelta(days=self.days - 1)

    def dates(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]


def parse_date(value: str | dt.date | None, flag: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidOptions(f"{flag}: {value!r} is not a date (expected YYYY-MM-DD)") from None


def _number(value, flag: str, kind):
    """`value` as int/float; flags arrive as text from the CLI so every error is one line."""
    if isinstance(value, bool):
        raise InvalidOptions(f"{flag}: {value!r} is not a number")
    if isinstance(value, (int, float)) and (kind is float or isinstance(value, int)):
        return kind(value)
    try:
        return kind(str(value).strip())
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise InvalidOptions(f"{flag}: {value!r} is not {what}") from None


def check_days(days) -> int:
    days = _number(days, "--days", int)
    if days < 1 or days > MAX_DAYS:
        raise InvalidOptions(f"--days: {days} is out of range (1..{MAX_DAYS})")
    return days


def check_scale(scale) -> float:
    scale = _number(scale, "--scale", float)
    if not math.isfinite(scale) or scale <= 0 or scale > MAX_SCALE:
        raise InvalidOptions(f"--scale: {scale:g} is out of range (greater than 0, at most {MAX_SCALE:g})")
    return scale


def check_seed(seed) -> int:
    seed = _number(seed, "--seed", int)
    if seed < 0 or seed > MAX_SEED:
        raise InvalidOptions(f"--seed: {seed!r} is out of range (0..{MAX_SEED})")
    return seed


def check_late_share(late_share) -> float:
    late_share = _number(late_share, "--late-share", float)
    if not math.isfinite(late_share) or late_share < 0 or late_share > 1:
        raise InvalidOptions(f"--late-share: {late_share:g} is out of range (0..1)")
    return late_share


def make_plan(start=None, days=DEFAULT_DAYS, scale=1.0, seed=0, late_share=0.0,
              today: dt.date | None = None) -> Plan:
    """Validate every flag; default window = `days` days ending yesterday."""
    days = check_days(days)
    start = parse_date(start, "--start")
    if start is None:
        today = today or dt.date.today()
        start = today - dt.timedelta(days=days)
    end = start + dt.timedelta(days=days - 1)
    # DateTime covers 1970..2106; keep the whole window (and the users before it) inside.
    if start < dt.date(1971, 1, 1) or end > dt.date(2105, 12, 31):
        raise InvalidOptions(f"--start: {start} with --days {days} is outside 1971-01-01..2105-12-31")
    return Plan(start=start, days=days, scale=check_scale(scale), seed=check_seed(seed),
                late_share=check_late_share(late_share))
