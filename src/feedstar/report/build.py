"""Build the report for one logical date: numbers from the marts, charts, text; files in a directory."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from feedstar.report import charts, data, render

FORMATS = ("markdown", "html")
FILE_NAMES = {"markdown": "report.md", "html": "report.html"}


@dataclass(frozen=True)
class BuiltReport:
    data: data.ReportData
    format: str
    subject: str
    document: Path      # report.md / report.html, the images linked by file name
    message: str        # the same text for a message, where the images travel as attachments
    images: list[Path]

    @property
    def date(self) -> dt.date:
        return self.data.date


def build_report(client, out_dir: Path, date: dt.date | None = None, fmt: str = "markdown") -> BuiltReport:
    """Read the marts through `client` (a clickhouse-connect client on the marts' database), draw
    the charts and write the report into `out_dir`."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    report_data = data.read_report_data(client, date)
    drawn = charts.draw_charts(report_data, out_dir)
    images = [(chart.name, chart.title) for chart in drawn]
    renderer = render.render_markdown if fmt == "markdown" else render.render_html
    document = out_dir / FILE_NAMES[fmt]
    document.write_text(renderer(report_data, images))
    return BuiltReport(report_data, fmt, render.title(report_data), document, renderer(report_data, ()),
                       [chart.path for chart in drawn])
