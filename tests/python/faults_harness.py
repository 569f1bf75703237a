"""Fault injection: kill dbt, the generator or the endpoint at a chosen statement, restart,
re-run the same command, and compare every table with an uninterrupted run.

Used by test_faults.py (a CI subset) and bench/bench_faults.py (the full matrix).  Nothing
here is a test by itself.

How a moment is chosen.  Every client talks to the endpoint through `StatementProxy`, a
small HTTP/1.1 relay that numbers the requests (one request = one statement).  A clean run
of a job from its starting state is recorded first: its statements (text, duration) give
the moments to try, and its tables are the expected result (an independent, uninterrupted
run of the same command on the same inputs).  A moment is (statement n, phase):

* `before`:   the victim dies before statement n reaches the endpoint (between n-1 and n);
* `during`:   it dies half-way through statement n's recorded duration (inside the INSERT,
              the ALTER ... REPLACE PARTITION, the OPTIMIZE ... FINAL);
* `answered`: statement n is done on the endpoint but the client never gets the answer
              (ClickHouse committed it; the client cannot know).

A moment aims at the clean run's statement n by its text (per-run ids blanked) and how many
times that text came before it, since dbt's statement numbers shift a little between runs
(dbt runs with one thread, so the order is otherwise the same); where the kill landed is
reported.  The
victim is the client process (dbt / `feedstar generate`) or the endpoint, killed with
SIGKILL; when the endpoint dies the client fails on its own and is waited for.  Then the
victim is restarted (the endpoint on the same data directory and port, without any manual
step), the same command runs again through the relay, and every table of `analytics` and
`product` is compared with the clean run: same tables, row counts, and a content checksum
`sum(cityHash64(tuple(columns)))` of the stored rows (floats rounded to 6 decimals: the
same sum over another thread order may differ in its last bits).  The bench makes the clean
run twice from the same state (the CI subset once, so every column must match there); a column whose content differs between those two (a value taken
from the clock) cannot be compared and is excluded for that job, and the bench prints which
(the star, the dashboard marts and the snapshot derive every value from the data and the
vars, so nothing of theirs should be there).  ReplacingMergeTree
tables are compared as stored (duplicates an interrupted OPTIMIZE left behind count) and
with FINAL, to tell "not merged yet" from "wrong rows".
"""

from __future__ import annotations

import dataclasses
import itertools
import datetime as dt
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from endpoint import Endpoint, free_port, start_endpoint  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)
DATABASES = ("analytics", "product")
# The data cross a month: the full build's lookback (3 days before 02-03) starts in January, so
# January stays open; the daily load of 02-04 (window 02-01..02-04) is the first to close it,
# so int_user_closed_history merges January's users and swaps its partition inside that job.
FIRST_DAY = dt.date(2025, 1, 29)
BASE_DAYS = 6                                   # 01-29..02-03 generated first
NEW_DAY = FIRST_DAY + dt.timedelta(days=BASE_DAYS)  # 02-04, added by `generate --day`
SCALE = "0.02"
LEFTOVER = re.compile(r"__dbt_(tmp|backup|new_data|distributed|new)|_tmp_|_backup$")
PHASES = ("before", "during", "answered")


# ------------------------------------------------------------------------------------------
# The relay that numbers statements and kills at one of them
# ------------------------------------------------------------------------------------------
class _Stream:
    def __init__(self, sock: socket.socket):
        self.sock, self.buffer = sock, b""

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buffer += data
        return True

    def until(self, marker: bytes) -> bytes | None:
        while marker not in self.buffer:
            if not self._fill():
                if self.buffer:
                    raise ConnectionError("truncated")
                return None
        head, self.buffer = self.buffer.split(marker, 1)
        return head + marker

    def exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            if not self._fill():
                raise ConnectionError("truncated")
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def rest(self) -> bytes:
        while self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data


def _headers(head: bytes) -> dict:
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}


def _read_body(stream: _Stream, headers: dict) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        raw = b""
        while True:
            line = stream.until(b"\r\n")
            if line is None:
                raise ConnectionError("truncated")
            raw += line
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:
                    trailer = stream.until(b"\r\n")
                    if trailer is None:
                        raise ConnectionError("truncated")
                    raw += trailer
                    if trailer == b"\r\n":
                        return raw
            raw += stream.exactly(size + 2)
    length = int(headers.get("content-length", "0") or 0)
    return stream.exactly(length) if length else b""


def _statement_text(head: bytes, body: bytes, headers: dict) -> str:
    """The statement's first 400 characters, per-run ids blanked first: cut before its end, an
    id would no longer look like one (`REPLACE PARTITION ... FROM <model>__dbt_new_data_<id>`
    of a long model name), and the statement would never match in another run."""
    target = head.split(b" ", 2)[1].decode("latin-1")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query).get("query", [""])[0]
    if query:
        return blank_ids(query[:4000])[:400]
    if headers.get("content-encoding") or "chunked" in headers.get("transfer-encoding", ""):
        return "<binary body>"
    return blank_ids(body[:4000].decode("utf-8", "replace"))[:400]


@dataclasses.dataclass
class Statement:
    index: int
    text: str
    duration: float = 0.0

    @property
    def kind(self) -> str:
        return statement_kind(self.text)


def blank_ids(text: str) -> str:
    """The text with per-run names (dbt's invocation ids, uuids) blanked."""
    return re.sub(r"[0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}|[0-9a-f]{32}", "#", text)


def same_statement(first: str, second: str) -> bool:
    return blank_ids(first) == blank_ids(second)


def statement_kind(text: str) -> str:
    lowered = " ".join(re.sub(r"/\*.*?\*/", " ", text, flags=re.S).split()).lower()
    lowered = re.sub(r"^(--[^\n]*\s*)+", "", lowered)
    if "replace partition" in lowered or lowered.startswith(("exchange", "rename")):
        return "swap"
    if lowered.startswith("optimize"):
        return "merge"
    if lowered.startswith("insert"):
        return "insert"
    if " delete " in f" {lowered} " and lowered.startswith(("alter", "delete")):
        return "mutation"
    if lowered.startswith(("alter", "truncate", "drop")):
        return "ddl"
    if lowered.startswith("create"):
        return "create"
    return "read"


@dataclasses.dataclass(frozen=True)
class Moment:
    index: int
    phase: str
    match: str = ""  # instead of an index: the first statement whose text has this (dbt with threads)

    def __str__(self) -> str:
        return f"{self.match!r}:{self.phase}" if self.match else f"#{self.index}:{self.phase}"

    same_as: str = ""  # or: the statement equal to this one (blank_ids) ...
    occurrence: int = 0  # ... the n-th time it is sent (statement numbers shift between dbt runs)

    def hits(self, statement: "Statement", seen: int = 0) -> bool:
        if self.same_as:
            return blank_ids(statement.text) == self.same_as and seen == self.occurrence
        return self.match in statement.text if self.match else self.index == statement.index


class StatementProxy:
    """HTTP/1.1 relay on a free port in front of the endpoint: numbers requests, kills at a moment."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.statements: list[Statement] = []
        self.moment: Moment | None = None
        self.kill = None          # callable, kills the victim
        self.victim = ""
        self.landed = ""          # where the kill actually landed
        self.landed_text = ""     # the statement it landed at
        self.seen: dict[str, int] = {}  # blanked text -> times sent in this run
        self.fired = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def reset(self, moment: Moment | None = None, kill=None, victim: str = "") -> None:
        with self.lock:
            self.statements, self.moment, self.kill, self.victim = [], moment, kill, victim
            self.seen = {}
            self.landed, self.landed_text = "", ""
            self.fired.clear()

    def _fire(self, landed: str, text: str = "") -> None:
        with self.lock:
            if self.fired.is_set():
                return
            self.fired.set()
            self.landed, self.landed_text = landed, text
            kill = self.kill
        kill()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = None
        stream = _Stream(client)
        try:
            while True:
                head = stream.until(b"\r\n\r\n")
                if head is None:
                    return
                headers = _headers(head)
                body = _read_body(stream, headers)
                with self.lock:
                    statement = Statement(len(self.statements), _statement_text(head, body, headers))
                    self.statements.append(statement)
                    key = blank_ids(statement.text)
                    seen = self.seen.get(key, 0)
                    self.seen[key] = seen + 1
                    armed = (self.moment is not None and self.moment.hits(statement, seen)
                             and not self.fired.is_set())
                    phase = self.moment.phase if armed else None
                if phase == "before":
                    self._fire(f"before #{statement.index}", statement.text)
                    return
                if upstream is None:
                    upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
                    upstream_stream = _Stream(upstream)
                started = time.monotonic()
                upstream.sendall(head + body)
                timer = None
                if phase == "during":
                    delay = self.during_delay
                    timer = threading.Timer(delay, self._kill_during, args=(statement, upstream))
                    timer.start()
                response, keep_alive = self._read_response(upstream_stream, head)
                statement.duration = time.monotonic() - started
                if timer is not None:
                    timer.cancel()
                if phase in ("during", "answered") and not self.fired.is_set():
                    self._fire(f"answered #{statement.index}", statement.text)
                if self.fired.is_set() and phase:
                    return
                client.sendall(response)
                if not keep_alive:
                    return
        except (OSError, ConnectionError, ValueError, IndexError):
            return
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    try:
                        sock.close()
                    except OSError:
                        pass

    during_delay = 0.0  # `during`: seconds after the statement is sent (half its clean duration)

    def _kill_during(self, statement: Statement, upstream: socket.socket) -> None:
        self._fire(f"during #{statement.index}", statement.text)
        if self.victim != "endpoint":
            # The dead client's connection closes: the endpoint sees the disconnect.
            try:
                upstream.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    @staticmethod
    def _read_response(stream: _Stream, request_head: bytes) -> tuple[bytes, bool]:
        upstream_stream = stream
        head = upstream_stream.until(b"\r\n\r\n")
        if head is None:
            raise ConnectionError("no response")
        headers = _headers(head)
        status = int(head.split(b" ", 2)[1])
        keep_alive = headers.get("connection", "").lower() != "close"
        if request_head.startswith(b"HEAD ") or status in (204, 304) or 100 <= status < 200:
            return head, keep_alive
        if "chunked" in headers.get("transfer-encoding", "").lower() or "content-length" in headers:
            try:
                return head + _read_body(upstream_stream, headers), keep_alive
            except ConnectionError:
                return head + upstream_stream.buffer, False
        return head + upstream_stream.rest(), False


# ------------------------------------------------------------------------------------------
# Jobs, states, comparison
# ------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Job:
    name: str
    state: str           # the starting state it runs from
    argv: tuple          # {url} is the relay's URL
    kind: str            # "dbt" or "generate"


def dbt(*args: str) -> tuple:
    return (os.path.join(BIN, "dbt"), *args)


JOBS = {
    "full build": Job("full build", "generated", dbt("build"), "dbt"),
    "daily load": Job("daily load", "appended",
                      dbt("build", "--vars", f"{{start_date: '{NEW_DAY}'}}",
                          "--exclude", "resource_type:unit_test"), "dbt"),
    "backfill": Job("backfill", "appended",
                    dbt("build", "--vars", f"{{start_date: '{FIRST_DAY + dt.timedelta(days=2)}', "
                                           f"end_date: '{NEW_DAY}'}}",
                        "--exclude", "resource_type:unit_test"), "dbt"),
    "append day": Job("append day", "built",
                      (sys.executable, "-m", "feedstar.cli", "generate", "--day", str(NEW_DAY), "--no-progress",
                       "--url", "{url}"), "generate"),
    "snapshot": Job("snapshot", "loaded", dbt("snapshot", "--vars", f"{{start_date: '{NEW_DAY}'}}"), "dbt"),
}


@dataclasses.dataclass
class Cycle:
    job: str
    victim: str
    moment: Moment
    statement: str = ""
    kind: str = ""
    landed: str = ""
    recovered: bool = False
    problems: list = dataclasses.field(default_factory=list)
    restart_log: str = ""
    seconds: float = 0.0


def _columns(client, database: str, table: str) -> list[tuple[str, str]]:
    """(name, expression compared) of a table's columns; floats rounded to 6 decimals."""
    columns = client.query(
        "select name, type from system.columns where database = {db:String} and table = {t:String} "
        "order by position", parameters={"db": database, "t": table}).result_rows
    return [(name, f"round(`{name}`, 6)" if "Float" in kind else f"`{name}`") for name, kind in columns]


def _tables(client) -> list[tuple[str, str, str]]:
    return client.query(
        "select database, name, engine from system.tables where database in {dbs:Array(String)} "
        "and not is_temporary order by database, name", parameters={"dbs": list(DATABASES)}).result_rows


def column_checksums(client) -> dict:
    """{db.table: {column: sum(cityHash64(column))}}: to find the columns two clean runs disagree on."""
    sums = {}
    for database, table, engine in _tables(client):
        if "View" in engine:
            continue
        columns = _columns(client, database, table)
        if not columns:
            continue
        row = client.query("select " + ", ".join(f"sum(cityHash64({expr}))" for _, expr in columns)
                           + f" from `{database}`.`{table}`").result_rows[0]
        sums[f"{database}.{table}"] = dict(zip((name for name, _ in columns), row))
    return sums


def table_checksums(client, excluded: dict | None = None) -> dict:
    """{db.table: (engine, rows, checksum, rows_final, checksum_final)} for every table of
    DATABASES (views: (engine,)); `excluded` {db.table: columns} are left out of the checksum."""
    sums = {}
    for database, table, engine in _tables(client):
        name = f"{database}.{table}"
        if "View" in engine:
            sums[name] = (engine,)
            continue
        skip = set((excluded or {}).get(name, ()))
        values = ", ".join(expr for column, expr in _columns(client, database, table) if column not in skip)
        select = f"select count(), sum(cityHash64(tuple({values or 0}))) from `{database}`.`{table}`"
        row = client.query(select).result_rows[0]
        final = client.query(select + " final").result_rows[0] if "Replacing" in engine else row
        sums[name] = (engine, *row, *final)
    return sums


def nondeterministic_columns(first: dict, second: dict) -> dict:
    """{db.table: [columns]} whose content differs between two clean runs of the same command
    on the same state (clock-derived values): they cannot be compared, so they are excluded."""
    return {table: sorted(column for column, value in columns.items() if first.get(table, {}).get(column) != value)
            for table, columns in second.items()
            if any(first.get(table, {}).get(column) != value for column, value in columns.items())}


def compare(expected: dict, actual: dict) -> list[str]:
    problems = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            problems.append(f"{name}: missing")
        elif name not in expected:
            kind = "leftover" if LEFTOVER.search(name) else "extra table"
            problems.append(f"{name}: {kind} ({actual[name][1] if len(actual[name]) > 1 else 'view'} rows)")
        elif expected[name] != actual[name]:
            want, got = expected[name], actual[name]
            if len(want) > 1 and want[3:] == got[3:]:
                problems.append(f"{name}: same rows with FINAL, but {got[1]} stored rows instead of {want[1]} "
                                "(an interrupted OPTIMIZE's duplicates)")
            elif len(want) > 1 and want[1] != got[1]:
                problems.append(f"{name}: {got[1]} rows instead of {want[1]}")
            else:
                problems.append(f"{name}: same row count ({got[1] if len(got) > 1 else '-'}), different content")
    return problems


def write_profile(directory: str, port: int) -> str:
    """A dbt profile of its own: the relay's port, one thread (statement n is the same
    statement in every run), nothing taken from the environment."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "profiles.yml"), "w") as handle:
        handle.write(
            "feedstar:\n  target: local\n  outputs:\n    local:\n      type: clickhouse\n"
            f"      driver: http\n      host: 127.0.0.1\n      port: {port}\n      user: default\n"
            "      password: ''\n      schema: analytics\n      secure: false\n      threads: 1\n"
            "      connect_timeout: 10\n      send_receive_timeout: 600\n"
            # as profiles.yml.example: no EXCHANGE probe (its tables are scratch tables too)
            "      check_exchange: false\n")
    return directory


class FaultHarness:
    """One endpoint behind a relay, the starting states as saved data directories, the jobs."""

    def __init__(self, workdir: str, project_dir: str | None = None, log=print, clean_runs: int = 2):
        self.workdir = os.path.abspath(workdir)
        self.log = log
        self.states_dir = os.path.join(self.workdir, "states")
        self.data_dir = os.path.join(self.workdir, "data")
        self.port = free_port()
        self.endpoint: Endpoint | None = None
        self.proxy = StatementProxy(self.port)
        # FEEDSTAR_FAULTS_PROJECT_DIR: run another copy of the dbt project (e.g. a commit's
        # `git archive` while the working tree is being edited).
        self.project_dir = os.path.abspath(project_dir or os.environ.get("FEEDSTAR_FAULTS_PROJECT_DIR") or REPO_ROOT)
        self.profiles_dir = write_profile(os.path.join(self.workdir, "profile"), self.proxy.port)
        self.target_dir = os.path.join(self.workdir, "dbt-target")
        self.references: dict[str, tuple[list[Statement], dict]] = {}
        self.excluded: dict[str, dict] = {}
        self.clean_runs = clean_runs  # 1: every column must match (no run to tell clock values apart)
        self.client_process: subprocess.Popen | None = None
        self.restarts: list[str] = []
        os.makedirs(self.states_dir, exist_ok=True)

    # -- processes --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.proxy.port}"

    def env(self) -> dict:
        return {**os.environ, "DBT_PROFILES_DIR": self.profiles_dir, "FEEDSTAR_CH_PORT": str(self.proxy.port),
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "FEEDSTAR_TARGET": "local",
                "DBT_TARGET_PATH": self.target_dir, "DBT_LOG_PATH": self.target_dir}

    def start(self) -> None:
        self.endpoint = start_endpoint(self.data_dir, port=self.port, timeout=60)

    def stop(self) -> None:
        if self.endpoint is not None:
            self.endpoint.stop()

    def client(self):
        return self.endpoint.client(send_receive_timeout=600)

    def run(self, argv: tuple, timeout: float = 600) -> subprocess.CompletedProcess:
        argv = [part.replace("{url}", self.url) for part in argv]
        process = subprocess.Popen(argv, cwd=self.project_dir, env=self.env(), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        self.client_process = process
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        return subprocess.CompletedProcess(argv, process.returncode, output)

    def must_run(self, argv: tuple) -> None:
        done = self.run(argv)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(done.args)} failed:\n{done.stdout[-3000:]}")

    # -- states -----------------------------------------------------------------------------
    def save_state(self, name: str) -> None:
        self.stop()
        target = os.path.join(self.states_dir, name)
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.data_dir, target, symlinks=True)
        self.start()

    def load_state(self, name: str) -> None:
        self.stop()
        shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.copytree(os.path.join(self.states_dir, name), self.data_dir, symlinks=True)
        self.start()

    def prepare(self) -> None:
        """generated (6 days) -> built (+ dbt build) -> appended (+ 1 day) -> loaded (+ dbt run of the day)."""
        os.makedirs(self.data_dir, exist_ok=True)
        self.start()
        self.must_run((sys.executable, "-m", "feedstar.cli", "generate", "--start", FIRST_DAY.isoformat(),
                       "--days", str(BASE_DAYS), "--scale", SCALE, "--no-progress", "--url", "{url}"))
        self.save_state("generated")
        self.must_run(dbt("build", "--exclude", "resource_type:unit_test", "resource_type:test"))
        self.save_state("built")
        self.must_run(JOBS["append day"].argv)
        self.save_state("appended")
        self.must_run(dbt("run", "--vars", f"{{start_date: '{NEW_DAY}'}}"))
        self.save_state("loaded")

    def reference(self, job: Job) -> tuple[list[Statement], dict]:
        """Two uninterrupted runs of `job` from its state: the second's statements and its
        tables; columns the two runs disagree on (values from the clock) are excluded from
        every comparison for this job and listed in `self.excluded[job.name]`."""
        if job.name not in self.references:
            runs = []
            for _ in range(self.clean_runs):
                self.load_state(job.state)
                self.proxy.reset()
                self.must_run(job.argv)
                runs.append(column_checksums(self.client()))
            statements = list(self.proxy.statements)
            self.excluded[job.name] = nondeterministic_columns(runs[0], runs[-1])
            self.references[job.name] = (statements, table_checksums(self.client(), self.excluded[job.name]))
        return self.references[job.name]

    # -- moments ----------------------------------------------------------------------------
    def moments(self, job: Job, count: int, seed: int = 0) -> list[Moment]:
        """`count` moments spread over the kinds of statement: swaps, merges, mutations and
        inserts first (inside them and right after their commit), then the boundaries
        around them (between a model and its hooks), then anything else."""
        statements, _ = self.reference(job)
        rng = random.Random(f"{job.name}/{seed}")
        interesting = [s for s in statements if s.kind in ("swap", "merge", "mutation", "insert")]
        by_kind: dict[str, list[Statement]] = {}
        for statement in interesting:
            by_kind.setdefault(statement.kind, []).append(statement)
        candidates: list[Moment] = []
        pools = [[Moment(s.index, phase) for s in group for phase in ("during", "answered")]
                 for group in by_kind.values()]
        for pool in pools:
            rng.shuffle(pool)
        # round-robin over kinds, so that every kind gets moments
        while any(pools):
            for pool in pools:
                if pool:
                    candidates.append(pool.pop())
        boundaries = [Moment(s.index + 1, "before") for s in interesting if s.index + 1 < len(statements)]
        rng.shuffle(boundaries)
        others = [Moment(s.index, phase) for s in statements for phase in PHASES]
        rng.shuffle(others)
        chosen: list[Moment] = []
        mixed = [m for pair in zip(candidates, boundaries) for m in pair]
        mixed += candidates[len(boundaries):] + boundaries[len(candidates):] + others
        for moment in mixed:
            if moment not in chosen:
                chosen.append(moment)
            if len(chosen) == count:
                break
        return chosen  # most telling first (a run cut short has tried the kinds that matter)

    # -- one cycle --------------------------------------------------------------------------
    def cycle(self, job: Job, victim: str, moment: Moment) -> Cycle:
        began = time.monotonic()
        statements, expected = self.reference(job)
        statement = next((s for s in statements if moment.hits(s)), None) if moment.match else statements[moment.index]
        if statement is None:
            raise ValueError(f"no statement of the clean {job.name} matches {moment}")
        result = Cycle(job.name, victim, moment, statement.text[:160].replace("\n", " "), statement.kind)
        if not moment.match:  # aim at the same statement, wherever it comes in this run
            text = blank_ids(statement.text)
            occurrence = sum(1 for s in statements[:statement.index] if blank_ids(s.text) == text)
            moment = Moment(moment.index, moment.phase, same_as=text, occurrence=occurrence)
        self.load_state(job.state)
        self.proxy.during_delay = statement.duration / 2

        def kill():
            target = self.endpoint.process if victim == "endpoint" else self.client_process
            if target is not None and target.poll() is None:
                os.kill(target.pid, signal.SIGKILL)

        self.proxy.reset(moment, kill, victim)
        interrupted = self.run(job.argv, timeout=300)
        result.landed = self.proxy.landed or "never (the job ended first)"
        if self.proxy.landed_text and same_statement(self.proxy.landed_text, statement.text) is False:
            result.landed += f" (another statement than the clean run's: {self.proxy.landed_text[:160]!r})"
        fired = self.proxy.fired.is_set()
        if not fired:
            result.problems.append(f"the moment was not reached ({len(self.proxy.statements)} statements, "
                                   f"exit {interrupted.returncode})")
        self.proxy.reset()
        if victim == "endpoint" and fired:  # (not fired: the endpoint is alive and well)
            self.endpoint.process.wait(30)
            restarted_log = self._restart_endpoint(result)
            if restarted_log is None:
                result.seconds = time.monotonic() - began
                return result
        rerun = self.run(job.argv)
        if rerun.returncode != 0:
            result.problems.append(f"re-run failed (exit {rerun.returncode}): " + _last_error(rerun.stdout))
        result.problems += compare(expected, table_checksums(self.client(), self.excluded[job.name]))
        result.problems += self.leftover_files()
        result.recovered = not result.problems
        result.seconds = time.monotonic() - began
        return result

    def _restart_endpoint(self, result: Cycle) -> str | None:
        """Start the endpoint on the killed one's directory and port, as a person would: no manual step."""
        try:
            self.endpoint = start_endpoint(self.data_dir, port=self.port, timeout=120)
        except RuntimeError as exc:
            result.problems.append(f"endpoint restart failed: {str(exc)[-600:]}")
            # leave a usable endpoint for the next cycle
            self.endpoint = None
            return None
        time.sleep(0.2)
        result.restart_log = "\n".join(line for line in self.endpoint.log().splitlines()
                                       if "recover" in line.lower() or "stale" in line.lower())
        return result.restart_log

    def leftover_files(self) -> list[str]:
        """Files a crash may leave that a later start would trip over (checked after the re-run)."""
        problems = []
        pid_file = os.path.join(self.data_dir, "feedstar-serve.pid")
        if os.path.exists(pid_file):
            with open(pid_file) as handle:
                pid = handle.read().strip()
            if pid != str(self.endpoint.pid):
                problems.append(f"pid file names {pid}, not the running endpoint {self.endpoint.pid}")
        return problems

    def close(self) -> None:
        self.stop()


def _last_error(output: str) -> str:
    lines = [line for line in output.splitlines() if "rror" in line or "Code:" in line]
    return (lines[-1] if lines else output.strip().splitlines()[-1] if output.strip() else "")[:300]


def run_matrix(harness: FaultHarness, jobs: list[str], victims: list[str], per_job: int, report=print,
               seed: int = 0, deadline: float | None = None) -> list[Cycle]:
    """Every (job, victim, moment), round-robin over (job, victim) so that a run cut short
    still covers every cell; `report` gets a line per cycle.  No cycle starts after
    `deadline` (time.monotonic())."""
    plan = []
    for name in jobs:
        job = JOBS[name]
        statements, _ = harness.reference(job)
        report(f"{name}: {len(statements)} statements in the clean run; not compared (differ between two "
               f"clean runs): {harness.excluded[name] or 'nothing'}")
        moments = harness.moments(job, per_job, seed=seed)
        plan.append([(job, victim, moment) for moment in moments for victim in victims])
    order = [item for batch in itertools.zip_longest(*plan) for item in batch if item is not None]
    cycles = []
    for job, victim, moment in order:
        if deadline is not None and time.monotonic() >= deadline:
            report(f"time is up: {len(cycles)} of {len(order)} cycles run")
            break
        if harness.endpoint is None:
            harness.start()
        try:
            cycle = harness.cycle(job, victim, moment)
        except Exception as exc:  # a cycle the harness could not finish is reported, not the end of the matrix
            cycle = Cycle(job.name, victim, moment, problems=[f"harness error: {exc!r}"[:600]])
            harness.stop()
            harness.endpoint = None
        cycles.append(cycle)
        report(f"  {job.name:<11} {victim_label(job, victim):<8} {str(moment):<14} {cycle.kind:<8} "
               f"{'ok ' if cycle.recovered else 'BAD'} {cycle.seconds:5.1f}s  {cycle.landed}"
               + ("" if cycle.recovered else f"\n      statement: {cycle.statement}\n      "
                  + "\n      ".join(cycle.problems))
               + (f"\n      endpoint log: {cycle.restart_log}" if cycle.restart_log else ""))
    return cycles


def victim_label(job: Job, victim: str) -> str:
    return victim if victim == "endpoint" else job.kind


def summary_table(cycles: list[Cycle]) -> str:
    rows = {}
    for cycle in cycles:
        key = (cycle.job, victim_label(JOBS[cycle.job], cycle.victim))
        tried, ok = rows.get(key, (0, 0))
        rows[key] = (tried + 1, ok + cycle.recovered)
    lines = [f"{'job':<12} {'victim':<9} {'moments tried':>13} {'recovered':>9}"]
    for (job, victim), (tried, ok) in rows.items():
        lines.append(f"{job:<12} {victim:<9} {tried:>13} {ok:>9}")
    total_tried = sum(t for t, _ in rows.values())
    total_ok = sum(o for _, o in rows.values())
    lines.append(f"{'all':<12} {'':<9} {total_tried:>13} {total_ok:>9}")
    return "\n".join(lines)
