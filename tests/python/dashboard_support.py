"""Helpers the dashboard tests share: a real `feedstar dashboard` process, headless chromium."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

from dbt_profile import dbt_profiles_dir
from endpoint import free_port

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ARTIFACTS = os.path.join(REPO_ROOT, "test-artifacts")
CHROMIUM = "/usr/bin/chromium"
# Headless chromium flags: and nothing that reaches for the network.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def build_marts(endpoint, work: str, first: str, days: int, scale: float) -> None:
    """Fill `product` with `feedstar generate` and build the marts with `dbt run` (window given explicitly)."""
    import datetime as dt

    subprocess.run([sys.executable, "-m", "feedstar.cli", "generate", "--url", endpoint.url, "--start", first,
                    "--days", str(days), "--scale", str(scale), "--no-progress"],
                   check=True, capture_output=True, timeout=600)
    last = dt.date.fromisoformat(first) + dt.timedelta(days=days - 1)
    env = {**os.environ, "FEEDSTAR_CH_PORT": str(endpoint.port), "DBT_PROFILES_DIR": dbt_profiles_dir(),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    result = subprocess.run(
        # The daily marts only: the 15-minute models need their seeded rules (`dbt build` loads
        # seeds, `dbt run` does not) and no page here reads them.
        [os.path.join(os.path.dirname(sys.executable), "dbt"), "run", "--exclude", "tag:intraday", "--vars",
         f"{{start_date: {first}, end_date: {last}}}", "--target-path", os.path.join(work, "target"),
         "--log-path", os.path.join(work, "logs")],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"dbt run failed:\n{result.stdout[-3000:]}")


def readonly_url(endpoint, database: str = "analytics") -> str:
    """The endpoint as the dashboard sees it: its read-only user `dashboard`."""
    return f"http://dashboard@{endpoint.host}:{endpoint.port}/{database}"


@dataclass
class Dashboard:
    process: subprocess.Popen
    port: int
    log_path: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        with open(self.log_path) as handle:
            return handle.read()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_dashboard(url: str | None, log_dir: str, *args: str, timeout: float = 20,
                    env: dict | None = None) -> Dashboard:
    """Run `feedstar dashboard [--url URL] --port <free>` (in `env`) and wait until /healthz answers."""
    port = free_port()
    log_path = os.path.join(log_dir, f"dashboard-{port}.log")
    url_args = ["--url", url] if url else []
    process = subprocess.Popen(
        [sys.executable, "-m", "feedstar.cli", "dashboard", *url_args, "--port", str(port), *args],
        stdout=open(log_path, "w"), stderr=subprocess.STDOUT, env=env,
    )
    dashboard = Dashboard(process, port, log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"feedstar dashboard exited with {process.returncode}:\n{dashboard.log()}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{dashboard.url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return dashboard
        time.sleep(0.1)
    dashboard.stop()
    raise RuntimeError(f"feedstar dashboard did not answer within {timeout}s:\n{dashboard.log()}")


@contextlib.contextmanager
def chromium():
    """Debian's chromium, driven by Playwright (its own browser download does not work here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


class Visit:
    """One page load in a fresh tab, with every console error and uncaught exception recorded."""

    def __init__(self, browser, url: str, timeout_ms: float = 20000):
        # `browser` may be a Browser (a fresh context per tab) or a BrowserContext (shared cache)
        self.page = browser.new_page()
        self.page.set_viewport_size({"width": 1400, "height": 1000})
        self.console_errors: list[str] = []
        self.page.on("console", lambda message: message.type == "error" and self.console_errors.append(message.text))
        self.page.on("pageerror", lambda exc: self.console_errors.append(f"uncaught: {exc}"))
        self.response = self.page.goto(url)
        self.page.wait_for_selector("body[data-rendered='yes']", timeout=timeout_ms)

    def card(self, title: str):
        return self.page.locator("article.card", has=self.page.locator("h2", has_text=title))

    def kpi(self, card_title: str, field: str):
        """(the value the page holds, the text it shows) of one KPI tile."""
        value = self.card(card_title).locator(f".kpi[data-field='{field}'] .value")
        return value.get_attribute("data-value"), value.text_content()

    def table(self, card_title: str) -> list[dict]:
        """The card's data table as rows of {column: (raw JSON value, shown text)}."""
        cells = self.card(card_title).locator("table.data tbody tr").evaluate_all(
            "rows => rows.map(r => [...r.cells].map(c => [c.dataset.column, c.dataset.value, c.textContent]))")
        return [{column: (raw, text) for column, raw, text in row} for row in cells]

    def screenshot(self, name: str) -> str:
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, f"{name}.png")
        self.page.screenshot(path=path, full_page=True)
        return path

    def close(self):
        self.page.close()
