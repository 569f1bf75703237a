"""HTTP content codings as a ClickHouse server speaks them (lz4 frame, zstd, gzip, deflate)."""

from __future__ import annotations

import zlib

import lz4.frame
import zstandard

from feedstar.server.errors import ClickHouseError

# Preference order when a client accepts several.
SUPPORTED = ("lz4", "zstd", "gzip", "deflate")


def choose_encoding(accept_encoding: str | None) -> str | None:
    if not accept_encoding:
        return None
    offered = [part.split(";")[0].strip().lower() for part in accept_encoding.split(",")]
    for name in offered:
        if name in SUPPORTED:
            return name
    return None


class _Zlib:
    def __init__(self, wbits: int):
        self._c = zlib.compressobj(3, zlib.DEFLATED, wbits)

    def compress(self, data: bytes) -> bytes:
        return self._c.compress(data)

    def flush(self) -> bytes:
        return self._c.flush()


class _Lz4:
    def __init__(self):
        self._c = lz4.frame.LZ4FrameCompressor()
        self._started = False

    def compress(self, data: bytes) -> bytes:
        head = b""
        if not self._started:
            head, self._started = self._c.begin(), True
        return head + self._c.compress(data)

    def flush(self) -> bytes:
        head = b"" if self._started else self._c.begin()
        self._started = True
        return head + self._c.flush()


class _Zstd:
    def __init__(self):
        self._c = zstandard.ZstdCompressor(level=1).compressobj()

    def compress(self, data: bytes) -> bytes:
        return self._c.compress(data)

    def flush(self) -> bytes:
        return self._c.flush()


def compressor(encoding: str):
    if encoding == "lz4":
        return _Lz4()
    if encoding == "zstd":
        return _Zstd()
    if encoding == "gzip":
        return _Zlib(16 + zlib.MAX_WBITS)
    return _Zlib(zlib.MAX_WBITS)  # deflate = zlib stream, as ClickHouse sends it


def decompressor(encoding: str):
    """An object with .decompress(chunk) -> bytes for a request body's Content-Encoding."""
    encoding = encoding.strip().lower()
    if encoding == "lz4":
        return lz4.frame.LZ4FrameDecompressor()
    if encoding == "zstd":
        return zstandard.ZstdDecompressor().decompressobj()
    if encoding == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS)
    raise ClickHouseError(36, f"Unknown HTTP Content-Encoding {encoding!r}", "BAD_ARGUMENTS")
