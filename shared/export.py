"""Tables out: the same rows as JSON, CSV or XLSX, chosen by ``?format=`` or the Accept header.

XLSX can hold several sheets (one per category, say) with Chinese headers.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import quote

from flask import Response, request

from .errors import Problem

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("json", "csv", "xlsx")


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # shown in CSV and XLSX (Chinese where the users read Chinese)


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


def _cell(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "; ".join(str(v) for v in value)
    return value


def csv_response(rows, columns: list[Column], filename: str) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel opens UTF-8 CSV with Chinese correctly only with a BOM
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([_cell(row.get(c.key)) for c in columns])
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
            sheet.append([_cell(row.get(c.key)) for c in columns])
    if not sheets:
        book.create_sheet("Sheet1")
    out = io.BytesIO()
    book.save(out)
    return _attachment(out.getvalue(), XLSX_MIME, filename + ".xlsx")


def _attachment(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype.split(";")[0], content_type=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
