"""The JSON API: `/api/panels/<panel>` (one panel's rows for the URL's filters) and `/api/options`.

Thin routes: parse filters, run one panel query, serialise.  Bad input is a 4xx with a
message naming the parameter; an unreachable or unbuilt warehouse is a 502/503.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from starlette.requests import Request
from starlette.responses import JSONResponse

from feedstar.dashboard.db import WarehouseError
from feedstar.dashboard.filters import FilterError, parse_filters
from feedstar.dashboard.queries import PANELS
from feedstar.dashboard.queries.base import PanelUnavailable, run


def json_value(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def error(status: int, message: str, parameter: str | None = None) -> JSONResponse:
    body = {"error": message}
    if parameter:
        body["parameter"] = parameter
    return JSONResponse(body, status_code=status)


def panel_data(request: Request) -> JSONResponse:
    name = request.path_params["name"]
    panel = PANELS.get(name)
    if panel is None:
        return error(404, f"No panel named '{name[:100]}'. Panels: {', '.join(PANELS)}.")
    try:
        filters = parse_filters(request.query_params.multi_items(), request.app.state.options())
        result = run(request.app.state.reader, panel, filters)
    except FilterError as exc:
        return error(400, exc.message, exc.parameter)
    except PanelUnavailable as exc:
        return error(400, str(exc))
    except WarehouseError as exc:
        return error(exc.status, exc.reason)
    columns = [field.name for field in dataclasses.fields(panel.Row)]
    return JSONResponse({
        "panel": name,
        "mart": result.mart,
        "filters": dict(filters.query_string_items()),
        "columns": columns,
        "rows": [[json_value(getattr(row, column)) for column in columns] for row in result.rows],
    })


def options(request: Request) -> JSONResponse:
    try:
        found = request.app.state.options()
    except WarehouseError as exc:
        return error(exc.status, exc.reason)
    return JSONResponse({
        "first_date": json_value(found.first_date),
        "last_date": json_value(found.last_date),
        "values": {name: list(values) for name, values in found.values.items()},
    })
