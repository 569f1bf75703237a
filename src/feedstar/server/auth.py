"""Users of the embedded endpoint and how a request names one (as ClickHouse accepts it)."""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass

from feedstar.server.errors import ClickHouseError, auth_failed


@dataclass(frozen=True)
class User:
    name: str
    password: str
    readonly: bool = False


class Users:
    def __init__(self, users: list[User]):
        self._by_name = {user.name: user for user in users}

    def __iter__(self):
        return iter(self._by_name.values())

    def authenticate(self, headers, query_params) -> User:
        """Credentials from HTTP basic auth, X-ClickHouse-User/Key, or user/password parameters."""
        name, password, sources = "default", "", 0
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("basic "):
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
                name, _, password = decoded.partition(":")
            except (ValueError, UnicodeDecodeError):
                raise ClickHouseError(194, "Malformed HTTP basic authorization header", "REQUIRED_PASSWORD") from None
            sources += 1
        if "x-clickhouse-user" in headers or "x-clickhouse-key" in headers:
            name = headers.get("x-clickhouse-user", "default")
            password = headers.get("x-clickhouse-key", "")
            sources += 1
        if "user" in query_params or "password" in query_params:
            name = query_params.get("user", "default")
            password = query_params.get("password", "")
            sources += 1
        if sources > 1:
            raise ClickHouseError(
                36, "Credentials were given in more than one way (basic auth, X-ClickHouse headers, URL)",
                "BAD_ARGUMENTS",
            )
        user = self._by_name.get(name or "default")
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            raise auth_failed(name)
        return user
