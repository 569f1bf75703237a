"""What an unclean stop leaves in a data directory: found and logged at start, and
`feedstar serve --check`, which reports the directory's health without serving.

A killed endpoint (SIGKILL, OOM killer, power loss) leaves three kinds of traces:

* its pid file, naming a process that is gone.  It never blocks a restart: ownership is
  the flock on `feedstar-serve.lock`, which the kernel releases with the process; the new
  endpoint logs the stale pid and overwrites the file.
* half-written parts: an INSERT, merge or mutation writes a part in a `tmp_*` directory and
  renames it into place when complete, so a part is either whole or in `tmp_*`.
  ClickHouse removes `tmp_*` directories when it loads the table; they are counted (and
  logged) here first, since nothing else reports them.
* damaged parts (a file cut short by a power loss before the page cache reached the
  disk): ClickHouse moves a part it cannot load to the table's `detached/` directory as
  `broken-on-start_<part>` and starts without it.  Those rows are missing from the table:
  they are logged as warnings, and `--check` exits 1 while they are there.

What was committed is never rolled back: an INSERT whose client got no answer may be stored
whole or in part (ClickHouse commits each block, not each statement), which is why every
feedstar load replaces what it writes (partitions, stage tables swapped in) rather than
appending; re-running the interrupted command repairs the tables.
"""

from __future__ import annotations

import dataclasses
import fcntl
import logging
import os

log = logging.getLogger("feedstar.server")

PID_FILE_NAME = "feedstar-serve.pid"
LOCK_FILE_NAME = "feedstar-serve.lock"
HALF_WRITTEN_PREFIXES = ("tmp_", "tmp-fetch_", "delete_tmp_", "tmp_mut_", "tmp_merge_", "tmp_clone_")
DAMAGED_REASONS = ("broken", "broken-on-start", "unexpected", "noquorum", "covered-by-broken", "broken-from-backup")
SYSTEM_DATABASES = ("system", "information_schema", "INFORMATION_SCHEMA")


@dataclasses.dataclass
class Traces:
    """What the directory held before the engine opened it."""

    stale_pid: str | None = None
    half_written: list[str] = dataclasses.field(default_factory=list)   # table dir/part dir
    detached: set[str] = dataclasses.field(default_factory=set)         # table dir/detached name


def _table_dirs(path: str):
    """Data directories of the Atomic databases' tables: store/<3 hex>/<uuid>/."""
    store = os.path.join(path, "store")
    if not os.path.isdir(store):
        return
    for prefix in sorted(os.listdir(store)):
        prefix_dir = os.path.join(store, prefix)
        if not os.path.isdir(prefix_dir):
            continue
        for table in sorted(os.listdir(prefix_dir)):
            table_dir = os.path.join(prefix_dir, table)
            if os.path.isdir(table_dir):
                yield table_dir


def scan(path: str) -> Traces:
    """The traces of an unclean stop, read from the files (before ClickHouse cleans up)."""
    traces = Traces()
    try:
        with open(os.path.join(path, PID_FILE_NAME)) as handle:
            traces.stale_pid = handle.read().strip() or "?"
    except OSError:
        pass
    for table_dir in _table_dirs(path):
        short = os.path.relpath(table_dir, path)
        for name in os.listdir(table_dir):
            if name.startswith(HALF_WRITTEN_PREFIXES) and os.path.isdir(os.path.join(table_dir, name)):
                traces.half_written.append(f"{short}/{name}")
        detached = os.path.join(table_dir, "detached")
        if os.path.isdir(detached):
            traces.detached.update(f"{short}/detached/{name}" for name in os.listdir(detached))
    return traces


def detached_parts(connection) -> list[tuple[str, str, str, str]]:
    """(database, table, name, reason) of every detached part."""
    text = connection.query(
        "SELECT database, table, name, ifNull(reason, '') FROM system.detached_parts ORDER BY database, table, name",
        "TabSeparated").bytes().decode()
    return [tuple(line.split("\t")) for line in text.splitlines() if line]


def is_damaged(reason: str, name: str) -> bool:
    return reason in DAMAGED_REASONS or any(name.startswith(prefix + "_") for prefix in DAMAGED_REASONS)


def log_recovery(path: str, before: Traces, connection, own_pid: int) -> list[str]:
    """Log (and return) what the engine recovered from an unclean stop, once it has opened `path`."""
    lines = []
    if before.stale_pid is not None and before.stale_pid != str(own_pid):
        lines.append(f"recovered from an unclean stop: the pid file named process {before.stale_pid}, "
                     "which no longer owns the directory (replaced)")
    if before.half_written:
        lines.append(f"recovered from an unclean stop: removed {len(before.half_written)} half-written part "
                     f"director{'y' if len(before.half_written) == 1 else 'ies'} (never committed): "
                     + ", ".join(before.half_written[:10]) + (" ..." if len(before.half_written) > 10 else ""))
    try:
        parts = detached_parts(connection)
    except Exception as exc:  # reporting must never stop the endpoint from starting
        log.warning("could not list detached parts: %s", exc)
        parts = []
    for database, table, name, reason in parts:
        if is_damaged(reason, name):
            new = not any(entry.endswith(f"/detached/{name}") for entry in before.detached)
            lines.append(f"{'recovered from an unclean stop: ' if new else ''}part {name} of {database}.{table} "
                         f"could not be loaded and is detached ({reason or 'damaged'}): its rows are missing; "
                         "re-run the load that wrote them, then drop it with "
                         f"ALTER TABLE {database}.{table} DROP DETACHED PART '{name}' "
                         "SETTINGS allow_drop_detached = 1")
    for line in lines:
        (log.warning if "detached" in line else log.info)(line)
    return lines


# -- feedstar serve --check ------------------------------------------------------------------
@dataclasses.dataclass
class Health:
    lines: list[str]
    problems: list[str]

    @property
    def healthy(self) -> bool:
        return not self.problems

    def report(self) -> str:
        verdict = "healthy" if self.healthy else f"{len(self.problems)} problem(s)"
        return "\n".join(self.lines + [f"problem: {problem}" for problem in self.problems] + [verdict])


def _rows(connection, sql: str) -> list[list[str]]:
    return [line.split("\t") for line in connection.query(sql, "TabSeparated").bytes().decode().splitlines() if line]


def check(path: str) -> Health:
    """Open `path` as the endpoint would (ClickHouse's start-up clean-up included), without
    serving, and report: traces of an unclean stop, every table readable (MergeTree tables
    pass CHECK TABLE: their parts' checksums), active parts, detached parts.

    Raises BlockingIOError when another process owns the directory."""
    import chdb

    path = os.path.abspath(path)
    if not os.path.isdir(path):
        raise FileNotFoundError(f"no data directory {path}")
    lock = open(os.path.join(path, LOCK_FILE_NAME), "a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise
    try:
        before = scan(path)
        connection = chdb.connect(f"file:{path}")
        try:
            return _health(path, before, connection)
        finally:
            connection.close()
    finally:
        lock.close()


def _health(path: str, before: Traces, connection) -> Health:
    lines, problems = [f"data directory {path}"], []
    if before.stale_pid is not None:
        lines.append(f"pid file: names process {before.stale_pid}, which does not own the directory "
                     "(an unclean stop; it does not block a start)")
    if before.half_written:
        lines.append(f"half-written parts removed at open: {len(before.half_written)}")
    excluded = ", ".join(f"'{name}'" for name in SYSTEM_DATABASES)
    tables = _rows(connection, f"SELECT database, name, engine FROM system.tables WHERE database NOT IN ({excluded}) "
                               "AND NOT is_temporary ORDER BY database, name")
    parts = {(db, table): (int(count), int(rows), int(size)) for db, table, count, rows, size in _rows(
        connection, "SELECT database, table, count(), sum(rows), sum(bytes_on_disk) FROM system.parts "
                    "WHERE active GROUP BY database, table")}
    for database, table, engine in tables:
        name = f"`{database}`.`{table}`"
        if "View" in engine:
            lines.append(f"{database}.{table}: {engine}")
            continue
        try:
            rows = _rows(connection, f"SELECT count() FROM {name}")[0][0]
        except Exception as exc:
            problems.append(f"{database}.{table} is not readable: {str(exc).strip().splitlines()[0][:300]}")
            continue
        detail = f"{database}.{table}: {engine}, {rows} rows"
        if (database, table) in parts:
            count, _, size = parts[(database, table)]
            detail += f", {count} active part(s), {size:,} bytes"
        if "MergeTree" in engine:
            try:
                failed = [row for row in _rows(connection, f"CHECK TABLE {name} SETTINGS check_query_single_value_result = 0")
                          if len(row) > 1 and row[1] != "1"]
            except Exception as exc:
                failed = [["", "0", str(exc).strip().splitlines()[0][:300]]]
            for row in failed:
                problems.append(f"{database}.{table}: part {row[0]} failed CHECK TABLE: {row[-1]}")
        lines.append(detail)
    for database, table, name, reason in detached_parts(connection):
        if is_damaged(reason, name):
            problems.append(f"{database}.{table}: detached damaged part {name} ({reason}): its rows are missing "
                            f"(ALTER TABLE {database}.{table} DROP DETACHED PART '{name}' SETTINGS "
                            "allow_drop_detached = 1 once the load that wrote them has been re-run)")
        else:
            lines.append(f"{database}.{table}: detached part {name} ({reason or 'detached by a user'})")
    lines.append(f"{len(tables)} table(s)")
    return Health(lines, problems)
