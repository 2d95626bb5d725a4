"""Bulk import from an existing platform: CSV or NDJSON, streamed, validated line by line.

``read_records`` yields ``(line_number, dict)`` from either format;
``validate_records`` checks each against a marshmallow schema and returns the
good records and a report naming the line and the field of every error. The
service decides what to write; by default nothing is written when any line fails.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from marshmallow import Schema, ValidationError

from .errors import Problem

CSV_TYPES = ("text/csv", "application/csv")
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")


@dataclass
class ImportReport:
    total: int = 0
    errors: list[dict] = field(default_factory=list)

    def add(self, line: int, field_name: str, message: str) -> None:
        self.errors.append({"line": line, "field": field_name, "message": message})

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"total": self.total, "valid": self.total - len({e["line"] for e in self.errors}),
                "errors": self.errors[:1000], "error_count": len(self.errors)}


def format_of(content_type: str | None) -> str:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in CSV_TYPES:
        return "csv"
    if kind in NDJSON_TYPES:
        return "ndjson"
    raise Problem(415, "Unsupported Media Type",
                  "send text/csv (with a header row) or application/x-ndjson (one JSON object a line)",
                  kind="unsupported-media-type")


@dataclass
class Block:
    """Whole records of an import file as its raw bytes: ``first_line`` is the file line its data starts on.
    Blocks are cut at line ends outside quoted CSV fields, so each can be parsed on its own (in another
    process, say) and still report the file's line numbers."""

    first_line: int
    data: bytes


def read_blocks(stream, fmt: str, size: int = 1 << 20):
    """Yield ``(header, block)``: the CSV header's column names (``None`` for NDJSON), then each block of
    about ``size`` bytes. ``stream`` needs only ``read(n)`` (a WSGI server's request body may be no more)."""
    header, line, rest = None, 1, b""
    first = True
    while True:
        chunk = stream.read(size)
        data = rest + chunk if rest else chunk
        if first and data:
            first = False
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            if fmt == "csv":
                end = _first_record_end(data)
                while end < 0 and chunk:  # a header longer than a block
                    chunk = stream.read(size)
                    data += chunk
                    end = _first_record_end(data) if chunk else len(data)
                head = data[:end + 1] if end >= 0 else data
                row = next(csv.reader(io.StringIO(head.decode("utf-8"), newline="")), [])
                header = [name.strip() for name in row]
                line += head.count(b"\n")
                data = data[len(head):]
        if not chunk:
            if data.strip():
                yield header, Block(line, data)
            return
        cut = _record_end(data, len(data)) if fmt == "csv" else data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        block, rest = data[:cut + 1], data[cut + 1:]
        yield header, Block(line, block)
        line += block.count(b"\n")


def _first_record_end(data: bytes) -> int:
    """The first line end outside a quoted field; -1 when there is none."""
    end = data.find(b"\n")
    while end >= 0 and data.count(b'"', 0, end) % 2:
        end = data.find(b"\n", end + 1)
    return end


def _record_end(data: bytes, limit: int) -> int:
    """The last line end before ``limit`` that is outside a quoted field (an even number of quotes before it:
    a doubled quote inside a field keeps the count even); -1 when there is none."""
    end = data.rfind(b"\n", 0, limit)
    while end >= 0 and data.count(b'"', 0, end) % 2:
        end = data.rfind(b"\n", 0, end)
    return end


def records_of(block: Block, header: list[str] | None, fmt: str, report: ImportReport, as_read: bool = False):
    """Yield ``(line_number, record)`` of one block; unparseable lines go into the report (``report.total``
    counts every record). A CSV record's values are stripped and the blank ones left out, unless
    ``as_read`` (the caller strips what it uses). Raises ``UnicodeDecodeError`` when the block is not UTF-8."""
    text = block.data.decode("utf-8")
    offset = block.first_line - 1
    if fmt == "csv":
        reader = csv.reader(io.StringIO(text, newline=""))
        width = len(header)
        ended = 0
        for row in reader:
            line, ended = offset + ended + 1, reader.line_num  # a record's line is the one it starts on
            if not row:
                continue
            report.total += 1
            if len(row) > width:
                report.add(line, "*", "more values than header columns")
                continue
            if as_read:
                yield line, dict(zip(header, row))
            else:
                yield line, {name: value for name, value in zip(header, [value.strip() for value in row]) if value and name}
        return
    for line, raw in enumerate(text.split("\n"), start=block.first_line):
        if not raw.strip():
            continue
        report.total += 1
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            report.add(line, "*", f"not JSON: {exc.msg}")
            continue
        if not isinstance(record, dict):
            report.add(line, "*", "each line must be one JSON object")
            continue
        yield line, record


def read_records(stream, fmt: str, report: ImportReport):
    """Yield (line_number, record) of the whole file. Lines that are not parseable go into the report."""
    for header, block in read_blocks(stream, fmt):
        yield from records_of(block, header, fmt, report)


def validate_records(records, schema: Schema, report: ImportReport) -> list[tuple[int, dict]]:
    good = []
    for line, record in records:
        try:
            good.append((line, schema.load(record)))
        except ValidationError as exc:
            for field_name, messages in _flatten(exc.messages):
                report.add(line, field_name, "; ".join(messages))
    return good


def _flatten(messages, prefix: str = ""):
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(value, dict):
                yield from _flatten(value, name)
            else:
                yield name, [str(v) for v in (value if isinstance(value, list) else [value])]
    else:
        yield prefix or "*", [str(m) for m in messages]


def body_stream(request) -> io.BufferedIOBase:
    return request.stream
