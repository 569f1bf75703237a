"""What a statement is and what it touches, as ClickHouse's own parser sees it.

The engine parses the text with `parseQueryToJSON` (the query goes in as a bound
parameter, so it is never itself executed) and this module walks the JSON tree once to
collect the facts the policy decides on: the statement kind, every function with its role
(scalar, table function, table or database engine, dictionary source), every table named,
every setting changed, and whether the statement reads or writes a file on the server.
Comments, heredocs, string literals and spacing cannot change these facts: they are the
parser's, not a pattern's.  More than one statement in a text is a syntax error here, as
it is on a server's HTTP interface.

A few statement kinds have no JSON form in ClickHouse 26.9 (DESCRIBE, SHOW CREATE,
EXISTS, SHOW PROCESSLIST, SHOW GRANTS, ...).  For those the engine's formatter gives the
canonical one-line text, and only a handful of exact canonical shapes are accepted
(`DESCRIBE TABLE db.t`, ...): anything else of that family is refused.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from feedstar.server.errors import ClickHouseError

# A parsed text is cached (most clients send the same statements again and again).
CACHE_ENTRIES = 2048
CACHE_MAX_TEXT = 16 * 1024

# Statement kinds that only read and leave no state behind: their connection can serve
# the next request as it is.  Everything else gets a fresh connection afterwards.
READ_KINDS = frozenset({
    "SelectWithUnionQuery", "SelectIntersectExceptQuery", "ShowTablesQuery", "ShowColumnsQuery",
    "ShowIndexesQuery", "ExplainQuery", "Describe", "ShowCreate", "Exists", "ShowProcesslist", "ShowGrants",
})
STREAMABLE_KINDS = frozenset({"SelectWithUnionQuery", "SelectIntersectExceptQuery"})

# The kinds with no JSON form that we accept, as the formatter writes them (single line).
_IDENT = r"(?:[A-Za-z_][A-Za-z0-9_]*|`(?:[^`\\]|\\.)*`)"
_FORMAT = rf"(?: FORMAT (?P<format>{_IDENT}))?"
_CANONICAL_SHAPES = (
    ("Describe", re.compile(rf"DESCRIBE TABLE (?P<table>{_IDENT}(?:\.{_IDENT})?){_FORMAT}")),
    ("ShowCreate", re.compile(rf"SHOW CREATE (?:TABLE|VIEW|DICTIONARY) (?P<table>{_IDENT}(?:\.{_IDENT})?){_FORMAT}")),
    ("ShowCreate", re.compile(rf"SHOW CREATE DATABASE (?P<database>{_IDENT}){_FORMAT}")),
    ("Exists", re.compile(rf"EXISTS (?:TEMPORARY )?(?:TABLE|VIEW|DICTIONARY) (?P<table>{_IDENT}(?:\.{_IDENT})?){_FORMAT}")),
    ("Exists", re.compile(rf"EXISTS DATABASE (?P<database>{_IDENT}){_FORMAT}")),
    ("ShowProcesslist", re.compile(rf"SHOW PROCESSLIST{_FORMAT}")),
    ("ShowGrants", re.compile(rf"SHOW GRANTS{_FORMAT}")),
)


@dataclass(frozen=True)
class FunctionUse:
    name: str
    role: str  # "scalar", "table_function", "table_engine", "database_engine", "dictionary_source"
    first_arg: str | None = None  # the first argument, when it is a string literal


@dataclass
class Statement:
    """The parser's facts about one statement."""

    kind: str
    functions: list[FunctionUse] = field(default_factory=list)
    tables: list[tuple[str, ...]] = field(default_factory=list)  # name parts, as written
    settings: list[tuple[str, object]] = field(default_factory=list)  # (name, literal value or None)
    server_files: list[tuple[str, str]] = field(default_factory=list)  # (clause, path): INTO OUTFILE, ...
    format: str | None = None
    temporary: bool = False
    database: str | None = None  # USE db, or CREATE/SHOW/EXISTS DATABASE db
    system_action: str | None = None
    kill: bool = False
    inline_data: bool = False  # INSERT ... VALUES/FORMAT with its data in the text

    @property
    def is_read(self) -> bool:
        return self.kind in READ_KINDS

    @property
    def streamable(self) -> bool:
        return self.kind in STREAMABLE_KINDS

    @property
    def is_insert(self) -> bool:
        return self.kind == "InsertQuery"


def escape_parameter(text: str) -> str:
    """A String query parameter's value is read in TSV-escaped form."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")


class Parser:
    """Parses statements on clean connections of its own (one per worker thread).

    A connection that carries a client's settings must not parse: settings such as
    `dialect` change how a text is read, and the verdict must not depend on them.
    """

    def __init__(self, connect):
        self._connect = connect
        self._local = threading.local()
        self._cache: OrderedDict[str, Statement] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._all: list = []
        self._all_lock = threading.Lock()

    def parse(self, sql: str) -> Statement:
        if len(sql) <= CACHE_MAX_TEXT:
            with self._cache_lock:
                cached = self._cache.get(sql)
                if cached is not None:
                    self._cache.move_to_end(sql)
                    return cached
        statement = self._parse_uncached(sql)
        if len(sql) <= CACHE_MAX_TEXT:
            with self._cache_lock:
                self._cache[sql] = statement
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return statement

    def _parse_uncached(self, sql: str) -> Statement:
        try:
            tree = json.loads(self._call("parseQueryToJSON", sql))
        except ClickHouseError as error:
            if error.code != 36:  # a syntax error, several statements, an empty query...
                raise
            if "inline data" in error.message:
                # INSERT ... VALUES (...): the formatter drops the data; the data itself is read by
                # the input format (with expressions off, see policy.FORCED_SETTINGS), never as SQL.
                statement = self._parse_uncached(self._call("formatQuerySingleLine", sql))
                statement.inline_data = True
                return statement
            if "does not support JSON serialization" in error.message:
                return self._parse_canonical(self._call("formatQuerySingleLine", sql))
            raise
        return facts_of(tree)

    def _parse_canonical(self, canonical: str) -> Statement:
        for kind, shape in _CANONICAL_SHAPES:
            match = shape.fullmatch(canonical)
            if match:
                groups = match.groupdict()
                statement = Statement(kind=kind, format=_unquote(groups.get("format")))
                if groups.get("table"):
                    statement.tables.append(_name_parts(groups["table"]))
                if groups.get("database"):
                    statement.database = _unquote(groups["database"])
                return statement
        raise ClickHouseError(
            497, f"This kind of statement is not allowed by the endpoint's policy: {canonical[:200]}",
            "ACCESS_DENIED")

    def _call(self, function: str, sql: str) -> str:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
            with self._all_lock:
                self._all.append(connection)
        try:
            result = connection.query(f"SELECT {function}({{q:String}})", "TabSeparatedRaw",
                                      params={"q": escape_parameter(sql)})
        except Exception as exc:
            error = ClickHouseError.from_engine(exc)
            # What the client sees is about its query, not about our wrapper around it.
            error.message = error.message.split(": In scope SELECT ")[0]
            # chDB keeps a failed query's partial output for the next one: start afresh.
            connection.close()
            self._local.connection = None
            with self._all_lock:
                self._all.remove(connection)
            raise error from None
        return result.bytes().decode("utf-8").rstrip("\n")

    def close(self) -> None:
        with self._all_lock:
            for connection in self._all:
                connection.close()
            self._all.clear()


def facts_of(tree: dict) -> Statement:
    """Walk a parseQueryToJSON tree once and collect what the policy needs."""
    statement = Statement(kind=tree.get("type", ""))
    statement.temporary = bool(tree.get("is_temporary"))
    if statement.kind == "SystemQuery":
        statement.system_action = tree.get("query_type")
    statement.kill = statement.kind == "KillQueryQuery"
    if statement.kind == "UseQuery":
        statement.database = _identifier_name(tree.get("database"))
    elif statement.kind == "CreateQuery" and not tree.get("table"):
        statement.database = tree.get("database") or None
    if tree.get("attach_from_path"):
        statement.server_files.append(("ATTACH ... FROM", tree["attach_from_path"]))
    fmt = tree.get("format_ast")
    statement.format = _identifier_name(fmt) if isinstance(fmt, dict) else tree.get("format")
    _walk(tree, statement, parent_key=None)
    return statement


def _walk(node, statement: Statement, parent_key: str | None) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, statement, parent_key)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind == "Function" or kind == "FunctionWithKeyValueArguments":
        statement.functions.append(FunctionUse(node.get("name", ""), _role(node, parent_key), _first_literal(node)))
    elif kind in ("TableIdentifier", "Identifier") and parent_key != "alias":
        parts = node.get("name_parts") or [node.get("name", "")]
        statement.tables.append(tuple(parts))
    elif kind == "SetQuery":
        for change in node.get("changes", []):
            value = change.get("value")
            literal = value.get("value") if isinstance(value, dict) and "field_type" in value else None
            statement.settings.append((change.get("name", ""), literal))
    for key, clause in (("out_file", "INTO OUTFILE"), ("infile", "FROM INFILE")):
        target = node.get(key)
        if isinstance(target, dict):
            statement.server_files.append((clause, str(_literal(target))))
    for key, value in node.items():
        if isinstance(value, (dict, list)):
            _walk(value, statement, key)


def _role(node: dict, parent_key: str | None) -> str:
    if node.get("type") == "FunctionWithKeyValueArguments":
        return "dictionary_source"
    kind = node.get("kind")
    if kind == "TABLE_ENGINE":
        return "table_engine"
    if kind == "DATABASE_ENGINE":
        return "database_engine"
    if parent_key in ("table_function", "table", "as_table_function") or kind == "TABLE_FUNCTION":
        # `INSERT INTO FUNCTION f(...)` keeps the function under "table", `CREATE TABLE t AS f(...)`
        # under "as_table_function".
        return "table_function"
    return "scalar"


def _first_literal(node: dict) -> str | None:
    arguments = node.get("arguments") or {}
    children = arguments.get("children") or []
    if children and isinstance(children[0], dict) and children[0].get("type") == "Literal":
        value = _literal(children[0])
        return value if isinstance(value, str) else None
    return None


def _literal(node: dict):
    value = node.get("value")
    return value.get("value") if isinstance(value, dict) else value


def _identifier_name(node) -> str | None:
    return node.get("name") if isinstance(node, dict) else None


def _unquote(name: str | None) -> str | None:
    if name is None or not name.startswith("`"):
        return name
    return re.sub(r"\\(.)", r"\1", name[1:-1])


def _name_parts(qualified: str) -> tuple[str, ...]:
    parts = re.findall(_IDENT, qualified)
    return tuple(_unquote(part) for part in parts)
