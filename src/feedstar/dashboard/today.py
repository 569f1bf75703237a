"""The Today page: `/today` (HTML) and `/api/today?date=&slice=` (JSON), refreshed by the page
every minute without a reload.  `install(app)` adds both routes to the dashboard app."""

from __future__ import annotations

import datetime as dt
import os

from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route

from feedstar.dashboard.db import WarehouseError
from feedstar.dashboard.queries import today as query

HERE = os.path.dirname(__file__)


async def page(request):
    return FileResponse(os.path.join(HERE, "templates", "today.html"), media_type="text/html")


def data(request):
    reader = request.app.state.reader
    try:
        text = request.query_params.get("date")
        if text:
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                return JSONResponse({"error": f"date: {text!r} is not a date (YYYY-MM-DD)"}, status_code=400)
        else:
            day = query.newest_day(reader)
            if day is None:
                return JSONResponse({"error": "no intraday data yet: run `dbt build --select tag:intraday`"},
                                    status_code=404)
        available = query.slices(reader, day)
        slice_ = request.query_params.get("slice", "all")
        if slice_ not in available:
            return JSONResponse({"error": f"slice: {slice_!r} has no data on {day} (one of {', '.join(available) or 'none'})"},
                                status_code=400 if available else 404)
        return JSONResponse({**query.load(reader, day, slice_), "slices": available})
    except WarehouseError as exc:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)


def install(app) -> None:
    app.router.routes[0:0] = [Route("/today", page), Route("/api/today", data)]
