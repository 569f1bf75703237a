"""Injected outages: `feedstar generate --incident START/DURATION:METRIC=FACTOR[,COLUMN=VALUE]`.

An incident thins the generated events of a time window, deterministically (each draw is a
hash of the seed, the incident's index and what it is about), so a test or a benchmark knows
exactly when and what broke:

| metric       | what disappears inside the window                                   | alerts it should raise |
|--------------|---------------------------------------------------------------------|------------------------|
| `feed_views` | all feed events (views and likes) of a share 1 - FACTOR of users     | feed views, feed users, likes, active users |
| `likes`      | a share 1 - FACTOR of likes (the like button fails, views go on)    | likes, CTR             |
| `messages`   | all messages of a share 1 - FACTOR of senders                       | messages, senders      |

FACTOR is in [0, 1) (0 = a total outage).  `,os=iOS` or `,source=ads` limits the incident to
events of that os / source.  Examples: `2026-11-29T14:00/30m:feed_views=0.4` (the feed loses
60% of its views for 30 minutes), `2026-11-29T20:15/1h:messages=0,os=iOS` (the iOS messenger
is down for an hour).  START is in the warehouse's clock (the server time zone, as `time`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import asdict, dataclass

from .options import InvalidOptions
from .randomness import TWO_POW_64

METRICS = {
    # metric: (table it thins, per-user draw?, extra condition)
    "feed_views": ("feed_actions", True, ""),
    "likes": ("feed_actions", False, "action = 'like'"),
    "messages": ("message_actions", True, ""),
}
SLICE_COLUMNS = ("os", "source")
MAX_DURATION = dt.timedelta(days=2)

_SPEC = re.compile(
    r"^(?P<start>\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)/(?P<amount>\d+)(?P<unit>[smh])"
    r":(?P<metric>[a-z_]+)=(?P<factor>[0-9.eE+-]+)(?:,(?P<column>[a-z_]+)=(?P<value>[^,]+))?$")
_UNITS = {"s": 1, "m": 60, "h": 3600}


@dataclass(frozen=True)
class Incident:
    start: dt.datetime
    end: dt.datetime
    metric: str
    factor: float
    column: str | None = None
    value: str | None = None

    @property
    def spec(self) -> str:
        minutes = int((self.end - self.start).total_seconds()) // 60
        where = f",{self.column}={self.value}" if self.column else ""
        return f"{self.start:%Y-%m-%dT%H:%M}/{minutes}m:{self.metric}={self.factor:g}{where}"

    def days(self) -> list[dt.date]:
        last = (self.end - dt.timedelta(seconds=1)).date()
        return [self.start.date() + dt.timedelta(days=i) for i in range((last - self.start.date()).days + 1)]

    def as_json(self) -> dict:
        row = asdict(self)
        row["start"], row["end"] = f"{self.start:%Y-%m-%d %H:%M:%S}", f"{self.end:%Y-%m-%d %H:%M:%S}"
        return row


def parse(spec: str) -> Incident:
    """One --incident value, validated; InvalidOptions (one line) otherwise."""
    match = _SPEC.match(spec.strip())
    if not match:
        raise InvalidOptions(
            f"--incident: {spec!r} is not START/DURATION:METRIC=FACTOR[,os=X|,source=X] "
            "(e.g. 2026-11-29T14:00/30m:feed_views=0.4)")
    try:
        start = dt.datetime.fromisoformat(match["start"].replace(" ", "T"))
    except ValueError:
        raise InvalidOptions(f"--incident: {match['start']!r} is not a date and time") from None
    duration = dt.timedelta(seconds=int(match["amount"]) * _UNITS[match["unit"]])
    if not dt.timedelta(0) < duration <= MAX_DURATION:
        raise InvalidOptions(f"--incident: duration in {spec!r} must be more than 0 and at most 2 days")
    if match["metric"] not in METRICS:
        raise InvalidOptions(f"--incident: unknown metric {match['metric']!r} (one of {', '.join(METRICS)})")
    try:
        factor = float(match["factor"])
    except ValueError:
        raise InvalidOptions(f"--incident: factor {match['factor']!r} is not a number") from None
    if not (math.isfinite(factor) and 0 <= factor < 1):
        raise InvalidOptions(f"--incident: factor {factor:g} is out of range (0 <= factor < 1: a share kept)")
    column = match["column"]
    if column is not None and column not in SLICE_COLUMNS:
        raise InvalidOptions(f"--incident: cannot limit to {column!r} (one of {', '.join(SLICE_COLUMNS)})")
    return Incident(start=start, end=start + duration, metric=match["metric"], factor=factor,
                    column=column, value=match["value"].strip() if column else None)


def to_json(incidents: list[Incident]) -> str:
    return json.dumps([incident.as_json() for incident in incidents])


def from_json(text: str | None) -> list[Incident]:
    rows = json.loads(text) if text else []
    return [Incident(start=dt.datetime.fromisoformat(row["start"]), end=dt.datetime.fromisoformat(row["end"]),
                     metric=row["metric"], factor=row["factor"], column=row.get("column"), value=row.get("value"))
            for row in rows]


def keep_condition(table: str, incidents: list[Incident], params: dict) -> str:
    """SQL: true for a row of `table` that the incidents leave in place.  Adds the bound
    parameters it uses to `params` (the slice value is user text: always a parameter)."""
    conditions = []
    for index, incident in enumerate(incidents):
        target, per_user, extra = METRICS[incident.metric]
        if target != table:
            continue
        keys = f"{index}, user_id" if per_user else f"{index}, user_id, post_id, time"
        draw = f"(sipHash64({{seed:UInt64}}, 'incident', {keys}) / {TWO_POW_64})"
        hit = [f"time >= {{inc{index}_start:DateTime}}", f"time < {{inc{index}_end:DateTime}}",
               f"{draw} >= {{inc{index}_factor:Float64}}"]
        params[f"inc{index}_start"], params[f"inc{index}_end"] = incident.start, incident.end
        params[f"inc{index}_factor"] = incident.factor
        if extra:
            hit.append(extra)
        if incident.column:
            # the column name comes from SLICE_COLUMNS, never from the user's text
            hit.append(f"{incident.column} = {{inc{index}_value:String}}")
            params[f"inc{index}_value"] = incident.value
        conditions.append("not (" + " and ".join(hit) + ")")
    return " and ".join(conditions) or "1"
