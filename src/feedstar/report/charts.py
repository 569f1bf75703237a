"""The report's charts: PNGs drawn headless (matplotlib's Agg backend), sized for a phone.

Each chart is 1120 px wide (7 in at 160 dpi), with 13-15 pt text, thick lines, one tick a
week (Mondays, "03 Mar"), the legend above the plot (never over a line) and the report
day's value written beside its point.  A day a mart does not hold is a gap in the line and
is named under the chart: a missing day is never drawn as zero.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

from feedstar.report.data import NOT_LOADED, ReportData

DPI = 160
WIDTH_IN = 7.0
COLOURS = {"app": "#1f5fbf", "feed": "#e07b00", "messenger": "#2a9d4b",
           "senders": "#2a9d4b", "receivers": "#7a4fbf", "new_users": "#1f5fbf"}
OTHER_COLOURS = ("#1f5fbf", "#e07b00", "#7a4fbf", "#c0392b", "#555555")


@dataclass(frozen=True)
class Chart:
    name: str   # file name
    title: str  # alt text / caption
    path: Path


def draw_charts(data: ReportData, out_dir: Path) -> list[Chart]:
    """Write the report's PNGs into `out_dir`; the charts, in the order the report shows them."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    charts = [
        _dau_and_new_users(data, out_dir / "dau.png"),
        _ctr_by_os(data, out_dir / "ctr_by_os.png"),
        _messenger(data, out_dir / "messenger.png"),
    ]
    return charts


def _style():
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "font.size": 13, "axes.titlesize": 15, "axes.labelsize": 13, "xtick.labelsize": 12,
        "ytick.labelsize": 12, "legend.fontsize": 12, "axes.spines.top": False, "axes.spines.right": False,
        "axes.grid": True, "grid.alpha": 0.3, "lines.linewidth": 2.6,
    })
    return plt


def _values(series: list) -> list[float]:
    """Chart values: a missing (not loaded) or undefined day is NaN, i.e. a gap."""
    return [float(v) if isinstance(v, (int, float)) and v is not NOT_LOADED else math.nan for v in series]


def _missing_note(data: ReportData, mart: str) -> str:
    missing = [day for day in data.days if day not in data.loaded.get(mart, set())]
    if not missing:
        return ""
    runs, start, previous = [], missing[0], missing[0]
    for day in missing[1:] + [None]:
        if day is not None and day - previous == dt.timedelta(days=1):
            previous = day
            continue
        runs.append(f"{start:%d %b}" if start == previous else f"{start:%d %b}–{previous:%d %b}")
        if day is not None:
            start = previous = day
    return "Not loaded (no data drawn): " + ", ".join(runs)


def _format_axis(ax, data: ReportData, percent: bool = False):
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.set_xlim(data.days[0] - dt.timedelta(hours=12), data.days[-1] + dt.timedelta(days=2.5))
    ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, min_n_ticks=3))
    if percent:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v * 100:.0f}%"))
    else:
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _compact(v)))
    ax.set_ylim(bottom=0)


def _compact(value: float) -> str:
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M".replace(".0M", "M")
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    if abs(value) >= 1000:
        return f"{value / 1000:.1f}k".replace(".0k", "k")
    return f"{value:.0f}"


def _lines(ax, data: ReportData, lines: dict[str, list], colours: dict[str, str], percent: bool = False):
    """One line per series; the report day's value written beside its last point."""
    labels_at = []
    for index, (label, series) in enumerate(lines.items()):
        values = _values(series)
        colour = colours.get(label, OTHER_COLOURS[index % len(OTHER_COLOURS)])
        ax.plot(data.days, values, color=colour, label=label, marker="o", markersize=3.5)
        if not math.isnan(values[-1]):
            labels_at.append((values[-1], colour))
    _format_axis(ax, data, percent)
    _label_last_points(ax, data, labels_at, percent)


def _label_last_points(ax, data: ReportData, labels_at, percent: bool):
    """Write each line's value for the report day right of the plot, spread apart vertically."""
    if not labels_at:
        return
    ax.figure.canvas.draw()  # final y-limits
    low, high = ax.get_ylim()
    gap = (high - low) * 0.09
    placed = []
    for value, colour in sorted(labels_at):
        y = max(value, placed[-1] + gap) if placed else value
        placed.append(y)
        text = f"{value * 100:.1f}%" if percent else _compact(value) if value >= 10_000 else f"{value:,.0f}"
        ax.annotate(text, xy=(data.days[-1], value), xytext=(data.days[-1] + dt.timedelta(days=0.6), y),
                    color=colour, fontsize=12, fontweight="bold", va="center")


def _title_and_legend(ax, text: str, columns: int):
    """The title, then one row of legend between it and the plot (never over a line)."""
    ax.set_title(text, loc="left", fontweight="bold", pad=30)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=columns, frameon=False, borderaxespad=0.2,
              handlelength=1.5, columnspacing=1.2)


def _finish(fig, path: Path, note: str):
    if note:  # (a suplabel: constrained layout makes room for it under the tick labels)
        fig.supxlabel(note, fontsize=11, color="#a33", x=0.01, ha="left")
    fig.savefig(path, dpi=DPI)
    import matplotlib.pyplot as plt

    plt.close(fig)


def _dau_and_new_users(data: ReportData, path: Path) -> Chart:
    plt = _style()
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(WIDTH_IN, 7.0), height_ratios=(3, 2), layout="constrained")
    _lines(top, data, data.series["dau"], COLOURS)
    _title_and_legend(top, "Daily active users, last 30 days", 3)
    new_users = _values(data.series["new_users"]["app"])
    bottom.bar(data.days, [0 if math.isnan(v) else v for v in new_users], width=0.75,
               color=[COLOURS["new_users"] if not math.isnan(v) else "none" for v in new_users])
    bottom.set_title("New users (first day in the app)", loc="left", fontweight="bold")
    _format_axis(bottom, data)
    if not math.isnan(new_users[-1]):
        bottom.annotate(f"{new_users[-1]:,.0f}", xy=(data.days[-1], new_users[-1]),
                        xytext=(data.days[-1] + dt.timedelta(days=0.6), new_users[-1]),
                        color=COLOURS["new_users"], fontsize=12, fontweight="bold", va="center")
    note = _missing_note(data, "agg_active_users")
    _finish(fig, path, note)
    return Chart(path.name, "Daily active users per service and new users, last 30 days", path)


def _ctr_by_os(data: ReportData, path: Path) -> Chart:
    plt = _style()
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 4.6), layout="constrained")
    _lines(ax, data, data.series["ctr_by_os"], {}, percent=True)
    _title_and_legend(ax, "Feed CTR (likes / views) by OS", 4)
    _finish(fig, path, _missing_note(data, "agg_feed_daily_activity"))
    return Chart(path.name, "Feed CTR by OS, last 30 days", path)


def _messenger(data: ReportData, path: Path) -> Chart:
    plt = _style()
    fig, ax = plt.subplots(figsize=(WIDTH_IN, 4.6), layout="constrained")
    series = {"senders": data.series["messenger"]["senders"], "receivers": data.series["messenger"]["receivers"]}
    _lines(ax, data, series, COLOURS)
    _title_and_legend(ax, "Messenger: senders vs receivers", 2)
    _finish(fig, path, _missing_note(data, "agg_messenger_daily_activity"))
    return Chart(path.name, "Messenger senders vs receivers, last 30 days", path)
