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


def _new_decompressor(encoding: str):
    if encoding == "lz4":
        return lz4.frame.LZ4FrameDecompressor()
    if encoding == "zstd":
        return zstandard.ZstdDecompressor().decompressobj()
    if encoding == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.decompressobj(zlib.MAX_WBITS)
    raise ClickHouseError(36, f"Unknown HTTP Content-Encoding {encoding!r}", "BAD_ARGUMENTS")


# zstd has no output bound per call and can inflate one input byte to ~32 KiB (RLE blocks):
# it is fed slices small enough that one call cannot pass the remaining budget by much.
_ZSTD_WORST_RATIO = 65536
_ZSTD_MIN_SLICE = 64


class BoundedDecoder:
    """Decodes a request body's Content-Encoding chunk by chunk, never producing more than `limit` bytes.

    A bomb is refused once its output passes `limit` (memory stays near `limit`), and a
    body that ends inside a frame, or is corrupt, is an error: nothing of it is inserted,
    since the insert only starts once the whole body is decoded.
    """

    def __init__(self, encoding: str, limit: int):
        self.encoding = encoding.strip().lower()
        self.limit = limit
        self.size = 0
        self._decoder = _new_decompressor(self.encoding)
        self._started = False

    def feed(self, chunk: bytes) -> list[bytes]:
        out: list[bytes] = []
        try:
            while chunk:
                self._started = True
                if self._decoder.eof:  # concatenated frames / gzip members
                    self._decoder = _new_decompressor(self.encoding)
                chunk = self._feed_one(chunk, out)
        except ClickHouseError:
            raise
        except Exception as exc:
            raise ClickHouseError(
                271, f"Cannot decompress request body ({self.encoding}): {exc}", "CANNOT_DECOMPRESS") from None
        return out

    def finish(self) -> None:
        if self._started and not self._decoder.eof:
            raise ClickHouseError(
                271, f"Cannot decompress request body ({self.encoding}): it ends inside a compressed frame "
                     "(truncated body)", "CANNOT_DECOMPRESS")

    def _feed_one(self, chunk: bytes, out: list[bytes]) -> bytes:
        """Decode what the current frame takes of `chunk`; return the bytes of the next frame."""
        decoder = self._decoder
        if self.encoding == "zstd":
            while chunk and not decoder.eof:
                size = max(_ZSTD_MIN_SLICE, (self.limit - self.size) // _ZSTD_WORST_RATIO)
                self._take(decoder.decompress(chunk[:size]), out)
                chunk = chunk[size:]
            return (decoder.unused_data or b"") + chunk
        budget = lambda: self.limit - self.size + 1  # noqa: E731 - one byte past the limit proves it passed
        if self.encoding == "lz4":
            self._take(decoder.decompress(chunk, max_length=budget()), out)
            while not decoder.eof and not decoder.needs_input:
                self._take(decoder.decompress(b"", max_length=budget()), out)
            return decoder.unused_data or b""
        self._take(decoder.decompress(chunk, budget()), out)
        while decoder.unconsumed_tail and not decoder.eof:
            self._take(decoder.decompress(decoder.unconsumed_tail, budget()), out)
        return decoder.unused_data

    def _take(self, piece: bytes, out: list[bytes]) -> None:
        self.size += len(piece)
        if self.size > self.limit:
            raise ClickHouseError(307, f"Request body exceeds the limit of {self.limit} bytes once decompressed",
                                  "TOO_MANY_BYTES")
        if piece:
            out.append(piece)
