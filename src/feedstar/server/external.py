"""External data: tables sent with the query as `multipart/form-data` file parts.

As on a server (docs: "External Data for Query Processing"), each file part is a table
named after the part, its data read with `<name>_format` (default `TabSeparated`) and
its columns given by `<name>_structure` (`'id UInt32, name String'`) or `<name>_types`
(`'UInt32,String'`, columns `_1`, `_2`, ...), both URL parameters.

Nothing of it is SQL: the name must be a plain identifier, the format one of the input
formats listed here, and the structure is parsed by ClickHouse (`DESCRIBE TABLE format(...)`
with the structure as a bound parameter; columns with defaults, codecs or anything but a
name and a type are refused).  The table is then created from ClickHouse's own rendering
of the columns, checked once more by the statement parser, as a `TEMPORARY` `Memory`
table on the request's own connection, which is closed after the request (or, in a
session, the tables are dropped after it).  The data size is bounded by the request
body limit.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from feedstar.server.engine_sql import quote_identifier, run_statement
from feedstar.server.errors import ClickHouseError
from feedstar.server.statement import FunctionUse

MAX_TABLES = 64
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
INPUT_FORMATS = {name.lower(): name for name in (
    "TabSeparated", "TSV", "TabSeparatedRaw", "TSVRaw", "TabSeparatedWithNames", "TSVWithNames",
    "TabSeparatedWithNamesAndTypes", "TSVWithNamesAndTypes", "CSV", "CSVWithNames", "CSVWithNamesAndTypes",
    "JSONEachRow", "JSONLines", "NDJSON", "JSONCompactEachRow", "JSONCompactEachRowWithNames",
    "JSONCompactEachRowWithNamesAndTypes", "JSONStringsEachRow", "JSONCompactStringsEachRow", "JSON",
    "JSONCompact", "Native", "RowBinary", "RowBinaryWithNames", "RowBinaryWithNamesAndTypes", "Values",
    "Parquet", "Arrow", "ArrowStream", "ORC", "Avro", "BSONEachRow", "MsgPack", "LineAsString", "RawBLOB",
    "TSKV", "JSONAsString",
)}
_MEMORY = FunctionUse("Memory", "table_engine", None)


@dataclass
class ExternalTable:
    name: str
    data: bytes
    fmt: str = "TabSeparated"
    structure: str | None = None
    types: str | None = None


def take_external(files: list[tuple[str, bytes]], params: list[tuple[str, str]]):
    """The external tables of a request, and the URL parameters that are not theirs."""
    if len(files) > MAX_TABLES:
        raise _bad(f"at most {MAX_TABLES} external tables per query")
    tables = {}
    for name, data in files:
        if not _NAME_RE.fullmatch(name) or name in tables:
            raise _bad(f"external table name {name!r} must be a unique plain identifier")
        tables[name] = ExternalTable(name, data)
    rest = []
    for key, value in params:
        table, _, field = key.rpartition("_")
        if table in tables and field in ("format", "structure", "types"):
            setattr(tables[table], "fmt" if field == "format" else field, value)
        else:
            rest.append((key, value))
    for table in tables.values():
        if table.fmt.lower() not in INPUT_FORMATS:
            raise _bad(f"external table {table.name}: format {table.fmt!r} is not an input format the endpoint reads")
        if (table.structure is None) == (table.types is None):
            raise _bad(f"external table {table.name}: give exactly one of {table.name}_structure or {table.name}_types")
    return list(tables.values()), rest


def load(connection, parser, tables: list[ExternalTable]) -> list[str]:
    """Create and fill each table on `connection`; returns their names (to drop in a session)."""
    created = []
    for table in tables:
        # The client's structure is judged by the parser before the engine reads it at all:
        # a DEFAULT expression would be evaluated while the structure is described.
        _check_columns_only(parser, table, f"CREATE TEMPORARY TABLE {quote_identifier(table.name)} "
                                           f"({_structure(table)}) ENGINE = Memory")
        ddl = _create_statement(connection, table)
        _check_columns_only(parser, table, ddl)
        run_statement(connection, ddl)
        created.append(table.name)
        try:
            with connection.send_insert(f"INSERT INTO {quote_identifier(table.name)}",
                                        INPUT_FORMATS[table.fmt.lower()]) as inserter:
                if table.data:
                    inserter.append(table.data)
                inserter.finish()
        except Exception as exc:
            raise ClickHouseError.from_engine(exc) from None
    return created


def drop(connection, names: list[str]) -> None:
    for name in names:
        run_statement(connection, f"DROP TEMPORARY TABLE IF EXISTS {quote_identifier(name)}")


def _check_columns_only(parser, table: ExternalTable, ddl: str) -> None:
    try:
        statement = parser.parse(ddl)
    except ClickHouseError as error:
        raise _bad(f"external table {table.name}: its structure does not parse ({error.message[:200]})") from None
    if not (statement.kind == "CreateQuery" and statement.temporary and statement.functions == [_MEMORY]
            and statement.tables == [(table.name,)] and not statement.settings and not statement.server_files):
        raise _bad(f"external table {table.name}: its structure is more than column names and types")


def _structure(table: ExternalTable) -> str:
    return table.structure if table.structure is not None else ", ".join(
        f"_{number} {type_}" for number, type_ in enumerate(_split_types(table.types), 1))


def _create_statement(connection, table: ExternalTable) -> str:
    structure = _structure(table)
    described = run_statement(connection, "DESCRIBE TABLE format(TabSeparated, {structure:String}, '')",
                              {"structure": structure}, "JSONCompactEachRow").bytes().decode()
    columns = []
    for line in described.splitlines():
        name, type_, default_kind, *_ = json.loads(line)
        if default_kind:
            raise _bad(f"external table {table.name}: column {name} has a {default_kind} expression")
        columns.append(f"{quote_identifier(name)} {type_}")
    if not columns:
        raise _bad(f"external table {table.name} has no columns")
    return f"CREATE TEMPORARY TABLE {quote_identifier(table.name)} ({', '.join(columns)}) ENGINE = Memory"


def _split_types(types: str) -> list[str]:
    """`UInt8,Map(String, UInt8)` -> ['UInt8', 'Map(String, UInt8)']: commas outside brackets and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for position, char in enumerate(types):
        if char == "'" and (position == 0 or types[position - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(types[start:position].strip())
            start = position + 1
    parts.append(types[start:].strip())
    return parts


def _bad(what: str) -> ClickHouseError:
    return ClickHouseError(36, f"Cannot use external data: {what}", "BAD_ARGUMENTS")
