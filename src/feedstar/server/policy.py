"""What each user may do: decided once per request, from the parser's facts, before anything runs.

The engine behind the endpoint has clickhouse-local's powers (any file, any host, the
process itself).  A ClickHouse server confines those with `user_files_path`,
`remote_url_allow_hosts`, grants and `readonly`; this module does the same, default-deny:

* statement kinds, table functions, table and database engines are allow-lists; a kind
  or engine not listed is refused;
* nothing reaches the machine's files (`file`, `INTO OUTFILE`, `FROM INFILE`,
  `ATTACH ... FROM`, dictionaries, BACKUP/RESTORE) unless `--user-files DIR` opened
  exactly that directory to the `file` function;
* nothing reaches the network unless `--remote-host` listed the host;
* nobody acts on the process (`SYSTEM SHUTDOWN`, `KILL`, ...);
* the read-only user reads: SELECT/SHOW/DESCRIBE/EXISTS/EXPLAIN, no setting changes, and
  of `system` only the catalogue tables (not other clients' queries or the server's logs).

Every refusal is `ACCESS_DENIED` (497) naming the rule, as a server's would.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass, field

from feedstar.server.errors import ClickHouseError, readonly_error
from feedstar.server.statement import FunctionUse, Statement

WRITE_KINDS = frozenset({
    "InsertQuery", "CreateQuery", "DropQuery", "AlterQuery", "RenameQuery", "OptimizeQuery", "DeleteQuery",
    "UpdateQuery", "CheckTableQuery", "SystemQuery", "SetQuery", "UseQuery",
})
READONLY_KINDS = frozenset({
    "SelectWithUnionQuery", "SelectIntersectExceptQuery", "ShowTablesQuery", "ShowColumnsQuery",
    "ShowIndexesQuery", "ExplainQuery", "Describe", "ShowCreate", "Exists", "ShowGrants", "UseQuery",
})
# What a GET may run (readonly=2 on a server): reads, and SET/USE.
GET_KINDS = READONLY_KINDS | {"ShowProcesslist", "SetQuery"}
# SYSTEM statements that only flush or pause work inside the warehouse.
SYSTEM_ACTIONS = frozenset({"FLUSH_LOGS", "STOP_MERGES", "START_MERGES", "SYNC_REPLICA", "WAIT_LOADING_PARTS"})

# Table functions that only compute or read the warehouse's own tables.
LOCAL_TABLE_FUNCTIONS = frozenset({
    "numbers", "numbers_mt", "zeros", "zeros_mt", "generateRandom", "generate_series", "generateSeries",
    "primes", "values", "null", "view", "viewIfPermitted", "format", "input",
})
# ... and those that also reach other databases' tables or parts (not for the read-only user,
# who could read `system` through them).
WAREHOUSE_TABLE_FUNCTIONS = frozenset({
    "merge", "loop", "dictionary", "viewExplain", "mergeTreeIndex", "mergeTreeProjection",
    "mergeTreeAnalyzeIndexes", "mergeTreeAnalyzeIndexesUUID", "mergeTreeTextIndex", "mergeTreeCodecBlockCounts",
})
FILE_FUNCTIONS = frozenset({"file"})  # opened by --user-files (table function and scalar alike)
URL_FUNCTIONS = frozenset({"url", "s3", "gcs", "oss", "cosn"})  # first argument: a URL
HOST_FUNCTIONS = frozenset({"remote", "remoteSecure", "mysql", "postgresql", "mongodb", "redis"})  # 'host:port'
# Table functions of ClickHouse 26.9 that reach files, hosts or processes.  Wherever the parser
# puts one (a table function nested in another's arguments reads as a plain function), it is
# judged as the table function it is.
OUTSIDE_TABLE_FUNCTIONS = URL_FUNCTIONS | HOST_FUNCTIONS | frozenset({
    "arrowstream", "azureBlobStorage", "azureBlobStorageCluster", "bigquery", "cluster", "clusterAllReplicas",
    "deltaLake", "deltaLakeAzure", "deltaLakeAzureCluster", "deltaLakeCluster", "deltaLakeLocal", "deltaLakeS3",
    "deltaLakeS3Cluster", "eval", "executable", "fileCluster", "filesystem", "hdfs", "hdfsCluster", "hudi",
    "hudiCluster", "iceberg", "icebergAzure", "icebergAzureCluster", "icebergCluster", "icebergHDFS",
    "icebergHDFSCluster", "icebergLocal", "icebergLocalCluster", "icebergS3", "icebergS3Cluster", "jdbc", "odbc",
    "paimon", "paimonAzure", "paimonAzureCluster", "paimonCluster", "paimonHDFS", "paimonHDFSCluster",
    "paimonLocal", "paimonS3", "paimonS3Cluster", "prometheusQuery", "prometheusQueryRange", "python",
    "s3Cluster", "sqlite", "timeSeriesData", "timeSeriesMetricFamilies", "timeSeriesMetrics", "timeSeriesSamples",
    "timeSeriesSelector", "timeSeriesTags", "urlCluster", "ytsaurus",
})
# Scalar functions that read the server's files or memory.
DENIED_SCALARS = frozenset({
    "file", "catboostEvaluate", "naiveBayesClassifier", "addressToLine", "addressToLineWithInlines",
    "addressToSymbol", "demangle",
})
TABLE_ENGINES = frozenset({
    "MergeTree", "ReplacingMergeTree", "SummingMergeTree", "AggregatingMergeTree", "CollapsingMergeTree",
    "VersionedCollapsingMergeTree", "CoalescingMergeTree", "GraphiteMergeTree",
    "ReplicatedMergeTree", "ReplicatedReplacingMergeTree", "ReplicatedSummingMergeTree",
    "ReplicatedAggregatingMergeTree", "ReplicatedCollapsingMergeTree", "ReplicatedVersionedCollapsingMergeTree",
    "ReplicatedCoalescingMergeTree", "ReplicatedGraphiteMergeTree",
    "Memory", "Log", "TinyLog", "StripeLog", "Null", "Set", "Join", "Buffer", "Merge", "View",
    "MaterializedView", "GenerateRandom", "Alias",
})
DATABASE_ENGINES = frozenset({"Atomic", "Ordinary", "Memory", "Replicated"})
# Settings that name files or hosts, switch the parser, or make the Values input format
# evaluate SQL expressions in inserted data.
DENIED_SETTINGS = frozenset({
    "dialect", "allow_experimental_kusto_dialect", "allow_experimental_prql_dialect",
    "format_schema", "format_schema_source", "format_template_resultset", "format_template_row",
    "input_format_record_errors_file_path", "output_format_schema", "format_avro_schema_registry_url",
    "into_outfile_create_parent_directories", "disk",
    "input_format_values_interpret_expressions", "input_format_values_deduce_templates_of_expressions",
})
ENGINE_SETTINGS = frozenset({"default_table_engine", "default_temporary_table_engine"})
# Set on every connection: the Values input format reads literals only, never SQL.
FORCED_SETTINGS = (
    ("input_format_values_interpret_expressions", "0"),
    ("input_format_values_deduce_templates_of_expressions", "0"),
)
# `system` tables the read-only user may read: the catalogue clients browse, no queries or logs.
READONLY_SYSTEM_TABLES = frozenset({
    "one", "numbers", "numbers_mt", "zeros", "zeros_mt", "databases", "tables", "columns", "settings",
    "functions", "formats", "data_type_families", "table_functions", "table_engines", "database_engines",
    "time_zones", "collations", "build_options", "aggregate_function_combinators", "keywords",
    "contributors", "licenses", "merge_tree_settings", "parts", "dictionaries", "settings_changes",
})
ACCESS_DENIED = 497


def denied(user: str, reason: str) -> ClickHouseError:
    return ClickHouseError(ACCESS_DENIED, f"{user}: Not enough privileges: {reason}", "ACCESS_DENIED")


@dataclass(frozen=True)
class Policy:
    """The openings given on the command line; everything else is closed."""

    user_files: str | None = None  # --user-files DIR (real path)
    remote_hosts: frozenset[str] = field(default_factory=frozenset)  # --remote-host HOST[:PORT]

    def check(self, statement: Statement, user, *, is_get: bool, database: str | None) -> None:
        """Raise if `user` may not run `statement`; return quietly otherwise."""
        name = user.name
        kinds = READONLY_KINDS if user.readonly else READONLY_KINDS | WRITE_KINDS | {"ShowProcesslist"}
        if statement.kind not in kinds:
            if statement.kind in WRITE_KINDS and user.readonly:
                raise readonly_error(f"{name}: Cannot execute query")
            raise denied(name, f"{_describe(statement)} is not allowed on this endpoint")
        if is_get and statement.kind not in GET_KINDS:
            raise readonly_error("Cannot execute query")
        if statement.kind == "SystemQuery" and statement.system_action not in SYSTEM_ACTIONS:
            raise denied(name, f"SYSTEM {(statement.system_action or '').replace('_', ' ')} acts on the process")
        for clause, path in statement.server_files:
            if clause == "INTO OUTFILE":  # a server refuses it too: the clause is clickhouse-client's
                raise ClickHouseError(344, f"INTO OUTFILE is not allowed ({path!r} would be written on the "
                                           "server's disk)", "INTO_OUTFILE_NOT_ALLOWED")
            raise denied(name, f"{clause} {path!r} would read or write the server's files")
        for function in statement.functions:
            self._check_function(function, user)
        for setting, value in statement.settings:
            check_setting(setting, value, user)
        if user.readonly:
            _check_readonly_tables(statement, database, name)

    def check_url_settings(self, settings: dict[str, str], user) -> None:
        for setting, value in settings.items():
            check_setting(setting, value, user)

    # ------------------------------------------------------------------
    def _check_function(self, function: FunctionUse, user) -> None:
        name, role = function.name, function.role
        if role == "table_engine":
            if name not in TABLE_ENGINES:
                raise denied(user.name, f"table engine {name} reaches outside the warehouse or is not supported")
            return
        if role == "database_engine":
            if name not in DATABASE_ENGINES:
                raise denied(user.name, f"database engine {name} reaches outside the warehouse")
            return
        if role == "dictionary_source":
            raise denied(user.name, f"dictionary source {name}: dictionaries are not allowed on this endpoint")
        if name in FILE_FUNCTIONS:
            self._check_file(function, user)
            return
        if name in OUTSIDE_TABLE_FUNCTIONS:
            role = "table_function"
        if role == "table_function":
            allowed = LOCAL_TABLE_FUNCTIONS if user.readonly else LOCAL_TABLE_FUNCTIONS | WAREHOUSE_TABLE_FUNCTIONS
            if name in allowed:
                return
            if not user.readonly and (name in URL_FUNCTIONS or name in HOST_FUNCTIONS):
                self._check_remote(function, user)
                return
            raise denied(user.name, f"table function {name} is not allowed on this endpoint")
        if name in DENIED_SCALARS:
            raise denied(user.name, f"function {name} reads the server's files or memory")

    def _check_file(self, function: FunctionUse, user) -> None:
        if self.user_files is None or user.readonly:
            raise denied(user.name, "file() reads or writes the server's files; start the endpoint with "
                                    "--user-files DIR to allow it inside DIR (read-write user only)")
        path = function.first_arg
        if path is None or ".." in path or "{" in path or "}" in path or not os.path.isabs(path):
            raise denied(user.name, f"file() takes an absolute path inside {self.user_files} as a literal, "
                                    "without '..' or '{...}' patterns")
        resolved = os.path.realpath(path)
        if not resolved.startswith(self.user_files + os.sep):
            raise denied(user.name, f"file path {path!r} is outside the user files directory {self.user_files}")

    def _check_remote(self, function: FunctionUse, user) -> None:
        target = function.first_arg
        host = _host_of(function.name, target) if target is not None else None
        if host is None or not self.remote_hosts or not (host[0] in self.remote_hosts
                                                         or f"{host[0]}:{host[1]}" in self.remote_hosts):
            raise denied(user.name, f"{function.name}() reaches {target!r}, which is not in the endpoint's "
                                    "--remote-host list")


def readonly_level(asked, user, is_get: bool = False) -> str | None:
    """The `readonly` level a request or statement runs at, the one decision for both the URL
    parameter and a statement's SETTINGS: 1 for the read-only user (who may only restate it),
    at least 2 for a GET, otherwise what was asked (None: not set).

    The value is read as a number, as the engine would read it ("00" is 0, not a way round).
    """
    try:
        level = None if asked is None else int(str(asked))
    except ValueError:
        raise ClickHouseError(72, f"Cannot parse readonly = {asked!r} as a number", "CANNOT_PARSE_NUMBER") from None
    if user.readonly:
        if level not in (None, 1):
            raise readonly_error("Cannot modify 'readonly' setting")
        return "1"
    if is_get:
        return "1" if level == 1 else "2"
    return None if level is None else str(level)


def check_setting(name: str, value, user) -> None:
    if name == "readonly":
        readonly_level(value, user)
        return
    if user.readonly:
        raise readonly_error(f"Cannot modify '{name}' setting")
    if name in DENIED_SETTINGS and not (name == "dialect" and str(value).lower() == "clickhouse"):
        raise denied(user.name, f"setting {name} may not be changed on this endpoint")
    if name in ENGINE_SETTINGS and str(value) not in TABLE_ENGINES:
        raise denied(user.name, f"setting {name} = {value!r}: that engine is not allowed on this endpoint")
    if name == "default_database_engine" and str(value) not in DATABASE_ENGINES:
        raise denied(user.name, f"setting {name} = {value!r}: that engine is not allowed on this endpoint")


def _check_readonly_tables(statement: Statement, database: str | None, user: str) -> None:
    databases = [database, statement.database]
    if any(db is not None and db.lower() == "system" for db in databases):
        raise denied(user, "the read-only user reads only system's catalogue tables, named as system.<table>")
    for parts in statement.tables:
        if len(parts) >= 2 and parts[0].lower() == "system" and parts[1] not in READONLY_SYSTEM_TABLES:
            raise denied(user, f"the read-only user may not read system.{parts[1]} "
                               "(other clients' queries, logs and server internals)")


def _host_of(function: str, target: str) -> tuple[str, str] | None:
    """(host, port) a network function's first argument reaches; None if it is not one plain host."""
    if function in URL_FUNCTIONS:
        parts = urllib.parse.urlsplit(target)
        if not parts.hostname or any(ch in target for ch in "{}|,"):
            return None
        default = "443" if parts.scheme == "https" else "80"
        return parts.hostname.lower(), str(parts.port or default)
    if any(ch in target for ch in "{}|,/@ "):
        return None
    host, _, port = target.rpartition(":") if target.count(":") == 1 else (target, "", "")
    return (host.lower(), port) if host else None


def _describe(statement: Statement) -> str:
    if statement.kind == "SystemQuery":
        return f"SYSTEM {(statement.system_action or '').replace('_', ' ')}"
    if statement.kill:
        return "KILL"
    return statement.kind.removesuffix("Query") or "this statement"
