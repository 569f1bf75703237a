"""The PNG sent with an alert: the metric's 15-minute curve today against the same weekday a
week earlier, the rule's band, and the anomalous slot marked (matplotlib, Agg: no display)."""

from __future__ import annotations

import datetime as dt

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _hours(slot_starts):
    return [t.hour + t.minute / 60 for t in slot_starts]


def render(path: str, *, title: str, today: list[tuple], last_week: list[tuple], band: list[tuple],
           marked: dt.datetime | None) -> str:
    """today / last_week: (slot_start, value); band: (slot_start, lower, upper). Returns path."""
    figure, axes = plt.subplots(figsize=(8, 3.6), dpi=100)
    if band:
        axes.fill_between(_hours([b[0] for b in band]), [b[1] for b in band], [b[2] for b in band],
                          color="#9ecae1", alpha=0.45, step="mid", label="expected band")
    if last_week:
        axes.plot(_hours([p[0] for p in last_week]), [p[1] for p in last_week], color="#999999",
                  linestyle="--", linewidth=1.2, label="same day last week")
    if today:
        axes.plot(_hours([p[0] for p in today]), [p[1] for p in today], color="#d62728", linewidth=1.8, label="today")
    if marked is not None:
        values = [v for t, v in today if t == marked]
        if values:
            axes.scatter(_hours([marked]), values, s=70, facecolors="none", edgecolors="black", zorder=5,
                         label="anomaly")
    axes.set_xlim(0, 24)
    axes.set_xticks(range(0, 25, 3))
    axes.set_xlabel("hour of the day")
    axes.set_title(title, fontsize=10)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, loc="upper left")
    figure.tight_layout()
    figure.savefig(path, format="png")
    plt.close(figure)
    return path
