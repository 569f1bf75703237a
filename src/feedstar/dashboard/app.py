"""The Starlette app: pages, JSON API, and static files (Chart.js vendored under static/vendor)."""

from __future__ import annotations

import contextlib
import os
import threading
import time

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from feedstar.dashboard import api, today
from feedstar.dashboard.db import MartReader
from feedstar.dashboard.filters import Options
from feedstar.dashboard.pages import PAGES
from feedstar.dashboard.queries.options import load_options
from feedstar.chclient import Connection

HERE = os.path.dirname(__file__)
OPTIONS_TTL_SECONDS = 60  # the marts change once a day; a minute-old filter list is fine


class OptionsCache:
    """The filter choices, re-read from the marts at most once a minute."""

    def __init__(self, reader: MartReader):
        self._reader = reader
        self._lock = threading.Lock()
        self._value: Options | None = None
        self._loaded_at = 0.0

    def __call__(self) -> Options:
        with self._lock:
            if self._value is None or time.monotonic() - self._loaded_at > OPTIONS_TTL_SECONDS:
                self._value = load_options(self._reader)
                self._loaded_at = time.monotonic()
            return self._value


def health(request):
    return PlainTextResponse("ok\n")


def create_app(warehouse: Connection) -> Starlette:
    from feedstar.dashboard.views import page_view

    reader = MartReader(warehouse)
    routes = [Route(page.path, page_view) for page in PAGES] + [
        Route("/api/panels/{name}", api.panel_data),
        Route("/api/options", api.options),
        Route("/healthz", health),
        Mount("/static", StaticFiles(directory=os.path.join(HERE, "static")), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        reader.close()

    app = Starlette(routes=routes, middleware=[Middleware(GZipMiddleware, minimum_size=1000)], lifespan=lifespan)
    app.state.reader = reader
    app.state.options = OptionsCache(reader)
    today.install(app)  # /today and /api/today (dashboard/today.py)
    return app
