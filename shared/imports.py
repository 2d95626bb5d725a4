"""One pipeline for every bulk import: CSV, NDJSON or XLSX in, the same typed records out, one report.

A service declares what its file holds once, as an :class:`ImportSpec` of :class:`ImportField` (the English
name, the Chinese header and its aliases, the kind of value, the choices of an enumerated column); the kit
does the rest, the same way for every import:

- the **format** from the Content-Type (``format_of``): ``text/csv`` with a header row, ``application/x-ndjson``
  (one JSON object a line) or an XLSX workbook (its first sheet, or ``?sheet=``; read with openpyxl's
  read-only streaming);
- the **encoding** of a text file, chosen once (``choose_encoding``): the ``charset=`` of the Content-Type,
  else ``?encoding=``, else a byte-order mark, else UTF-8 when the file is valid UTF-8 and reads as text
  (not as GBK bytes that happen to be valid UTF-8: see ``garbled_share``). UTF-8 and GB18030/GBK are
  read; anything else is refused with a bilingual 422 that says how to fix it. Nothing is decoded wrong;
- the **columns**: each header cell is a field's English name, its Chinese header or an alias (``姓名``,
  ``身份证号码``, ``单位编码`` ...); an unknown or repeated column is reported on the header line; a template's
  second row of English field names is skipped;
- the **values**, typed by ``ImportSpec.parse``: text stripped and bounded, codes kept as text (an ID number
  Excel turned into a number is reported, not rounded), dates in the forms Excel writes (``2001-07-01``,
  ``2001/7/1``, a date cell), whole numbers, choices by value or Chinese name;
- the **report** (:class:`ImportReport`): one entry per error with ``line`` (the file's line, or the sheet's
  row), ``field``, ``column`` (as the file names it), ``value`` (PII masked) and ``message`` in Chinese and
  English from the catalog (``message_zh``, ``message_en``).

The file is read in :class:`Block` s (whole records, cut outside quoted CSV fields, keeping the file's line
numbers): a :class:`Reader` turns one block into records in any process, so a service may prepare blocks in
worker processes (``shared.bulk.Pipeline``) while it writes the ones already prepared.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask import Response, g
from marshmallow import Schema, fields, validate

from .errors import Problem
from .messages import Message, msg
from .pii import mask_id_number, mask_phone

CSV_TYPES = ("text/csv", "application/csv")
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_TYPES = (XLSX_MIME,)
OLD_EXCEL_TYPES = ("application/vnd.ms-excel",)
FORMATS = ("csv", "ndjson", "xlsx")
#: the column of messages a marked file (``shared.import_files.marked_workbook``) adds: read back, it is ignored
MARKS_HEADER = "导入错误说明"

#: the encodings a text file may declare (lower case), and the codec each is read with: GBK and GB2312 are
#: subsets of GB18030, which also holds the rare characters of names that GBK lacks
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "gb18030": "gb18030", "gbk": "gb18030",
             "gb2312": "gb18030", "cp936": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030"}
ENCODING_NAMES = ("utf-8", "gbk", "gb18030")
UTF8_BOM = b"\xef\xbb\xbf"
GB18030_BOM = b"\x84\x31\x95\x33"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

#: an undeclared file read as UTF-8 is refused when more than this share of its non-ASCII characters lie
#: outside the ranges Chinese text uses (GBK bytes that happen to be valid UTF-8 give Greek, Hebrew, Latin
#: letters with accents ...: 郑伟 in GBK reads as '֣ΰ')
GARBLED_SHARE = 0.2
_OUTSIDE_TEXT = re.compile(
    "[^\x00-\x7f"
    "\u00a0-\u00bf\u00d7\u00f7"          # Latin-1 punctuation, × ÷ (·, «», ¥)
    "\u0f00-\u0fff\u1800-\u18af"         # Tibetan, Mongolian
    "\u2000-\u27bf"                      # punctuation, letterlike, numbers (Ⅰ ①), arrows, shapes, symbols
    "\u2e80-\u2fdf\u3000-\u33ff"         # CJK radicals, punctuation, kana, bopomofo, enclosed, compatibility
    "\u3400-\u4dbf\u4e00-\u9fff"         # CJK ideographs and extension A
    "\ua000-\ua4cf\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"   # Yi, compatibility ideographs, full width
    "\U00020000-\U0003ffff]")            # CJK extensions B and later


# ----------------------------------------------------------------------------------------------- errors

class NotText(ValueError):
    """The file's bytes are not text in the chosen encoding: the catalog key and its parameters (plain data,
    so that a worker process can hand it back)."""

    def __init__(self, key: str, params: dict):
        super().__init__(key, params)
        self.key = key
        self.params = params


def text_problem(key: str, params: dict | None = None) -> Problem:
    """The 422 for a file that is not text as it was declared or detected: says how to send it right."""
    return Problem(422, "Unprocessable Content", msg(key, **(params or {})), kind="import-encoding",
                   encoding=(params or {}).get("encoding"))


def import_failed(report: "ImportReport", key: str = "import-errors") -> Problem:
    """The 422 of an import whose rows have errors: the whole report, nothing written."""
    summary = report.as_dict()
    return Problem(422, "Unprocessable Content",
                   msg(key, bad=summary["total"] - summary["valid"], total=summary["total"]),
                   kind="import-errors", report=summary)


# ----------------------------------------------------------------------------------------------- fields

@dataclass(frozen=True)
class ImportField:
    """One column of an import: its English ``name`` (the record's key, an NDJSON key), its Chinese header
    ``zh`` and other ``aliases``, and the kind of value: ``text`` (at most ``max_length``), ``code`` (text even
    when a spreadsheet made it a number; ``pattern`` with its ``hint`` key), ``date``, ``integer``
    (``low``..``high``) or ``choice`` (``choices``: value and Chinese name; ``accept``: other spellings).
    ``suggestions`` fill a template's drop-down for a text column that may hold others (民族, 学历);
    ``pii`` values are masked in reports; ``example`` and ``note_zh``/``note_en`` go into the template."""

    name: str
    zh: str
    kind: str = "text"
    required: bool = False
    max_length: int = 200
    pattern: str | None = None
    hint: str | None = None
    upper: bool = False
    low: int | None = None
    high: int | None = None
    choices: tuple[tuple[str, str], ...] = ()
    accept: tuple[tuple[str, str], ...] = ()   # (another spelling, value)
    suggestions: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    pii: str | None = None   # "id_number" or "phone": how its values are masked
    example: str = ""
    note_zh: str = ""
    note_en: str = ""

    @property
    def options(self) -> list[str]:
        """What a template's drop-down offers: the Chinese names of the choices (or the suggestions)."""
        return [label for _, label in self.choices] if self.choices else list(self.suggestions)


def _header_key(text) -> str:
    """A header cell as looked up: no surrounding blanks (full-width ones too), no required-marks, one case."""
    return re.sub(r"[\s\u3000]+", "", str(text)).strip("*＊").casefold()


_MARKS_KEY = _header_key(MARKS_HEADER)
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00(?:\.0+)?)?)?$")
_DIGITS8 = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_INTEGER = re.compile(r"^[+-]?\d{1,18}(?:\.0+)?$")


@dataclass(frozen=True)
class ImportSpec:
    """What an import's file holds: its fields, and ``what`` it imports (a catalog term: person, unit)."""

    what: str
    fields: tuple[ImportField, ...]
    lookup: dict = field(default=None, compare=False, repr=False)     # header key -> field name
    by_name: dict = field(default=None, compare=False, repr=False)
    tables: dict = field(default=None, compare=False, repr=False)     # choice field -> {spelling: value}
    patterns: dict = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        lookup, tables, patterns = {}, {}, {}
        for f in self.fields:
            for text in (f.name, f.zh, *f.aliases):
                key = _header_key(text)
                if lookup.get(key, f.name) != f.name:
                    raise ValueError(f"{text!r} names both {lookup[key]} and {f.name}")
                lookup[key] = f.name
            if f.kind == "choice":
                table = {}
                for spelling, value in (*((label, value) for value, label in f.choices), *f.accept,
                                        *((value, value) for value, _ in f.choices)):
                    table[spelling] = table[spelling.casefold()] = value
                tables[f.name] = table
            if f.pattern:
                patterns[f.name] = re.compile(f.pattern)
        object.__setattr__(self, "lookup", lookup)
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "tables", tables)
        object.__setattr__(self, "patterns", patterns)

    def field_of(self, header) -> str | None:
        """The field a header cell names (``姓名``, ``name``, ``身份证号码（id_number）``), or None."""
        if header is None:
            return None
        key = _header_key(header)
        found = self.lookup.get(key)
        if found is None:
            bracket = re.match(r"^(.*?)[(（\[【](.*?)[)）\]】]$", key)   # "姓名(name)": either half
            if bracket:
                found = self.lookup.get(bracket.group(1)) or self.lookup.get(bracket.group(2))
        return found

    def columns(self, header: list, line: int, report: "ImportReport") -> tuple[str | None, ...]:
        """The field of each header cell (None for a blank one); unknown and repeated columns reported."""
        out: list[str | None] = []
        seen: dict[str, str] = {}
        for text in header:
            text = "" if text is None else str(text).strip()
            if text and _header_key(text) == _MARKS_KEY:
                out.append(None)   # a marked file sent back: its column of messages is not data
                continue
            name = self.field_of(text) if text else None
            if text and name is None:
                report.add_header(line, text, msg("import-unknown-column", column=text), text)
            elif name is not None and name in seen:
                report.add_header(line, name, msg("import-repeated-column", column=text, first=seen[name]), text)
                name = None
            elif name is not None:
                seen[name] = text
                report.columns[name] = text
            out.append(name)
        return tuple(out)

    def is_example(self, record: dict) -> bool:
        """Whether ``record`` is the template's example row, untouched: every field as its ``example``."""
        if not any(f.example for f in self.fields):
            return False
        for f in self.fields:
            value = record.get(f.name)
            if ("" if value is None else str(value).strip()) != f.example:
                return False
        return True

    def parse(self, raw: dict) -> tuple[dict, list[tuple[str, Message]]]:
        """A record's values typed (blank ones absent) and the errors of those that are not what their field
        takes, as ``(field, message)``. Keys that are not fields are left out."""
        values: dict = {}
        errors: list[tuple[str, Message]] = []
        for f in self.fields:
            value = raw.get(f.name)
            if isinstance(value, str):
                value = value.strip()
                if not value:
                    value = None
            if value is None:
                if f.required:
                    errors.append((f.name, msg("import-required")))
                continue
            try:
                values[f.name] = self._typed(f, value)
            except _Bad as bad:
                errors.append((f.name, bad.message))
        return values, errors

    def _typed(self, f: ImportField, value):
        kind = f.kind
        if kind == "date":
            if isinstance(value, datetime):
                if value.time() != time(0):
                    raise _Bad(msg("import-date"))
                return value.date()
            if isinstance(value, date):
                return value
            if isinstance(value, str):
                if len(value) == 10 and value[4] == value[7] == "-":   # 2024-03-01, as most files write it
                    try:
                        return date.fromisoformat(value)
                    except ValueError:
                        pass   # full-width digits, a day the month lacks: the general reading decides
                found = _DATE.match(value) or _DIGITS8.match(value)
                if found:
                    year, month, day = found.groups()
                    try:
                        return date(int(year), int(month), int(day))
                    except ValueError:
                        pass
            raise _Bad(msg("import-date"))
        if kind == "integer":
            if isinstance(value, bool):
                raise _Bad(msg("import-integer", low=f.low, high=f.high))
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            elif isinstance(value, str) and _INTEGER.match(value):
                value = int(value.split(".")[0])
            if not isinstance(value, int) or (f.low is not None and value < f.low) or \
                    (f.high is not None and value > f.high):
                raise _Bad(msg("import-integer", low=f.low, high=f.high))
            return value
        if kind == "choice":
            table = self.tables[f.name]
            found = table.get(value) if isinstance(value, str) else None
            if found is None and isinstance(value, str):
                found = table.get(value.casefold())
            if found is None:
                raise _Bad(msg("import-choice", zh_options="、".join(label for _, label in f.choices),
                               options=", ".join(v for v, _ in f.choices)))
            return found
        # text and code
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            raise _Bad(msg("import-not-text"))
        if isinstance(value, float):
            if kind == "code" and (not value.is_integer() or abs(value) >= 1e15):
                raise _Bad(msg("import-number-as-code"))
            value = str(int(value)) if value.is_integer() else repr(value)
        elif isinstance(value, datetime):
            value = value.date().isoformat() if value.time() == time(0) else value.isoformat()
        elif isinstance(value, (int, date)):
            value = str(value) if isinstance(value, int) else value.isoformat()
        elif not isinstance(value, str):
            raise _Bad(msg("import-not-text"))
        if f.upper:
            value = value.upper()
        if len(value) > f.max_length:
            raise _Bad(msg("import-too-long", most=f.max_length))
        if "\x00" in value:
            raise _Bad(msg("import-not-text"))
        pattern = self.patterns.get(f.name)
        if pattern is not None and not pattern.match(value):
            raise _Bad(msg(f.hint or "import-pattern"))
        return value

    def mask(self, name: str, value):
        """A value as a report may show it: PII masked, long text cut."""
        f = self.by_name.get(name)
        if value is None:
            return None
        if isinstance(value, (date, datetime)):
            value = value.isoformat()
        text = str(value)
        if f is not None and f.pii == "id_number":
            return mask_id_number(text) if len(text) > 7 else "*" * len(text)
        if f is not None and f.pii == "phone":
            return mask_phone(text)
        return text if len(text) <= 100 else text[:99] + "…"


class _Bad(Exception):
    def __init__(self, message: Message):
        self.message = message


# ----------------------------------------------------------------------------------------------- report

@dataclass
class ImportReport:
    """Every error of an import: ``add(line, field, message, value=)``; ``as_dict()`` is the report answered.
    ``columns`` remembers how the file names each field (its header cell)."""

    spec: ImportSpec | None = None
    total: int = 0
    errors: list[dict] = field(default_factory=list)
    columns: dict = field(default_factory=dict)

    def add(self, line: int, field_name: str, message, value=None, column: str | None = None) -> None:
        if not isinstance(message, Message):
            message = Message("import-invalid", f"取值无效：{message}", str(message))
        self.errors.append({"line": line, "field": field_name, "column": column, "value": value,
                            "message": message})

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def bad_lines(self) -> set[int]:
        return {e["line"] for e in self.errors}

    def entry(self, error: dict) -> dict:
        message: Message = error["message"]
        name = error["field"]
        value = error["value"]
        if value is not None and self.spec is not None:
            value = self.spec.mask(name, value)
        return {"line": error["line"], "field": name,
                "column": error["column"] or self.columns.get(name, name), "value": value,
                "message": str(message), "message_zh": message.zh, "message_en": message.en}

    def as_dict(self, limit: int = 1000) -> dict:
        rows_wrong = {e["line"] for e in self.errors if not e.get("header")}
        return {"total": self.total, "valid": max(0, self.total - len(rows_wrong)),
                "error_count": len(self.errors), "errors": [self.entry(e) for e in self.errors[:limit]]}

    def add_header(self, line: int, field_name: str, message: Message, column: str) -> None:
        """An error of the header row (an unknown or repeated column): no row is wrong for it."""
        self.errors.append({"line": line, "field": field_name, "column": column, "value": column,
                            "message": message, "header": True})


# ----------------------------------------------------------------------------------------------- encodings

def format_of(content_type: str | None) -> str:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in CSV_TYPES:
        return "csv"
    if kind in NDJSON_TYPES:
        return "ndjson"
    if kind in XLSX_TYPES:
        return "xlsx"
    if kind in OLD_EXCEL_TYPES:
        raise Problem(415, "Unsupported Media Type", msg("import-old-excel"), kind="unsupported-media-type")
    raise Problem(415, "Unsupported Media Type", msg("import-media-type"), kind="unsupported-media-type")


def charset_of(content_type: str | None) -> str | None:
    """The ``charset=`` parameter of a Content-Type, if any."""
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"'):
            return value.strip().strip('"')
    return None


def declared_encoding(content_type: str | None, query_encoding: str | None) -> str | None:
    """The codec a text file declares (``charset=``, else ``?encoding=``), or None; 422 for one not read."""
    declared = charset_of(content_type) or query_encoding
    if not declared:
        return None
    codec = ENCODINGS.get(declared.strip().lower())
    if codec is None:
        raise Problem(422, "Unprocessable Content",
                      msg("import-encoding-unknown", encoding=declared[:40], names=", ".join(ENCODING_NAMES)),
                      kind="import-encoding", encoding=declared[:40])
    return codec


def choose_encoding(head: bytes, declared: str | None) -> tuple[str, int, bool]:
    """``(codec, bytes of the byte-order mark to skip, detected)`` for a text file beginning with ``head``:
    the declared codec, else the byte-order mark's, else UTF-8 (``detected``: the caller checks each block
    reads as text, see ``garbled_share``). Raises ``NotText`` for UTF-16 and for an undeclared file that is
    not valid UTF-8."""
    if head.startswith(UTF16_BOMS):
        raise NotText("import-encoding-utf16", {})
    if declared is not None:
        if declared == "utf-8" and head.startswith(UTF8_BOM):
            return declared, 3, False
        if declared == "gb18030" and head.startswith(GB18030_BOM):
            return declared, 4, False
        return declared, 0, False
    if head.startswith(UTF8_BOM):
        return "utf-8", 3, False
    if head.startswith(GB18030_BOM):
        return "gb18030", 4, False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # a character cut at the end is fine
    except UnicodeDecodeError:
        raise NotText("import-encoding-undeclared", {}) from None
    return "utf-8", 0, True


def garbled_share(text: str) -> float:
    """The share of the non-ASCII characters of ``text`` that lie outside the ranges Chinese text uses."""
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))   # counted in C, no list of characters
    if not non_ascii:
        return 0.0
    return len(_OUTSIDE_TEXT.findall(text)) / non_ascii


def decode(data: bytes, codec: str, detected: bool, first_line: int) -> str:
    """A block's text; ``NotText`` when it is not text in ``codec`` (or, detected as UTF-8, reads as garbled
    GBK): the line it fails on is in the message."""
    try:
        text = data.decode(codec)
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        key = "import-encoding-undeclared" if detected else "import-encoding-wrong"
        raise NotText(key, {"encoding": codec, "line": line}) from None
    if detected:
        share = garbled_share(text)
        if share > GARBLED_SHARE:
            raise NotText("import-encoding-garbled", {"share": round(100 * share)})
    return text


# ----------------------------------------------------------------------------------------------- reading

@dataclass
class Block:
    """Whole records of an import file: ``data``, the raw bytes of CSV or NDJSON records, or ``rows``, a
    sheet's rows as ``(row number, values)``; ``first_line`` is the file line its data starts on. Blocks of a
    text file are cut at line ends outside quoted CSV fields, so each can be parsed on its own (in another
    process, say) and still report the file's line numbers."""

    first_line: int
    data: bytes = b""
    rows: list | None = None


@dataclass(frozen=True)
class Reader:
    """What turning a block into records needs, as plain data (it travels to worker processes): the
    format, the codec (``detected``: UTF-8 found, not declared, so each block is checked to read as text),
    the field of each column, and the line a template's row of English names would be on."""

    spec: ImportSpec
    fmt: str
    encoding: str | None = None
    detected: bool = False
    columns: tuple | None = None
    names_line: int | None = None
    sheet: "SheetXml | None" = None   # XLSX read as its XML: blocks of whole <row> elements

    def records(self, block: Block, report: ImportReport):
        """Yield ``(line, record)``: the record's values by field name, as the file holds them (the caller
        types them with ``spec.parse``). ``report.total`` counts every record; lines that cannot be read go
        into the report. Raises ``NotText`` when the block is not text in the file's encoding."""
        if block.rows is not None:
            yield from self._rows(block.rows, report)
        elif self.fmt == "xlsx":
            yield from self._rows(self.sheet.rows(block.data), report)
        elif self.fmt == "csv":
            text = decode(block.data, self.encoding, self.detected, block.first_line)
            yield from self._csv(text, block.first_line - 1, report)
        else:
            text = decode(block.data, self.encoding, self.detected, block.first_line)
            yield from self._ndjson(text, block.first_line, report)

    def _record(self, line: int, values, report: ImportReport) -> dict | None:
        columns = self.columns
        if len(values) > len(columns) and any(v not in (None, "") for v in values[len(columns):]):
            report.total += 1
            report.add(line, "*", msg("import-too-many-values"))
            return None
        record = dict(zip(columns, values)) if None not in columns else \
            {name: value for name, value in zip(columns, values) if name is not None}
        if line == self.names_line and record and all(
                isinstance(v, str) and v.strip().casefold() == k for k, v in record.items() if v not in (None, "")):
            return None   # a template's second header row: the English field names
        if self.names_line is not None and line in (self.names_line, self.names_line + 1) and \
                self.spec.is_example(record):
            return None   # the template's example row, left as it was
        if not any(values) and all(v in (None, "") for v in values):
            return None   # a blank row (Excel leaves ",,,," lines); any() first: a row with a value ends there
        report.total += 1
        return record

    def _csv(self, text: str, offset: int, report: ImportReport):
        reader = csv.reader(io.StringIO(text, newline=""))
        ended = 0
        for row in reader:
            line, ended = offset + ended + 1, reader.line_num  # a record's line is the one it starts on
            if not row:
                continue
            record = self._record(line, row, report)
            if record is not None:
                yield line, record

    def _rows(self, rows: list, report: ImportReport):
        for line, values in rows:
            record = self._record(line, values, report)
            if record is not None:
                yield line, record

    def _ndjson(self, text: str, first_line: int, report: ImportReport):
        spec = self.spec
        for line, raw in enumerate(text.split("\n"), start=first_line):
            if not raw.strip():
                continue
            report.total += 1
            try:
                record = json.loads(raw)
            except json.JSONDecodeError as exc:
                report.add(line, "*", msg("import-not-json", reason=exc.msg))
                continue
            if not isinstance(record, dict):
                report.add(line, "*", msg("import-not-object"))
                continue
            out = {}
            for key, value in record.items():
                name = key if key in spec.by_name else spec.field_of(key)
                if name is None:
                    report.add(line, key, msg("import-unknown-column", column=key[:100]), column=key[:100])
                elif name in out:
                    report.add(line, name, msg("import-repeated-column", column=key[:100], first=name))
                else:
                    out[name] = value
            yield line, out


class Upload:
    """An import's file as the request sends it: its format and encoding chosen once, read in blocks.
    ``reader`` is set once the header has been read (at the first block). Header errors (unknown or repeated
    columns) go into ``report``."""

    def __init__(self, stream, fmt: str, spec: ImportSpec, report: ImportReport, *, encoding: str | None = None,
                 sheet: str | None = None):
        self.stream = stream
        self.fmt = fmt
        self.spec = spec
        self.report = report
        self.declared = encoding
        self.sheet = sheet
        self.encoding: str | None = None
        self.reader: Reader | None = None

    @classmethod
    def of_request(cls, request, args: dict, spec: ImportSpec, report: ImportReport, stream=None) -> "Upload":
        """The request's body (or ``stream``, a copy of it) with ``?encoding=`` and ``?sheet=`` of ``args``."""
        fmt = format_of(request.content_type)
        encoding = declared_encoding(request.content_type, args.get("encoding")) if fmt != "xlsx" else None
        active = g.get("zhibu_import")   # shared.import_jobs: the body's copy, and who follows the report
        if stream is None and active is not None:
            stream = active.stream
        upload = cls(stream if stream is not None else request.stream, fmt, spec, report, encoding=encoding,
                     sheet=args.get("sheet"))
        if active is not None:
            active.upload = upload
        return upload

    def blocks(self, size: int = 1 << 20, rows: int = 5000):
        """Yield the file's blocks (about ``size`` bytes of text, or ``rows`` rows of a sheet). Raises
        ``NotText`` or a ``Problem`` when the file cannot be read at all."""
        if self.fmt == "xlsx":
            yield from self._sheet_blocks(rows)
        else:
            yield from self._text_blocks(size)

    # -- CSV and NDJSON

    def _text_blocks(self, size: int):
        stream, line, rest = self.stream, 1, b""
        first = True
        while True:
            chunk = stream.read(size)
            data = rest + chunk if rest else chunk
            if first and data:
                first = False
                while len(data) < 4 and chunk:   # enough for a byte-order mark
                    chunk = stream.read(size)
                    data += chunk
                codec, bom, detected = choose_encoding(data, self.declared)
                self.encoding = codec
                data = data[bom:]
                if self.fmt == "csv":
                    end = _first_record_end(data)
                    while end < 0 and chunk:  # a header longer than a block
                        chunk = stream.read(size)
                        data += chunk
                        end = _first_record_end(data) if chunk else len(data)
                    head = data[:end + 1] if end >= 0 else data
                    header = next(csv.reader(io.StringIO(decode(head, codec, detected, 1), newline="")), [])
                    columns = self.spec.columns(header, 1, self.report)
                    line += head.count(b"\n")
                    data = data[len(head):]
                    self.reader = Reader(self.spec, "csv", codec, detected, columns, names_line=line)
                else:
                    self.reader = Reader(self.spec, "ndjson", codec, detected)
            if not chunk:
                if data.strip():
                    yield Block(line, data)
                return
            cut = _record_end(data, len(data)) if self.fmt == "csv" else data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            block, rest = data[:cut + 1], data[cut + 1:]
            yield Block(line, block)
            line += block.count(b"\n")

    # -- XLSX

    def _sheet_blocks(self, size: int):
        stream = _seekable(self.stream)
        xml = SheetXml.open(stream, self.sheet)
        if xml is None:   # a workbook whose XML the fast reader does not know: openpyxl reads it
            stream.seek(0)
            yield from self._openpyxl_blocks(stream, size)
            return
        sheet, parts = xml
        line, header, first_rows = 0, None, []
        for data in parts:
            rows = sheet.rows(data)
            if header is None:
                for number, values in rows:
                    if header is None and any(v is not None and str(v).strip() for v in values):
                        line, header = number, list(values)
                    elif header is not None:
                        first_rows.append((number, values))
                if header is None:
                    continue
                while header and (header[-1] is None or not str(header[-1]).strip()):
                    header.pop()
                columns = self.spec.columns(header, line, self.report)
                self.reader = Reader(self.spec, "xlsx", columns=columns, names_line=line + 1, sheet=sheet)
                if first_rows:
                    yield Block(first_rows[0][0], rows=first_rows)
                continue
            yield Block(0, data=data)

    def _openpyxl_blocks(self, stream, size: int):
        sheet = open_sheet(stream, self.sheet)
        rows = sheet.iter_rows(values_only=True)
        header, line = None, 0
        for values in rows:     # the header: the first row that is not blank
            line += 1
            if any(v is not None and str(v).strip() for v in values):
                header = list(values)
                break
        if header is None:
            return
        while header and (header[-1] is None or not str(header[-1]).strip()):
            header.pop()
        columns = self.spec.columns(header, line, self.report)
        self.reader = Reader(self.spec, "xlsx", columns=columns, names_line=line + 1)
        batch, first = [], line + 1
        for values in rows:
            line += 1
            if values:
                batch.append((line, values))
                if len(batch) >= size:
                    yield Block(first, rows=batch)
                    batch, first = [], line + 1
        if batch:
            yield Block(first, rows=batch)


class SheetXml:
    """A worksheet read from its XML (what Excel writes inside the .xlsx zip), faster than openpyxl's reader and
    in blocks: ``open`` finds the sheet and reads the shared strings and the date styles once; ``parts``
    yields the sheet's XML cut after whole ``<row>`` elements; ``rows(part)`` gives ``(row number, values)``
    as openpyxl would (numbers, dates for date-formatted cells, text, booleans). It is plain data: a worker
    process parses parts; the shared strings travel once, as a file it loads on first use."""

    def __init__(self, strings_path: str | None, dates: frozenset, date1904: bool):
        self.strings_path = strings_path
        self.dates = dates
        self.date1904 = date1904

    @staticmethod
    def locate(stream, name: str | None):
        """``(zip, its names, workbook.xml, the sheet's path)`` of the sheet ``name`` (or the first visible one)
        in the workbook in ``stream``; None when its XML is not the plain form this reader knows. A body that is
        no workbook, or a sheet it does not have, is a 422."""
        import zipfile

        try:
            book = zipfile.ZipFile(stream)
            names = set(book.namelist())
            workbook = book.read("xl/workbook.xml").decode("utf-8")
        except (zipfile.BadZipFile, KeyError, OSError, UnicodeDecodeError, ValueError):
            raise Problem(422, "Unprocessable Content", msg("import-xlsx-unreadable"), kind="import-errors") from None
        if "<sheet " not in workbook or "<sheets>" not in workbook:
            return None   # a prefixed namespace (x:sheet ...): not the plain form
        sheets = [(_attr(tag, "name"), _attr(tag, "r:id"), _attr(tag, "state"))
                  for tag in re.findall(r"<sheet\b[^>]*>", workbook)]
        if not sheets:
            return None
        if name is None:
            visible = [s for s in sheets if s[2] not in ("hidden", "veryHidden")] or sheets
            chosen = visible[0]
        else:
            found = [s for s in sheets if _unescape(s[0] or "") == name]
            if not found and name.isdigit() and 1 <= int(name) <= len(sheets):
                found = [sheets[int(name) - 1]]
            if not found:
                titles = [_unescape(s[0] or "") for s in sheets]
                raise Problem(422, "Unprocessable Content", msg("import-xlsx-no-sheet", sheet=name[:40],
                                                                sheets="、".join(titles)[:400]),
                              kind="validation", errors={"query": {"sheet": [f"one of: {', '.join(titles)[:400]}"]}})
            chosen = found[0]
        try:
            rels = book.read("xl/_rels/workbook.xml.rels").decode("utf-8")
        except KeyError:
            return None
        target = None
        for tag in re.findall(r"<Relationship\b[^>]*>", rels):
            if _attr(tag, "Id") == chosen[1]:
                target = _attr(tag, "Target")
        if not target:
            return None
        path = target.lstrip("/") if target.startswith("/") else "xl/" + target
        if path not in names:
            return None
        return book, names, workbook, path

    @classmethod
    def open(cls, stream, name: str | None):
        """``(sheet, parts)`` of the workbook in ``stream`` (seekable), or None when its XML is not the plain
        form this reader knows (then openpyxl reads it). A body that is no workbook is a 422."""
        import pickle
        import weakref

        located = cls.locate(stream, name)
        if located is None:
            return None
        book, names, workbook, path = located
        date1904 = bool(re.search(r"date1904=\"(1|true)\"", workbook))
        dates = _date_styles(book.read("xl/styles.xml").decode("utf-8")) if "xl/styles.xml" in names else frozenset()
        strings_path = None
        if "xl/sharedStrings.xml" in names:
            strings = _shared_strings(book.read("xl/sharedStrings.xml").decode("utf-8"))
            handle, strings_path = tempfile.mkstemp(prefix="zhibu-strings-")
            with os.fdopen(handle, "wb") as out:
                pickle.dump(strings, out, protocol=pickle.HIGHEST_PROTOCOL)
            _STRINGS[strings_path] = strings
        sheet = cls(strings_path, dates, date1904)
        if strings_path:
            weakref.finalize(sheet, _forget_strings, strings_path)
        probe = book.open(path).read(1 << 16)
        if b"<sheetData" not in probe and b"<sheetData/>" not in probe:
            return None
        return sheet, _xml_parts(book.open(path))

    def __getstate__(self):
        return {"strings_path": self.strings_path, "dates": self.dates, "date1904": self.date1904}

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _strings(self) -> list:
        if self.strings_path is None:
            return []
        found = _STRINGS.get(self.strings_path)
        if found is None:
            import pickle

            with open(self.strings_path, "rb") as stream:
                found = pickle.load(stream)
            _STRINGS.clear()   # a worker keeps the strings of one workbook at a time
            _STRINGS[self.strings_path] = found
        return found

    def rows(self, data: bytes) -> list:
        """``(row number, values)`` of the whole rows in ``data``."""
        from openpyxl.utils.datetime import from_excel

        strings = self._strings() if b't="s"' in data else ()
        dates, epoch, seen_dates = self.dates, (datetime(1904, 1, 1) if self.date1904 else None), {}
        out, values, number, columns = [], None, 0, _COLUMNS
        for row_tag, row, empty, ref, style, kind, more, raw, plain, inline in _CELL_OR_ROW.findall(
                data.decode("utf-8")):
            if row_tag:
                found = _ROW_NUMBER.search(row)
                number = int(found.group(1)) if found else number + 1
                values = [] if not empty else None
                out.append((number, values))
                continue
            if values is None:
                continue
            if more and ("t=" in more or "s=" in more or "r=" in more):   # attributes in another order
                found = _CELL_REF.search(more)
                ref = found.group(1) if found else ref
                found = _CELL_TYPE.search(more)
                kind = found.group(1) if found else kind
                found = _CELL_STYLE.search(more)
                style = found.group(1) if found else style
            if kind == "s":
                value = strings[int(raw)] if raw else None
            elif kind == "inlineStr":
                value = plain or (_text_of(inline) if inline else "")
            elif not raw:
                value = None
            elif not kind or kind == "n":
                if style and int(style) in dates:
                    value = seen_dates.get(raw)
                    if value is None:
                        number_ = float(raw)
                        value = seen_dates[raw] = from_excel(number_, epoch) if epoch else from_excel(number_)
                else:
                    value = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
            elif kind == "b":
                value = raw == "1"
            elif kind == "e":
                value = "#" + raw.lstrip("#")
            else:   # str: a formula's text
                value = _unescape(raw)
            index = columns.get(ref) if ref else len(values)
            if index is None:
                index = _column_index(ref)
            if index >= len(values):
                values.extend([None] * (index - len(values) + 1))
            values[index] = value
        return [(n, tuple(v)) for n, v in out if v]


_STRINGS: dict = {}
_CELL_OR_ROW = re.compile(
    r"(<row)\b([^>]*?)(/)?>"
    r'|<c(?=[\s/>])(?: r="([A-Z]+)\d+")?(?: s="(\d+)")?(?: t="(\w+)")?([^>]*?)(?:/>|>'
    r"(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?(?:<v>([^<]*)</v>)?"
    r"(?:<is><t(?: [^>]*)?>([^<&]*)</t></is>|<is>(.*?)</is>)?(?:<extLst>.*?</extLst>)?</c>)", re.S)
_ROW_NUMBER = re.compile(r'\br="(\d+)"')
_CELL_REF = re.compile(r'\br="([A-Z]+)')
_CELL_TYPE = re.compile(r'\bt="(\w+)"')
_CELL_STYLE = re.compile(r'\bs="(\d+)"')
_COLUMNS: dict = {}


def _column_index(letters: str) -> int:
    index = _COLUMNS.get(letters)
    if index is None:
        index = 0
        for ch in letters:
            index = index * 26 + ord(ch) - 64
        index = _COLUMNS[letters] = index - 1
    return index


def _attr(tag: str, name: str) -> str | None:
    found = re.search(r"\b" + re.escape(name) + r'="([^"]*)"', tag)
    return found.group(1) if found else None


_ENTITY = re.compile(r"&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _unescape(text: str) -> str:
    if "&" not in text:
        return text
    return _ENTITY.sub(lambda m: _NAMED.get(m.group(1)) or chr(int(m.group(1)[2:], 16) if m.group(1)[1] == "x"
                                                            else int(m.group(1)[1:])), text)


_T = re.compile(r"<t\b[^>]*?(?:/>|>(.*?)</t>)", re.S)
_PHONETIC = re.compile(r"<rPh\b.*?</rPh>", re.S)


def _text_of(xml: str) -> str:
    """The text of an ``<si>`` or ``<is>``: its ``<t>`` runs (rich text) without the phonetic guides."""
    if "<rPh" in xml:
        xml = _PHONETIC.sub("", xml)
    return _unescape("".join(part or "" for part in _T.findall(xml)))


_SI = re.compile(r"<si><t(?: [^>]*)?>([^<&]*)</t></si>|<si>(.*?)</si>|<si/>", re.S)


def _shared_strings(xml: str) -> list[str]:
    """The workbook's shared strings, in order (plain ones in one pass; rich text and entities one by one)."""
    return [plain or (_text_of(rich) if rich else "") for plain, rich in _SI.findall(xml)]


def _date_styles(xml: str) -> frozenset:
    """The cell styles (``s=`` indexes) whose number format shows a date."""
    from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

    formats = {int(_attr(tag, "numFmtId")): _unescape(_attr(tag, "formatCode") or "")
               for tag in re.findall(r"<numFmt\b[^>]*>", xml)}
    found = re.search(r"<cellXfs\b[^>]*>(.*?)</cellXfs>", xml, re.S)
    dates = set()
    for index, tag in enumerate(re.findall(r"<xf\b[^>]*>", found.group(1) if found else "")):
        number = int(_attr(tag, "numFmtId") or 0)
        code = formats.get(number) or BUILTIN_FORMATS.get(number) or ""
        if (14 <= number <= 22 or 45 <= number <= 47 or 27 <= number <= 36 or 50 <= number <= 58) and \
                number not in formats or (code and is_date_format(code)):
            dates.add(index)
    return frozenset(dates)


def _xml_parts(stream, size: int = 1 << 20):
    """The sheet's XML in parts cut after whole rows."""
    rest = b""
    with stream:
        while True:
            chunk = stream.read(size)
            data = rest + chunk
            if not chunk:
                if data:
                    yield data
                return
            cut = data.rfind(b"</row>")
            if cut < 0:
                rest = data
                continue
            yield data[:cut + 6]
            rest = data[cut + 6:]


def _forget_strings(path: str) -> None:
    _STRINGS.pop(path, None)
    try:
        os.unlink(path)
    except OSError:
        pass


def open_sheet(stream, name: str | None):
    """The workbook's first sheet, or the one named (or numbered from 1) ``name``; read-only, streamed.
    A body that is no workbook, or a sheet it does not have, is a 422."""
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(_seekable(stream), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError, TypeError, IndexError) as exc:
        raise Problem(422, "Unprocessable Content", msg("import-xlsx-unreadable"), kind="import-errors",
                      reason=type(exc).__name__) from None
    names = book.sheetnames
    if name is None:
        sheets = [s for s in book.worksheets if getattr(s, "sheet_state", "visible") == "visible"] or book.worksheets
        sheet = sheets[0]
    elif name in names:
        sheet = book[name]
    elif name.isdigit() and 1 <= int(name) <= len(names):
        sheet = book.worksheets[int(name) - 1]
    else:
        raise Problem(422, "Unprocessable Content", msg("import-xlsx-no-sheet", sheet=name[:40],
                                                        sheets="、".join(names)[:400]),
                      kind="validation", errors={"query": {"sheet": [f"one of: {', '.join(names)[:400]}"]}})
    if not hasattr(sheet, "iter_rows") or not hasattr(sheet, "reset_dimensions"):
        raise Problem(422, "Unprocessable Content", msg("import-xlsx-no-sheet", sheet=str(name)[:40],
                                                        sheets="、".join(names)[:400]), kind="validation")
    sheet.reset_dimensions()   # a writer's recorded size may be wrong: read every row there is
    return sheet


def _seekable(stream):
    """A workbook is a zip file, read from its end: a copy of a body that cannot seek, spooled to disk when
    large."""
    if hasattr(stream, "seekable") and stream.seekable():
        return stream
    copy = tempfile.SpooledTemporaryFile(max_size=32 << 20)
    shutil.copyfileobj(stream, copy, 1 << 20)
    copy.seek(0)
    return copy


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


def read_records(upload: Upload, size: int = 1 << 20):
    """Yield ``(line, record)`` of the whole file in this process (records as the file holds them)."""
    for block in upload.blocks(size):
        yield from upload.reader.records(block, upload.report)


def typed_records(upload: Upload, size: int = 1 << 20):
    """Yield ``(line, values)`` of the rows whose values are all what their fields take (``spec.parse``); the
    others' errors go into the report with the value as read."""
    spec, report = upload.spec, upload.report
    for line, raw in read_records(upload, size):
        values, errors = spec.parse(raw)
        if errors:
            for name, message in errors:
                report.add(line, name, message, raw.get(name))
        else:
            yield line, values


def count_rows(path: str, fmt: str, sheet: str | None = None) -> int | None:
    """The rows a file on disk holds, counted before its import (a job's ``rows_total``): a text file's
    non-blank lines after the header, a sheet's recorded size after its header row (None when the writer
    recorded none)."""
    if fmt == "xlsx":
        with open(path, "rb") as stream:
            located = SheetXml.locate(stream, sheet)
            if located is None:
                return None
            book, _, _, part = located
            with book.open(part) as xml:
                head = xml.read(1 << 16)
            size = re.search(rb'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"', head)
            if size:
                return max(0, int(size.group(1)) - 1)
            rows = sum(data.count(b"<row ") + data.count(b"<row>") for data in _xml_parts(book.open(part)))
            return max(0, rows - 1)
    lines, last = 0, b"\n"
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 22), b""):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"
    return max(0, lines - 1) if fmt == "csv" else lines


def body_stream(request) -> io.BufferedIOBase:
    return request.stream


def checked(report: dict) -> Response:
    """A dry run's answer (200): the report of the file checked whole."""
    return Response(json.dumps(ImportCheckOut().dump(report), ensure_ascii=False), 200, mimetype="application/json")


# ----------------------------------------------------------------------------------------------- query

class ImportQuery(Schema):
    """The query of every import (a service's own arguments extend it)."""

    encoding = fields.String(load_default=None, validate=validate.Length(min=1, max=40), metadata={
        "description": "the encoding of a CSV or NDJSON file that its Content-Type does not declare "
                       "(charset= wins): utf-8 or gbk / gb18030 (Excel's CSV on Chinese Windows). Undeclared, "
                       "a file must be UTF-8 (a byte-order mark is read)"})
    sheet = fields.String(load_default=None, validate=validate.Length(min=1, max=100), metadata={
        "description": "XLSX: the sheet to read, by name or number from 1 (default: the first)"})
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "check the whole file and answer its report (200), writing nothing"})
    errors = fields.String(load_default=None, validate=validate.OneOf(("xlsx",)), metadata={
        "description": "xlsx: when the file has errors, answer 422 with the file itself as XLSX, each bad cell "
                       "marked red with its message and a column 导入错误说明 of each row's messages, instead "
                       "of the JSON report (correct it in Excel and send it back as it is)"})
    async_ = fields.Boolean(data_key="async", load_default=None, metadata={
        "description": "true: run as a job (202 Accepted, Location to poll); false: in the request whatever "
                       "the size; absent: a job from ZHIBU_IMPORT_ASYNC_BYTES (16 MiB) up"})


class ReportEntry(Schema):
    line = fields.Integer(metadata={"description": "the file's line (CSV, NDJSON) or the sheet's row (XLSX)"})
    field = fields.String(metadata={"description": "the field's English name (* for the whole line)"})
    column = fields.String(metadata={"description": "the column as the file names it"})
    value = fields.Raw(allow_none=True, metadata={"description": "the value as read (PII masked)"})
    message = fields.String(metadata={"description": "中文 / English"})
    message_zh = fields.String()
    message_en = fields.String()


class ImportCheckOut(Schema):
    """A dry run's answer: the file checked whole, nothing written."""

    dry_run = fields.Boolean()
    format = fields.String()
    encoding = fields.String(allow_none=True)
    total = fields.Integer()
    valid = fields.Integer()
    error_count = fields.Integer()
    errors = fields.List(fields.Nested(ReportEntry))
