"""Every command README.md shows, taken from README.md itself and run on a small generated data set.

The commands are parsed out of the README's fenced bash blocks (and its inline `...`
commands), so a README edit that breaks one fails here.  They run in a throwaway copy of the
working tree (its `.venv` a link to this venv), against this module's own endpoint, as
written, except for what CI must change, and only that:

- every port becomes a free one and every `127.0.0.1:8123` this module's endpoint;
- `feedstar generate` gets `--scale 0.01` (instead of scale 1: ~51M events) and the
  endpoint's port (FEEDSTAR_CH_PORT, or its URL in place of the README's placeholder `--url`);
- `make demo` also gets SCALE, the ports and a throwaway DATA_DIR, and `-o .venv/bin/feedstar`
  (the install is this run's own; a copy must not re-point the editable install at itself);
  `make test` is only dry-run (`make -n`): CI is running it;
- each windowed `dbt build` runs twice: as written (dates before the unit tests' 2025-03-10)
  and with its dates moved 11 days later (after them); unit tests included both times.

A command this module does not know how to run fails the test: a new README command must be
added here, not silently skipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
import yaml
from endpoint import free_port

pytestmark = pytest.mark.slow

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
VENV = os.path.dirname(os.path.dirname(sys.executable))
SCALE = "0.01"
# dbt's last line: nothing failed or skipped (warnings allowed: a tiny data set trips the
# duplicates-stay-rare warning)
DBT_DONE = r"Done\. PASS=\d+ WARN=\d+ ERROR=0 SKIP=0"
SHIFT = dt.timedelta(days=11)  # the README's windows end 2025-03-09; shifted they start after 2025-03-10
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", ".feedstar", "target", "logs", "test-artifacts", "profiles.yml",
                                    "__pycache__", "*.egg-info", "dbt_packages", ".pytest_cache", "*.zip")


# -- the README --------------------------------------------------------------------------

def readme_section(title: str) -> str:
    """The text under the heading that contains `title`, up to the next heading of its level or above."""
    with open(os.path.join(REPO_ROOT, "README.md")) as handle:
        lines = handle.read().splitlines()
    for start, line in enumerate(lines):
        heading = re.match(r"(#+) ", line)
        if heading and title in line:
            level = len(heading.group(1))
            end = next((i for i in range(start + 1, len(lines))
                        if re.match(r"#{1,%d} " % level, lines[i])), len(lines))
            return "\n".join(lines[start + 1:end])
    raise AssertionError(f"README.md has no section {title!r}")


def strip_comment(line: str) -> str:
    """The line without a trailing `# comment` (a # outside quotes, after a blank or at the start)."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def fenced_blocks(text: str, language: str) -> list[str]:
    """The bodies of the ```<language> blocks in `text` ("" = blocks with no language)."""
    blocks, body, opened = [], [], None
    for line in text.splitlines():
        if opened is None and line.startswith("```"):
            opened, body = line[3:].strip(), []
        elif opened is not None and line.strip() == "```":
            if opened == language:
                blocks.append("\n".join(body) + "\n")
            opened = None
        elif opened is not None:
            body.append(line)
    return blocks


def bash_commands(title: str) -> list[str]:
    """The commands of the section's ```bash blocks: continuations joined, comments dropped."""
    commands = []
    for block in fenced_blocks(readme_section(title), "bash"):
        joined = ""
        for line in block.splitlines():
            line = strip_comment(line)
            if line.endswith("\\"):
                joined += line[:-1].rstrip() + " "
                continue
            joined += line.strip()
            if joined.strip():
                commands.append(" ".join(joined.split()))
            joined = ""
    assert commands, f"no bash commands under {title!r}"
    return commands


def inline_commands(title: str, prefix: str) -> list[str]:
    """The section's `inline code` that starts with `prefix` (a span may wrap onto the next line)."""
    prose = re.sub(r"^```.*?^```", "", readme_section(title), flags=re.S | re.M)
    spans = (" ".join(code.split()) for code in re.findall(r"`([^`]+)`", prose))
    return [code for code in spans if code.startswith(prefix)]


# -- running them ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def checkout(tmp_path_factory):
    """A copy of the working tree, as a fresh clone would have it, sharing this venv."""
    directory = str(tmp_path_factory.mktemp("readme") / "feedstar")
    shutil.copytree(REPO_ROOT, directory, ignore=NOT_COPIED, symlinks=True)
    os.symlink(VENV, os.path.join(directory, ".venv"))
    return directory


def shell_env(endpoint=None) -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FEEDSTAR_", "DBT_", "MAKE", "MFLAGS"))}
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    if endpoint is not None:
        env.update(FEEDSTAR_CH_PORT=str(endpoint.port))
    return env


def sh(checkout, command: str, endpoint=None, timeout: float = 600) -> str:
    """Run `command` with bash in the checkout; its output, or an AssertionError showing it."""
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=checkout, env=shell_env(endpoint),
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"$ {command}\nexit {done.returncode}\n{done.stdout[-5000:]}\n{done.stderr[-3000:]}"
    return done.stdout


class Background:
    """A README command that keeps running (a server): started in its own session, stopped by PID."""

    def __init__(self, checkout, command: str, endpoint=None):
        self.command = command
        self.log = open(os.path.join(checkout, f"background-{free_port()}.log"), "w+")
        self.process = subprocess.Popen(["bash", "-c", f"exec {command}" if "&&" not in command else command],
                                        cwd=checkout, env=shell_env(endpoint), stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def wait_for(self, url: str, timeout: float = 120) -> bytes:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    return response.read()
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.log.seek(0)
                    raise AssertionError(f"$ {self.command}\nexit {self.process.poll()}\n{self.log.read()[-4000:]}")
                time.sleep(0.5)

    def stop(self) -> int:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the command's own session only
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
        return self.process.returncode


def without_optional(command: str) -> str:
    """The command without its `[optional ...]` groups (which may nest: `[--remote-host HOST[:PORT] ...]`)."""
    kept, depth = [], 0
    for char in command:
        depth += (char == "[") - (char == "]")
        if depth == 0 and char != "]":
            kept.append(char)
    return " ".join("".join(kept).split())


def with_free_port(command: str, option: str = "--port") -> tuple[str, int]:
    port = free_port()
    changed, count = re.subn(rf"{option}[ =]\d+", f"{option} {port}", command)
    assert count == 1, f"expected one {option} N in: {command}"
    return changed, port


def product_days(client) -> list[dt.date]:
    return [row[0] for row in client.query(
        "select distinct toDate(time) as d from product.feed_actions order by d").result_rows]


def feed_users_per_day(client, database: str, days: list[dt.date]) -> dict:
    """Users with a feed event per day: from the raw events (product) or the fact (analytics)."""
    if database == "product":
        sql = ("select toDate(time) as d, uniqExact(user_id) from product.feed_actions "
               "where toDate(time) in {days:Array(Date)} group by d")
    else:
        sql = ("select date, count() from analytics.fact_daily_feed where date in {days:Array(Date)} "
               "group by date")
    return dict(client.query(sql, parameters={"days": days}).result_rows)


# -- "Two commands on a fresh machine" ---------------------------------------------------

def test_make_demo_then_make_stop(checkout, tmp_path):
    commands = bash_commands("Two commands on a fresh machine")
    assert [command.split()[:2] for command in commands] == [["make", "demo"], ["make", "test"], ["make", "stop"]]
    ports = {"PORT": free_port(), "DASHBOARD_PORT": free_port(), "DOCS_PORT": free_port()}
    data_dir = str(tmp_path / "state" / "data")
    settings = " ".join(f"{name}={value}" for name, value in ports.items()) + f" DATA_DIR={data_dir}"
    pid_files = [os.path.join(data_dir, "feedstar-serve.pid"), str(tmp_path / "state" / "dashboard.pid")]
    try:
        demo = sh(checkout, f"{commands[0]} -o .venv/bin/feedstar SCALE={SCALE} {settings}", timeout=900)
        # it ends by printing what the README says it prints (with this run's ports and state dir)
        printed = fenced_blocks(readme_section("Two commands on a fresh machine"), "")[0]
        expected = (printed.replace(":8123", f":{ports['PORT']}").replace(":8050", f":{ports['DASHBOARD_PORT']}")
                    .replace("--port 8081", f"--port {ports['DOCS_PORT']}").replace("=8123", f"={ports['PORT']}")
                    .replace(".feedstar/", str(tmp_path / "state") + "/"))
        assert expected in demo, demo[-2000:]
        with urllib.request.urlopen(f"http://127.0.0.1:{ports['DASHBOARD_PORT']}/healthz", timeout=10) as response:
            assert response.status == 200
        url = f"http://127.0.0.1:{ports['PORT']}/?query=" + "select+uniqExact(date)+from+analytics.fact_daily_feed"
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.read() == b"60\n"  # "60 days of realistic data"

        assert "pytest" in sh(checkout, commands[1].replace("make test", "make -n test"))

        pids = [int(open(path).read()) for path in pid_files]
        stopped = sh(checkout, f"{commands[2]} DATA_DIR={data_dir}")
        for pid, path in zip(pids, pid_files):
            assert f"stopped pid {pid}" in stopped
            assert not os.path.exists(path)
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:  # whatever failed, nothing `make demo` started outlives the test
        for path in pid_files:
            if os.path.exists(path):
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(open(path).read()), signal.SIGTERM)


# -- "The embedded endpoint" -------------------------------------------------------------

def test_feedstar_serve_and_curl(checkout):
    [serve] = bash_commands("The embedded endpoint")
    # the optional [--flag ...] groups are left out; the port is a free one
    serve = without_optional(serve) + f" --port {free_port()}"
    port = int(serve.rsplit(" ", 1)[1])
    server = Background(checkout, serve)
    try:
        assert server.wait_for(f"http://127.0.0.1:{port}/ping") == b"Ok.\n"
        [curl] = [code for code in inline_commands("The embedded endpoint", "curl ")]
        assert sh(checkout, curl.replace(":8123", f":{port}")) == "1\n"
        data_dir = os.path.join(checkout, serve.split("--path ")[1].split()[0])
        assert os.path.exists(os.path.join(data_dir, "feedstar-serve.pid"))
    finally:
        assert server.stop() == 0
    assert not os.path.exists(os.path.join(data_dir, "feedstar-serve.pid"))


# -- "Product data: feedstar generate" ---------------------------------------------------

def generate_for_ci(command: str, endpoint) -> str:
    assert command.startswith(".venv/bin/feedstar generate"), command
    words = shlex.split(command)
    if "--url" in words:  # the README's placeholder URL
        words[words.index("--url") + 1] = endpoint.url
    if "--scale" in words:
        words[words.index("--scale") + 1] = SCALE
    elif "--append-day" not in words and "--day" not in words:  # same scale as the data it appends to
        words += ["--scale", SCALE]
    return shlex.join(words + ["--no-progress"])


def expected_days(command: str, before: list[dt.date]) -> list[dt.date]:
    """The days `product` holds after `command`, from its flags and the README's defaults."""
    words = shlex.split(command)
    if "--if-absent" in words and before:
        return before
    if "--append-day" in words:
        return before + [before[-1] + dt.timedelta(days=1)]
    if "--day" in words:  # a day present is rewritten, the next one added
        day = dt.date.fromisoformat(words[words.index("--day") + 1])
        return before if day in before else before + [day]
    days = int(words[words.index("--days") + 1]) if "--days" in words else 60  # "60 days ending yesterday"
    start = (dt.date.fromisoformat(words[words.index("--start") + 1]) if "--start" in words
             else dt.date.today() - dt.timedelta(days=days))
    return [start + dt.timedelta(days=n) for n in range(days)]


def march_data(checkout, endpoint):
    """The README's March 2025 data set (its `--start 2025-03-01` command), at CI scale."""
    [command] = [c for c in bash_commands("Product data") if "--start 2025-03-01" in c]
    sh(checkout, generate_for_ci(command, endpoint), endpoint)


def test_feedstar_generate_commands(checkout, endpoint):
    commands = bash_commands("Product data")
    assert len(commands) >= 5
    client = endpoint.client()
    for command in commands:
        before = product_days(client) if client.command("exists table product.feed_actions") else []
        rows_before = client.command("select count() from product.feed_actions") if before else 0
        sh(checkout, generate_for_ci(command, endpoint), endpoint)
        assert product_days(client) == expected_days(command, before), command
        if "--if-absent" in command:
            assert client.command("select count() from product.feed_actions") == rows_before


# -- "The warehouse: dbt" ----------------------------------------------------------------

def window_days(command: str) -> list[dt.date]:
    """The logical days a `--vars '{start_date: ..., end_date: ...}'` command loads."""
    words = shlex.split(command)
    window = yaml.safe_load(words[words.index("--vars") + 1])
    start = dt.date.fromisoformat(str(window["start_date"]))
    end = dt.date.fromisoformat(str(window.get("end_date") or start))
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


def shifted(command: str) -> str:
    return re.sub(r"\d{4}-\d{2}-\d{2}", lambda m: (dt.date.fromisoformat(m.group()) + SHIFT).isoformat(), command)


def test_dbt_commands(checkout, endpoint):
    commands = bash_commands("The warehouse: dbt")
    march_data(checkout, endpoint)
    client = endpoint.client()
    all_days = product_days(client)
    raw = feed_users_per_day(client, "product", all_days)
    setup, ran = [], []
    for command in commands:
        if command.startswith("export "):
            setup.append(command)
            continue
        prefix = "; ".join(setup) + "; " if setup else ""
        if " docs serve" in command:
            served, port = with_free_port(command)
            docs = Background(checkout, prefix + served, endpoint)
            try:
                assert b"dbt" in docs.wait_for(f"http://127.0.0.1:{port}/", timeout=300)
                assert os.path.exists(os.path.join(checkout, "target", "catalog.json"))
            finally:
                docs.stop()
            ran.append("docs")
        elif command.startswith(".venv/bin/dbt build --vars"):
            for variant in (command, shifted(command)):
                days = window_days(variant)
                assert set(days) <= set(all_days), (variant, all_days)
                for day in days:  # so that the load has to write them again
                    client.command(f"alter table analytics.fact_daily_feed drop partition '{day}'")
                output = sh(checkout, prefix + variant, endpoint)
                assert re.search(DBT_DONE, output), output[-3000:]
                assert "unit_test" in output  # the unit tests ran inside the window
                assert feed_users_per_day(client, "analytics", days) == {day: raw[day] for day in days}
            ran.append("window")
        elif command.startswith(".venv/bin/dbt "):
            output = sh(checkout, prefix + command, endpoint)
            assert re.search(DBT_DONE, output), output[-3000:]
            assert feed_users_per_day(client, "analytics", all_days) == raw
            ran.append(command.split()[1])
        else:
            raise AssertionError(f"README command not covered by this test: {command}")
    assert sorted(ran) == sorted(["build", "run", "window", "window", "docs"]), ran


# -- "Dashboards" ------------------------------------------------------------------------

def test_feedstar_dashboard_command(checkout, endpoint, tmp_path):
    [command] = inline_commands("Dashboards", ".venv/bin/feedstar dashboard")
    command, port = with_free_port(command.replace("127.0.0.1:8123", f"127.0.0.1:{endpoint.port}"))
    dashboard = Background(checkout, command, endpoint)
    try:
        assert dashboard.wait_for(f"http://127.0.0.1:{port}/healthz", timeout=60)
    finally:
        assert dashboard.stop() == 0


def test_superset_bundle_command(checkout):
    import zipfile

    [command] = inline_commands("Superset", ".venv/bin/python superset/make_bundle.py")
    uri = shlex.split(command)[shlex.split(command).index("--uri") + 1]
    sh(checkout, command)
    with zipfile.ZipFile(os.path.join(checkout, "feedstar_superset.zip")) as bundle:
        names = bundle.namelist()
        database = yaml.safe_load(bundle.read("feedstar/databases/feedstar.yaml"))
    assert database["sqlalchemy_uri"] == uri
    assert len([name for name in names if name.startswith("feedstar/charts/")]) == 8
