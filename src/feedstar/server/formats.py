"""Output formats as the HTTP interface sends them: content types, and which can be streamed.

chDB's streaming query gives one chunk per block, each written as if it were the whole
output: a `TSVWithNames` chunk starts with the header line again, an `ArrowStream` chunk
is a complete IPC stream (schema ... end-of-stream), a `JSON` chunk is a whole document.
A server writes one output for the whole result.  So:

* formats whose chunks simply concatenate (`TabSeparated`, `Native`, `RowBinary`,
  `JSONEachRow`, ...) are streamed as they come;
* `ArrowStream` and the `...WithNames[AndTypes]` formats are streamed with the repeated
  schema / header taken off every chunk after the first (and checked to be the same);
* every other format (`JSON`, `Arrow`, `Parquet`, `Pretty`, `Values`, ...) is answered once
  the result is complete, as chDB writes it whole.
"""

from __future__ import annotations

from feedstar.server.errors import ClickHouseError

CONTENT_TYPES = {
    "tabseparated": "text/tab-separated-values; charset=UTF-8",
    "tsv": "text/tab-separated-values; charset=UTF-8",
    "csv": "text/csv; charset=UTF-8; header=absent",
    "csvwithnames": "text/csv; charset=UTF-8; header=present",
    "json": "application/json; charset=UTF-8",
    "jsoncompact": "application/json; charset=UTF-8",
    "jsoneachrow": "application/x-ndjson; charset=UTF-8",
}

# Chunks of these concatenate into the whole output.
CONCATENATING = frozenset(name.lower() for name in (
    "TabSeparated", "TSV", "TabSeparatedRaw", "TSVRaw", "Raw", "CSV", "Native", "RowBinary",
    "JSONEachRow", "JSONLines", "NDJSON", "JSONStringsEachRow", "JSONCompactEachRow",
    "JSONCompactStringsEachRow", "BSONEachRow", "MsgPack", "RawBLOB", "LineAsString", "Null",
))
# Chunks of these repeat a header of this many text lines (TSV/JSON lines have no raw newline).
HEADER_LINES = {name.lower(): lines for name, lines in (
    ("TabSeparatedWithNames", 1), ("TSVWithNames", 1), ("TabSeparatedRawWithNames", 1), ("TSVRawWithNames", 1),
    ("TabSeparatedWithNamesAndTypes", 2), ("TSVWithNamesAndTypes", 2), ("TabSeparatedRawWithNamesAndTypes", 2),
    ("TSVRawWithNamesAndTypes", 2), ("JSONCompactEachRowWithNames", 1), ("JSONCompactEachRowWithNamesAndTypes", 2),
    ("JSONCompactStringsEachRowWithNames", 1), ("JSONCompactStringsEachRowWithNamesAndTypes", 2),
)}
CSV_HEADER_RECORDS = {"csvwithnames": 1, "csvwithnamesandtypes": 2}
ROW_BINARY_HEADERS = {"rowbinarywithnames": 1, "rowbinarywithnamesandtypes": 2}
ARROW_STREAM = "arrowstream"
_ARROW_EOS = b"\xff\xff\xff\xff\x00\x00\x00\x00"


def content_type(fmt: str) -> str:
    return CONTENT_TYPES.get(fmt.lower(), "application/octet-stream")


class _Joiner:
    """Turns chDB's per-block outputs into one output; `head(chunk)` is the repeated prefix."""

    needs_header_when_empty = True

    def __init__(self):
        self._prefix: bytes | None = None

    def feed(self, chunk: bytes) -> bytes:
        if self._prefix is None:
            self._prefix = bytes(chunk[:self.head(chunk)])
            return self.first(chunk)
        if not chunk.startswith(self._prefix):
            raise ClickHouseError(49, "a block of the result does not start with the header of the first one",
                                  "LOGICAL_ERROR")
        return self.rest(chunk[len(self._prefix):])

    def first(self, chunk: bytes) -> bytes:
        return chunk

    def rest(self, body: bytes) -> bytes:
        return body

    def end(self) -> bytes:
        return b""

    def head(self, chunk: bytes) -> int:
        raise NotImplementedError


class _TextHeader(_Joiner):
    def __init__(self, lines: int):
        super().__init__()
        self.lines = lines

    def head(self, chunk: bytes) -> int:
        position = 0
        for _ in range(self.lines):
            position = chunk.index(b"\n", position) + 1
        return position


class _CsvHeader(_TextHeader):
    def head(self, chunk: bytes) -> int:
        quoted, records = False, 0
        for position, byte in enumerate(chunk):
            if byte == 0x22:  # '"'; an escaped "" toggles twice
                quoted = not quoted
            elif byte == 0x0A and not quoted:
                records += 1
                if records == self.lines:
                    return position + 1
        raise ValueError("CSV header without end")


class _RowBinaryHeader(_Joiner):
    def __init__(self, lists: int):
        super().__init__()
        self.lists = lists

    def head(self, chunk: bytes) -> int:
        count, position = _leb128(chunk, 0)
        for _ in range(count * self.lists):
            size, position = _leb128(chunk, position)
            position += size
        if position > len(chunk):
            raise ValueError("RowBinary header longer than its block")
        return position


class _ArrowStream(_Joiner):
    """One IPC stream: the schema message once, the batches of every chunk, one end-of-stream."""

    def head(self, chunk: bytes) -> int:
        if chunk[:4] != b"\xff\xff\xff\xff":
            raise ValueError("not an Arrow IPC stream")
        return 8 + int.from_bytes(chunk[4:8], "little")  # the schema message has no body

    def first(self, chunk: bytes) -> bytes:
        return self._without_end(chunk)

    def rest(self, body: bytes) -> bytes:
        return self._without_end(body)

    def end(self) -> bytes:
        return _ARROW_EOS

    @staticmethod
    def _without_end(chunk: bytes) -> bytes:
        if not chunk.endswith(_ARROW_EOS):
            raise ClickHouseError(49, "an Arrow block does not end its stream", "LOGICAL_ERROR")
        return chunk[:-len(_ARROW_EOS)]


def _leb128(data: bytes, position: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, position
        shift += 7


class NotStreamable(Exception):
    """The format's chunks cannot be joined: answer the result whole."""


def joiner_for(fmt: str):
    """None when chunks concatenate; a joiner for formats that repeat a header; NotStreamable otherwise."""
    name = fmt.lower()
    if name in CONCATENATING:
        return None
    if name in HEADER_LINES:
        return _TextHeader(HEADER_LINES[name])
    if name in CSV_HEADER_RECORDS:
        return _CsvHeader(CSV_HEADER_RECORDS[name])
    if name in ROW_BINARY_HEADERS:
        return _RowBinaryHeader(ROW_BINARY_HEADERS[name])
    if name == ARROW_STREAM:
        return _ArrowStream()
    raise NotStreamable(fmt)


def joined(chunks, joiner):
    """`chunks` as one output (a malformed block is an error, never a wrong result)."""
    try:
        for chunk in chunks:
            out = joiner.feed(chunk)
            if out:
                yield out
    except (ValueError, IndexError) as exc:
        raise ClickHouseError(49, f"cannot join the result's blocks: {exc}", "LOGICAL_ERROR") from None
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    yield joiner.end()
