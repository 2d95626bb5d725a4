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


class _RawReader(io.RawIOBase):
    """Any object with ``read(n)`` (a WSGI server's request body need not be a full io stream) as raw I/O."""

    def __init__(self, stream):
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._stream.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def read_records(stream, fmt: str, report: ImportReport):
    """Yield (line_number, record). Lines that are not parseable go into the report."""
    text = io.TextIOWrapper(io.BufferedReader(_RawReader(stream), 1 << 16), encoding="utf-8-sig", newline="")
    if fmt == "csv":
        reader = csv.DictReader(text)
        for record in reader:
            line = reader.line_num
            report.total += 1
            if None in record:
                report.add(line, "*", "more values than header columns")
                continue
            yield line, {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in record.items()
                         if k is not None and v not in ("", None)}
        return
    for line, raw in enumerate(text, start=1):
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
