"""The HTML pages: the filter bar, a message for bad filters, and one card per panel view.

The server validates the filters before the page is drawn, so a bad URL gets a clear
message (HTTP 400) instead of charts; cards whose mart cannot answer the filters say why.
The browser then fetches each panel's rows from the JSON API and draws them.
"""

from __future__ import annotations

import os
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from feedstar.dashboard.db import WarehouseError
from feedstar.dashboard.filters import CHOICES, DATE_FILTERS, EXPERIMENT_GROUPS, FilterError, parse_filters
from feedstar.dashboard.pages import PAGES, PAGES_BY_PATH
from feedstar.dashboard.queries import PANELS
from feedstar.dashboard.queries.base import PanelUnavailable

TEMPLATES = Jinja2Templates(directory=os.path.join(os.path.dirname(__file__), "templates"))


def control(name: str, options, filters) -> dict:
    """How the filter bar shows one filter: its input kind, choices and current value."""
    if name in DATE_FILTERS:
        return {"name": name, "kind": "date", "value": getattr(filters, name).isoformat() if filters else ""}
    if name in CHOICES:
        return {"name": name, "kind": "select", "choices": list(CHOICES[name]), "blank": None,
                "value": getattr(filters, name) if filters else CHOICES[name][0]}
    if name in EXPERIMENT_GROUPS:
        groups = [value for value in options.values.get("exp_group", ()) if value.isdigit()] if options else []
        value = getattr(filters, name) if filters else None
        return {"name": name, "kind": "select", "choices": groups, "blank": "choose",
                "value": "" if value is None else str(value)}
    choices = list(options.values.get(name, ())) if options else []
    value = filters.slice_dict.get(name, "") if filters else ""
    return {"name": name, "kind": "select", "choices": choices, "blank": "all", "value": value}


def page_view(request: Request):
    page = PAGES_BY_PATH[request.url.path]
    options = filters = None
    message, status = None, 200
    try:
        options = request.app.state.options()
        filters = parse_filters(request.query_params.multi_items(), options)
    except FilterError as exc:
        message, status = f"Invalid filter '{exc.parameter}': {exc.message}", 400
    except WarehouseError as exc:
        message, status = exc.reason, exc.status
    if options is not None and options.last_date is None and message is None:
        message = "The marts are empty: load data and run `dbt build`, then reload this page."
    cards = []
    for index, card in enumerate(page.cards):
        unavailable = None
        if filters is not None:
            try:
                PANELS[card.panel].build(filters)
            except PanelUnavailable as exc:
                unavailable = str(exc)
        cards.append({"id": f"card-{index}", "card": card, "unavailable": unavailable})
    query = urlencode(filters.query_string_items()) if filters else ""
    context = {
        "page": page, "pages": PAGES, "cards": cards, "message": message, "query": query,
        "controls": [control(name, options, filters) for name in page.filters],
        "ready": filters is not None and message is None,
        "filters": filters,
        # the panels the browser should fetch: each once, and none if the page shows a message
        "panels": sorted({item["card"].panel for item in cards if not item["unavailable"]})
        if filters is not None and message is None else [],
    }
    return TEMPLATES.TemplateResponse(request, "page.html", context, status_code=status)
