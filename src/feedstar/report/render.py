"""The report as text: Markdown (chats, report.md) or HTML (e-mail, report.html).

Laid out for a phone: one short line per metric (value, then the change against the day
before and against the same weekday a week before, with an arrow), no wide tables in
Markdown (most chat apps do not draw them).  A value whose day is not loaded reads
"not loaded"; an undefined one (no views, no cohort) reads "n/a"; neither is ever 0.
"""

from __future__ import annotations

import html

from feedstar.report.data import NOT_LOADED, Metric, ReportData

SERVICE_TITLES = {"app": "App", "feed": "Feed", "messenger": "Messenger"}
UP, DOWN, FLAT = "▲", "▼", "="


def title(data: ReportData) -> str:
    return f"feedstar morning report — {data.date:%a %d %b %Y}"


def value_text(metric: Metric, value) -> str:
    if value is NOT_LOADED:
        return "not loaded"
    if value is None:
        return "n/a"
    if metric.kind == "ratio":
        return _percent(value)
    if metric.kind == "mean":
        return f"{value:,.2f}"
    return f"{value:,}"


def _percent(value) -> str:
    return f"{value * 100:.1f}%" if value is not None else "n/a"


def delta_parts(metric: Metric, against: str) -> tuple[str, str]:
    """(arrow, text) of the change against 'day_before' or 'week_before'."""
    old = getattr(metric, against)
    change = metric.delta(against)
    if change is None:
        if metric.today is NOT_LOADED:
            return "", "—"
        if old is NOT_LOADED:
            return "", "not loaded"
        return "", "n/a"
    absolute, relative = change
    arrow = UP if absolute > 0 else DOWN if absolute < 0 else FLAT
    if metric.kind == "ratio":
        text = f"{absolute * 100:+.1f} pp"
    elif metric.kind == "mean":
        text = f"{absolute:+,.2f}"
    else:
        text = f"{absolute:+,}"
    if relative is not None:
        text += f" ({relative * 100:+.1f}%)"
    return arrow, text.replace("-", "−")


def _comparison_labels(data: ReportData) -> tuple[str, str]:
    return f"vs {data.day_before:%a %d %b}", f"vs {data.week_before:%a %d %b}"


def _status_line(data: ReportData) -> str:
    if not data.is_loaded(data.date):
        newest = f"the newest loaded day is {data.newest_loaded:%a %d %b %Y}" if data.newest_loaded else "no day is loaded"
        return f"{data.date:%a %d %b %Y} is not loaded yet ({newest}): its numbers are shown as not loaded."
    return ""


def render_markdown(data: ReportData, images: list[tuple[str, str]] = ()) -> str:
    """The report in Markdown; `images` = [(file name, caption)] are linked at the end."""
    day_label, week_label = _comparison_labels(data)
    lines = [f"# {title(data)}", ""]
    status = _status_line(data)
    if status:
        lines += [f"**{status}**", ""]
    lines += [f"Changes: d/d {day_label}, w/w {week_label}.", ""]
    for service, metrics in data.headline.items():
        lines += [f"## {SERVICE_TITLES[service]}", ""]
        for metric in metrics:
            lines.append(_markdown_metric(metric))
        lines.append("")
    lines += ["## Top 5 posts", ""]
    if data.top_posts is NOT_LOADED:
        lines.append("not loaded")
    elif not data.top_posts:
        lines.append("no post was viewed")
    else:
        for post in data.top_posts:
            lines.append(f"{post.rank}. post {post.post_id}: {post.views:,} views, {post.likes:,} likes, "
                         f"CTR {_percent(post.ctr)}, {post.unique_viewers:,} viewers")
    lines.append("")
    for name, caption in images:
        lines += [f"![{caption}]({name})", ""]
    return "\n".join(lines).rstrip() + "\n"


def _markdown_metric(metric: Metric) -> str:
    text = f"- **{metric.label}** {value_text(metric, metric.today)}"
    if metric.note:
        text += f" ({metric.note})"
    parts = []
    for against, tag in (("day_before", "d/d"), ("week_before", "w/w")):
        arrow, change = delta_parts(metric, against)
        parts.append(f"{arrow} {change} {tag}".strip())
    return text + " · " + " · ".join(parts)


def render_html(data: ReportData, images: list[tuple[str, str]] = ()) -> str:
    """The report as one HTML page (inline CSS, images by file name); colours: green up, red down."""
    day_label, week_label = _comparison_labels(data)
    esc = html.escape
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title(data))}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:42rem;margin:auto;padding:0.5rem;font-size:16px}"
        "table{border-collapse:collapse;width:100%}td,th{padding:0.3rem 0.4rem;border-bottom:1px solid #ddd;"
        "text-align:right}td:first-child,th:first-child{text-align:left}.up{color:#1a7f37}.down{color:#c0392b}"
        ".missing{color:#a33;font-style:italic}img{width:100%;height:auto}small{color:#555}</style>",
        "</head><body>",
        f"<h1>{esc(title(data))}</h1>",
    ]
    status = _status_line(data)
    if status:
        out.append(f'<p class="missing"><strong>{esc(status)}</strong></p>')
    for service, metrics in data.headline.items():
        out.append(f"<h2>{SERVICE_TITLES[service]}</h2>")
        out.append(f"<table><tr><th>metric</th><th>{data.date:%a %d %b}</th>"
                   f"<th>{esc(day_label)}</th><th>{esc(week_label)}</th></tr>")
        for metric in metrics:
            value = value_text(metric, metric.today)
            value_class = ' class="missing"' if metric.today is NOT_LOADED else ""
            label = esc(metric.label) + (f"<br><small>{esc(metric.note)}</small>" if metric.note else "")
            cells = [f"<td>{label}</td>", f"<td{value_class}><strong>{esc(value)}</strong></td>"]
            for against in ("day_before", "week_before"):
                arrow, change = delta_parts(metric, against)
                css = {UP: "up", DOWN: "down"}.get(arrow, "missing" if change == "not loaded" else "")
                cells.append(f'<td class="{css}">{esc((arrow + " " + change).strip())}</td>')
            out.append("<tr>" + "".join(cells) + "</tr>")
        out.append("</table>")
    out.append("<h2>Top 5 posts</h2>")
    if data.top_posts is NOT_LOADED:
        out.append('<p class="missing">not loaded</p>')
    elif not data.top_posts:
        out.append("<p>no post was viewed</p>")
    else:
        out.append("<table><tr><th>#</th><th>post</th><th>views</th><th>likes</th><th>CTR</th></tr>")
        for post in data.top_posts:
            out.append(f"<tr><td>{post.rank}</td><td>{post.post_id}</td><td>{post.views:,}</td>"
                       f"<td>{post.likes:,}</td><td>{_percent(post.ctr)}</td></tr>")
        out.append("</table>")
    for name, caption in images:
        out.append(f'<p><img src="{esc(name)}" alt="{esc(caption)}"></p>')
    out.append("</body></html>")
    return "\n".join(out) + "\n"
