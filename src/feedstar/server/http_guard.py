"""Who may reach the endpoint at the HTTP level, before a query is even read.

* **Slow or huge headers.**  uvicorn waits forever for a request's headers and takes any
  size; a few hundred half-open connections would hold every slot.  `GuardedProtocol`
  drops a connection whose headers are not complete within `header_timeout` seconds or
  pass `max_header_bytes` (431), as a server's `http_receive_timeout` and
  `http_max_field_*` limits do.
* **Browsers.**  Any web page can send a "simple" cross-site POST (no preflight) to a
  loopback port, and DNS rebinding makes a page's own origin resolve to 127.0.0.1.  A
  request that carries an `Origin` not explicitly allowed, a `Sec-Fetch-Site` other than
  same-origin/none, or a `Host` that names neither an IP address, `localhost`, this
  machine's name nor an allowed name, is refused before any SQL is read.  Clients that are
  not browsers send none of these headers.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

DEFAULT_HEADER_TIMEOUT_S = 10.0
DEFAULT_MAX_HEADER_BYTES = 64 * 1024


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline and a size cap on each request's headers.

    The size is measured twice, because neither count alone sees every case:
    `_header_bytes` counts raw bytes as they arrive, so headers trickled in over many reads
    are refused as soon as they pass the cap, before they are complete (it may also count
    the start of a body that arrived in the same read, hence only while headers are open);
    `_parsed_header_bytes` counts what the parser found, so headers that arrived whole in a
    single read, body and all, are judged on their own size before the request starts.
    """

    header_timeout = DEFAULT_HEADER_TIMEOUT_S
    max_header_bytes = DEFAULT_MAX_HEADER_BYTES

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._header_bytes = 0
        self._headers_done = False
        self._arm_header_deadline()

    def _arm_header_deadline(self) -> None:
        self._cancel_header_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._header_deadline_passed)

    def _cancel_header_deadline(self) -> None:
        handle = getattr(self, "_header_deadline", None)
        if handle is not None:
            handle.cancel()
            self._header_deadline = None

    def _header_deadline_passed(self) -> None:
        self._header_deadline = None
        if not self._headers_done and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if not self._headers_done:
            self._header_bytes += len(data)
        super().data_received(data)
        if not self._headers_done and self._header_bytes > self.max_header_bytes and not self.transport.is_closing():
            self._refuse_headers()

    def _refuse_headers(self) -> None:
        message = b"Request header fields too large\n"
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain\r\n"
            b"connection: close\r\ncontent-length: " + str(len(message)).encode() + b"\r\n\r\n" + message)
        self.transport.close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._parsed_header_bytes = 0
        if getattr(self, "_headers_done", False):  # the next request on a kept-alive connection
            self._headers_done = False
            self._header_bytes = 0
            self._arm_header_deadline()

    def on_url(self, url: bytes) -> None:
        self._parsed_header_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._parsed_header_bytes += len(name) + len(value) + 4
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """Headers that arrived whole in one read are measured here, before the request starts."""
        self._headers_done = True
        self._cancel_header_deadline()
        if self._parsed_header_bytes > self.max_header_bytes:
            self._refuse_headers()  # and the request never reaches the app
            return
        super().on_headers_complete()

    def connection_lost(self, exc) -> None:
        self._cancel_header_deadline()
        super().connection_lost(exc)


def guarded_protocol(header_timeout: float, max_header_bytes: int) -> type:
    return type("GuardedProtocol", (GuardedProtocol,),
                {"header_timeout": header_timeout, "max_header_bytes": max_header_bytes})


@dataclass(frozen=True)
class BrowserGuard:
    allowed_origins: frozenset[str] = field(default_factory=frozenset)
    allowed_hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_machine(cls, origins=(), hosts=()) -> "BrowserGuard":
        names = {"localhost", socket.gethostname().lower(), socket.getfqdn().lower()}
        return cls(frozenset(origin.rstrip("/").lower() for origin in origins),
                   frozenset(names | {host.lower() for host in hosts}))

    def refusal(self, headers) -> str | None:
        """Why this request may not be served, or None."""
        origin = headers.get("origin")
        if origin is not None and origin.rstrip("/").lower() not in self.allowed_origins:
            return (f"requests from the web origin {origin!r} are refused "
                    "(allow a dashboard's origin with --allow-origin)")
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site not in (None, "same-origin", "none") and origin is None:
            return f"cross-site browser requests are refused (Sec-Fetch-Site: {fetch_site})"
        host = headers.get("host")
        if host is not None and not self._host_allowed(host):
            return (f"Host {host!r} is not an address of this endpoint (DNS rebinding?); "
                    "allow a name with --allow-host")
        return None

    def _host_allowed(self, host: str) -> bool:
        name = host.strip().lower()
        if name.startswith("["):  # [IPv6]:port
            name = name[1:name.find("]")] if "]" in name else name
        elif name.count(":") == 1:
            name = name.split(":")[0]
        try:
            ipaddress.ip_address(name)
            return True  # an address cannot be rebound by DNS
        except ValueError:
            return name.rstrip(".") in self.allowed_hosts
