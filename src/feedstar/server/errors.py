"""ClickHouse-style errors: `Code: N. DB::Exception: ... (NAME)` with a matching HTTP status."""

from __future__ import annotations

import re

_CODE_RE = re.compile(r"Code: (\d+)\.")
_NAME_RE = re.compile(r"\(([A-Z_]+)\)\s*$")

# The HTTP status a ClickHouse server gives an error code (its exceptionCodeToHTTPStatus.cpp);
# every other code is 500, as there.
_STATUS_GROUPS = {
    401: (194,),  # REQUIRED_PASSWORD
    # UNKNOWN_USER, WRONG_PASSWORD, ACCESS_DENIED, SET_NON_GRANTED_ROLE, AUTHENTICATION_FAILED
    403: (192, 193, 497, 512, 516),
    # BAD_ARGUMENTS, CANNOT_PARSE_* (text, escape, quoted string, date, datetime, number, domain, IPv4/6,
    # input assertion, UUID), DUPLICATE_COLUMN, ILLEGAL_COLUMN, THERE_IS_NO_COLUMN, TOO_DEEP_AST,
    # TOO_BIG_AST, UNEXPECTED_AST_STRUCTURE, SYNTAX_ERROR, INCORRECT_DATA, TYPE_MISMATCH,
    # VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE, CANNOT_COMPILE_REGEXP
    400: (36, 6, 25, 26, 38, 41, 72, 441, 675, 676, 27, 376, 15, 44, 8, 167, 168, 223, 62, 117, 53, 321, 427),
    # UNKNOWN_TABLE, _FUNCTION, _IDENTIFIER, _TYPE, _STORAGE, _DATABASE, _SETTING, _AGGREGATE_FUNCTION,
    # _FORMAT, _DATABASE_ENGINE, _TYPE_OF_QUERY, _ROLE
    404: (60, 46, 47, 50, 56, 81, 115, 63, 73, 336, 78, 511),
    # QUERY_IS_TOO_LARGE; and TOO_MANY_BYTES, which here means "request body over --max-body-bytes"
    413: (306, 307),
    501: (48,),  # NOT_IMPLEMENTED
    503: (209, 76, 439),  # SOCKET_TIMEOUT, CANNOT_OPEN_FILE, CANNOT_SCHEDULE_TASK
    411: (381,),  # HTTP_LENGTH_REQUIRED
    408: (159,),  # TIMEOUT_EXCEEDED
}
STATUS_BY_CODE = {code: status for status, codes in _STATUS_GROUPS.items() for code in codes}


class ClickHouseError(Exception):
    def __init__(self, code: int, message: str, name: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.name = name

    @property
    def http_status(self) -> int:
        return STATUS_BY_CODE.get(self.code, 500)

    def body(self, version: str) -> bytes:
        suffix = f" ({self.name})" if self.name and not self.message.rstrip().endswith(f"({self.name})") else ""
        return f"Code: {self.code}. DB::Exception: {self.message}{suffix} (version {version})\n".encode()

    @classmethod
    def from_engine(cls, exc: BaseException) -> "ClickHouseError":
        """Parse chDB's `Code: N. DB::Exception: msg (NAME) (version V)` text.

        chDB may wrap it ("Streaming query failed: Code: ...") or nest it (the same
        `Code: N. DB::Exception:` prefix and `(NAME) (version V)` suffix repeated): keep the
        innermost message once, so that `body()` reads like a server's.
        """
        text = str(exc)
        codes = _CODE_RE.findall(text)
        if not codes:
            return cls(1001, text.strip() or type(exc).__name__, "STD_EXCEPTION")
        code = int(codes[-1])
        rest = text.rsplit("DB::Exception:", 1)[-1].strip() if "DB::Exception:" in text else text
        version_at = rest.find(" (version ")
        if version_at != -1:
            rest = rest[:version_at].rstrip()
        name_match = _NAME_RE.search(rest)
        return cls(code, rest, name_match.group(1) if name_match else "")


def auth_failed(user: str) -> ClickHouseError:
    return ClickHouseError(
        516, f"{user}: Authentication failed: password is incorrect, or there is no user with such name.",
        "AUTHENTICATION_FAILED",
    )


def readonly_error(what: str) -> ClickHouseError:
    return ClickHouseError(164, f"{what} in readonly mode.", "READONLY")
