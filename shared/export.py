"""Tables out: the same rows as JSON, CSV or XLSX, chosen by ``?format=`` or the Accept header.

XLSX can hold several sheets (one per category, say) with Chinese headers.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from flask import Response, request

from .errors import Problem
from .messages import zh_value

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("json", "csv", "xlsx")


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # shown in CSV and XLSX (Chinese where the users read Chinese)
    enum: bool = False  # an enumerated value (a unit's kind, a status): shown by its Chinese name


def wanted_format(default: str = "json") -> str:
    fmt = request.args.get("format")
    if fmt is None:
        accept = request.accept_mimetypes
        if accept.best_match(["application/json", "text/csv", XLSX_MIME]) == "text/csv" and "text/csv" in accept:
            return "csv"
        if XLSX_MIME in accept and accept.best_match(["application/json", XLSX_MIME]) == XLSX_MIME:
            return "xlsx"
        return default
    if fmt not in FORMATS:
        raise Problem(422, "Unprocessable Content", f"format must be one of {', '.join(FORMATS)}",
                      kind="validation", errors={"query": {"format": [f"one of {', '.join(FORMATS)}"]}})
    return fmt


def _cell(value, column: Column | None = None):
    if column is not None and column.enum and value is not None:
        return zh_value(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=_iso)
    return value


def _iso(value):
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


def csv_response(rows, columns: list[Column], filename: str) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese correctly only with a BOM
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c.key), c) for c in columns])
    return _attachment(buffer.getvalue().encode("utf-8"), "text/csv; charset=utf-8", filename + ".csv")


def xlsx_response(sheets: dict[str, tuple[list[Column], list[dict]]], filename: str) -> Response:
    """One sheet per entry, header row in bold. Written in openpyxl's write-only mode, which streams rows
    instead of keeping every cell object in memory (a province-wide ledger has 330,000 rows)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, (columns, rows) in sheets.items():
        sheet = book.create_sheet(title=title[:31])
        header = []
        for column in columns:
            cell = WriteOnlyCell(sheet, value=column.header)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in rows:
            sheet.append([_cell(row.get(c.key), c) for c in columns])
    if not sheets:
        book.create_sheet("Sheet1")
    out = io.BytesIO()
    book.save(out)
    return _attachment(out.getvalue(), XLSX_MIME, filename + ".xlsx")


def _attachment(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype.split(";")[0], content_type=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


#: a form line's style: (bold, size, alignment)
FORM_STYLES = {"title": (True, 16, "center"), "number": (False, 11, "right"), "body": (False, 12, "left"),
               "sign": (False, 12, "right"), "cut": (False, 9, "center")}


def xlsx_form_response(title: str, lines: list[tuple[str, str]], filename: str, width: int = 8) -> Response:
    """A printable form on one sheet (a letter, a certificate): each line ``(style, text)`` spans ``width``
    columns, wrapped; styles are ``FORM_STYLES`` (title, number, body, sign, cut)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    for column in range(1, width + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 12
    for row, (style, text) in enumerate(lines, start=1):
        bold, size, align = FORM_STYLES[style]
        cell = sheet.cell(row=row, column=1, value=text)
        cell.font = Font(bold=bold, size=size)
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)
        sheet.row_dimensions[row].height = 18 + 18 * (len(text) // (width * 6))
    sheet.print_options.horizontalCentered = True
    out = io.BytesIO()
    book.save(out)
    return _attachment(out.getvalue(), XLSX_MIME, filename + ".xlsx")
