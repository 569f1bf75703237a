"""ClickHouse-style errors: `Code: N. DB::Exception: ... (NAME)` with a matching HTTP status."""

from __future__ import annotations

import re

_CODE_RE = re.compile(r"Code: (\d+)\.")
_NAME_RE = re.compile(r"\(([A-Z_]+)\)\s*$")

# The HTTP statuses ClickHouse's HTTPHandler gives these error codes.
STATUS_BY_CODE = {
    27: 400,  # CANNOT_PARSE_INPUT_ASSERTION_FAILED
    36: 400,  # BAD_ARGUMENTS
    46: 404,  # UNKNOWN_FUNCTION
    47: 404,  # UNKNOWN_IDENTIFIER
    60: 404,  # UNKNOWN_TABLE
    62: 400,  # SYNTAX_ERROR
    73: 400,  # UNKNOWN_FORMAT
    81: 404,  # UNKNOWN_DATABASE
    115: 400,  # UNKNOWN_SETTING
    164: 403,  # READONLY
    192: 403,  # UNKNOWN_USER
    193: 403,  # WRONG_PASSWORD
    194: 403,  # REQUIRED_PASSWORD
    307: 413,  # TOO_MANY_BYTES
    373: 409,  # SESSION_IS_LOCKED
    394: 500,  # QUERY_WAS_CANCELLED
    516: 403,  # AUTHENTICATION_FAILED
}


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
        """Parse chDB's `Code: N. DB::Exception: msg (NAME)` text (possibly wrapped)."""
        text = str(exc)
        match = _CODE_RE.search(text)
        if not match:
            return cls(1001, text.strip() or type(exc).__name__, "STD_EXCEPTION")
        code = int(match.group(1))
        rest = text[match.end():].strip()
        rest = rest.removeprefix("DB::Exception:").strip()
        name_match = _NAME_RE.search(rest)
        return cls(code, rest, name_match.group(1) if name_match else "")


def auth_failed(user: str) -> ClickHouseError:
    return ClickHouseError(
        516, f"{user}: Authentication failed: password is incorrect, or there is no user with such name.",
        "AUTHENTICATION_FAILED",
    )


def readonly_error(what: str) -> ClickHouseError:
    return ClickHouseError(164, f"{what} in readonly mode.", "READONLY")
