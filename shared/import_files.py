"""The files an import gives back: the template to fill, and the file sent marked where it is wrong.

Both are made from the service's :class:`~shared.imports.ImportSpec` alone, the same way for every import:

- ``template_response(spec, fmt, filename)``: ``?format=xlsx`` (default) is a workbook whose first sheet
  (``导入数据``) has the Chinese headers (a required column marked ``*``), a second row of the English field
  names, one example row, cells typed as the field takes them (codes and ID numbers as text, dates as dates)
  and a drop-down list on every enumerated column (the Chinese names of its choices; a column with
  suggestions, such as 民族 or 学历, offers them and accepts others); a second sheet (``填写说明``) explains
  each column: required or not, its format, the values it takes, an example and a note. ``?format=csv`` is the
  three rows as UTF-8 CSV with a byte-order mark (Excel opens it with the Chinese intact). The pipeline reads
  a filled template as it is: the English row and the example row, if left as they were, are skipped.
- ``marked_workbook(spec, stream, upload, report)``: the file as it was sent (every row, in order, as XLSX)
  with a column ``导入错误说明`` holding each row's messages (中文 / English), every cell the report names
  filled red with its message as a comment, and the header cell of an unknown column marked. An official
  corrects it in Excel and sends it back as it is (the column of messages is ignored on the way in).
"""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

from flask import Response

from .export import XLSX_MIME, _attachment
from .imports import MARKS_HEADER, ImportField, ImportReport, ImportSpec, Upload, decode, open_sheet
from .messages import msg

TEMPLATE_FORMATS = ("xlsx", "csv")
DATA_SHEET = "导入数据"
RULES_SHEET = "填写说明"
OPTIONS_SHEET = "选项"
RED = "FFC7CE"
#: a marked file holds at most this many comments (one per bad cell); the messages column holds them all
MAX_COMMENTS = 10_000


# ----------------------------------------------------------------------------------------------- template

def header_of(f: ImportField) -> str:
    """A column's header in a template: its Chinese name, ``*`` when it is required."""
    return f.zh + ("*" if f.required else "")


def format_of_field(f: ImportField) -> tuple[str, str]:
    """How a column is filled, in Chinese and English (the rules sheet's 格式 column)."""
    if f.kind == "date":
        return "日期，如 2024-07-01（也可写 2024/7/1）", "a date, as 2024-07-01 (or 2024/7/1)"
    if f.kind == "integer":
        return f"整数，{f.low} 至 {f.high}", f"a whole number from {f.low} to {f.high}"
    if f.kind == "choice":
        return "从下拉列表中选择", "chosen from the drop-down list"
    if f.kind == "code":
        return (f"文本格式（不要让 Excel 当作数字），最多 {f.max_length} 个字符",
                f"text (not a number in Excel), at most {f.max_length} characters")
    if f.suggestions:
        return (f"文字，最多 {f.max_length} 个字，可从下拉列表中选择",
                f"text of at most {f.max_length} characters; the drop-down list suggests values")
    return f"文字，最多 {f.max_length} 个字", f"text of at most {f.max_length} characters"


def template_response(spec: ImportSpec, fmt: str, filename: str) -> Response:
    """The template of ``spec``'s import as a download: XLSX (default) or CSV."""
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([header_of(f) for f in spec.fields])
        writer.writerow([f.name for f in spec.fields])
        writer.writerow([f.example for f in spec.fields])
        return _attachment(out.getvalue().encode("utf-8"), "text/csv; charset=utf-8", filename + ".csv")
    return _attachment(template_workbook(spec), XLSX_MIME, filename + ".xlsx")


def template_workbook(spec: ImportSpec) -> bytes:
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    data = book.active
    data.title = DATA_SHEET
    bold, grey = Font(bold=True), Font(italic=True, color="808080")
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    options = book.create_sheet(OPTIONS_SHEET)
    option_column = 0
    for index, f in enumerate(spec.fields, start=1):
        letter = get_column_letter(index)
        head = data.cell(row=1, column=index, value=header_of(f))
        head.font = bold
        if f.required:
            head.fill = required_fill
        note_zh, note_en = format_of_field(f)
        head.comment = Comment(f"{note_zh}{'；' + f.note_zh if f.note_zh else ''}\n{note_en}"
                               f"{'; ' + f.note_en if f.note_en else ''}", "Zhibu")
        data.cell(row=2, column=index, value=f.name).font = grey
        data.cell(row=3, column=index, value=f.example or None)
        data.column_dimensions[letter].width = max(12, 2 * len(f.zh) + 4, len(f.example) + 4)
        cells = f"{letter}3:{letter}100000"
        if f.kind in ("code", "text"):
            for row in range(3, 4):
                data.cell(row=row, column=index).number_format = "@"
            data.column_dimensions[letter].number_format = "@"
        elif f.kind == "date":
            data.column_dimensions[letter].number_format = "yyyy-mm-dd"
        if f.options:
            option_column += 1
            column = get_column_letter(option_column)
            options.cell(row=1, column=option_column, value=f.zh)
            for row, label in enumerate(f.options, start=2):
                options.cell(row=row, column=option_column, value=label)
            last = len(f.options) + 1
            rule = DataValidation(type="list", formula1=f"'{OPTIONS_SHEET}'!${column}$2:${column}${last}",
                                  allow_blank=True, showErrorMessage=f.kind == "choice", errorStyle="stop",
                                  errorTitle=f.zh, error=str(msg("import-choice", zh_options="、".join(
                                      f.options), options=", ".join(v for v, _ in f.choices)))[:255]
                                  if f.kind == "choice" else None)
            data.add_data_validation(rule)
            rule.add(cells)
        elif f.kind == "integer":
            rule = DataValidation(type="whole", operator="between", formula1=str(f.low), formula2=str(f.high),
                                  allow_blank=True, showErrorMessage=True, errorTitle=f.zh,
                                  error=str(msg("import-integer", low=f.low, high=f.high))[:255])
            data.add_data_validation(rule)
            rule.add(cells)
    data.freeze_panes = "A3"
    options.sheet_state = "hidden"

    rules = book.create_sheet(RULES_SHEET, 1)
    header = ("列名", "字段（English）", "必填", "格式", "可选值", "示例", "说明", "Notes")
    rules.append(header)
    for cell in rules[1]:
        cell.font = bold
    for f in spec.fields:
        fmt_zh, fmt_en = format_of_field(f)
        allowed = "、".join(f.options) if f.options else ""
        if f.kind == "choice" and f.choices:
            allowed += "（" + ", ".join(v for v, _ in f.choices) + "）"
        rules.append((f.zh, f.name, "是 / yes" if f.required else "否 / no", f"{fmt_zh}\n{fmt_en}", allowed,
                      f.example, f.note_zh, f.note_en))
    rules.append(())
    for line in (
            "第 1 行是列名（带 * 的必填），第 2 行是英文字段名，第 3 行是示例：保留原样的第 2、3 行导入时会被跳过，"
            "从第 4 行起（或覆盖示例行）填写数据。",
            "Row 1 holds the column names (* required), row 2 the English field names, row 3 an example: rows 2 and "
            "3 left as they are are skipped on import; fill your rows from row 4 (or over the example).",
            "导入前可先加 ?dry_run=true 检查整个文件；加 ?errors=xlsx 时，有错误的文件会原样返回并标出错误单元格。",
            "Send it with ?dry_run=true to check the whole file first; with ?errors=xlsx a file with errors comes "
            "back marked where it is wrong."):
        rules.append((line,))
    for letter, width in zip("ABCDEFGH", (18, 20, 10, 40, 40, 20, 40, 40)):
        rules.column_dimensions[letter].width = width
    for row in rules.iter_rows(min_row=2, max_row=len(spec.fields) + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ----------------------------------------------------------------------------------------------- marked file

def marked_workbook(spec: ImportSpec, stream, upload: Upload, report: ImportReport | dict) -> bytes:
    """The file ``stream`` (seekable, as ``upload`` read it: same format, encoding and sheet) as XLSX with
    the errors of ``report`` marked. ``report`` may be the report's answer (``as_dict()``)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    errors = report.as_dict(limit=10 ** 9)["errors"] if isinstance(report, ImportReport) else report["errors"]
    header_line, header, rows = _raw_rows(spec, stream, upload)
    columns = spec.columns(header, header_line, ImportReport(spec))
    index_of = {}
    for i, name in enumerate(columns):
        if name is not None:
            index_of.setdefault(name, i)
    header_marks: dict[int, list[str]] = {}
    by_line: dict[int, list[dict]] = {}
    for e in errors:
        if e["line"] == header_line and e.get("column") in header and e["field"] not in index_of:
            header_marks.setdefault(header.index(e["column"]), []).append(e["message"])
        else:
            by_line.setdefault(e["line"], []).append(e)
    kept = [i for i, text in enumerate(header) if not (text and str(text).strip() == MARKS_HEADER)]

    book = Workbook(write_only=True)
    sheet = book.create_sheet("导入错误标注")
    red, bold, red_text = PatternFill("solid", fgColor=RED), Font(bold=True), Font(color="9C0006")
    comments = 0

    def cell(value, message: str | None = None, *, strong=False):
        nonlocal comments
        out = WriteOnlyCell(sheet, value=value)
        if strong:
            out.font = bold
        if message is not None:
            out.fill = red
            if comments < MAX_COMMENTS:
                out.comment = Comment(message[:2000], "Zhibu")
                comments += 1
        return out

    marks_head = cell(MARKS_HEADER, strong=True)
    sheet.append([cell(header[i], "\n".join(header_marks[i]) if i in header_marks else None, strong=True)
                  for i in kept] + [marks_head])
    for line, values in rows:
        found = by_line.get(line)
        values = list(values) + [None] * (len(header) - len(values))
        if not found:
            sheet.append([_cell_value(values[i]) for i in kept] + [None])
            continue
        marks: dict[int, list[str]] = {}
        whole = []
        for e in found:
            i = index_of.get(e["field"])
            if i is None or i not in kept:
                whole.append(e["message"])
            else:
                marks.setdefault(i, []).append(e["message"])
        out = [cell(_cell_value(values[i]), "\n".join(marks[i]) if i in marks else None) for i in kept]
        if whole and out:
            out[0].fill = red
        texts = [f"{e.get('column') or e['field']}：{e['message']}" for e in found]
        note = WriteOnlyCell(sheet, value="\n".join(texts))
        note.font = red_text
        out.append(note)
        sheet.append(out)
    saved = io.BytesIO()
    book.save(saved)
    return saved.getvalue()


def marked_response(body: bytes, report: dict, filename: str = "导入错误标注") -> Response:
    """The marked file as the answer of a failed import: 422, the workbook, the counts in headers."""
    response = _attachment(body, XLSX_MIME, filename + ".xlsx")
    response.status_code = 422
    response.headers["X-Import-Total"] = str(report.get("total", 0))
    response.headers["X-Import-Error-Count"] = str(report.get("error_count", 0))
    return response


def _cell_value(value):
    if isinstance(value, (date, datetime)) or value is None or isinstance(value, (int, float, bool)):
        return value
    text = str(value)
    return text if not text.startswith("=") else "'" + text  # never a formula


def _raw_rows(spec: ImportSpec, stream, upload: Upload):
    """``(header line, header cells, rows)`` of the file as sent, rows as ``(line, values)`` numbered as the
    pipeline numbers them (the file's line a CSV record starts on, the sheet's row, the NDJSON line)."""
    stream.seek(0)
    if upload.fmt == "xlsx":
        sheet = open_sheet(stream, upload.sheet)
        rows = enumerate(sheet.iter_rows(values_only=True), start=1)
        for line, values in rows:
            if any(v is not None and str(v).strip() for v in values):
                header = list(values)
                while header and (header[-1] is None or not str(header[-1]).strip()):
                    header.pop()
                return line, header, ((n, v) for n, v in rows if v)
        return 1, [], iter(())
    data = stream.read()
    codec = upload.encoding or "utf-8"
    if data.startswith(b"\xef\xbb\xbf") and codec == "utf-8":
        data = data[3:]
    elif data.startswith(b"\x84\x31\x95\x33") and codec == "gb18030":
        data = data[4:]
    text = decode(data, codec, False, 1)
    if upload.fmt == "csv":
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, [])
        return 1, header, _csv_rows(reader, reader.line_num)
    records = []
    for line, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError:
            record = None
        records.append((line, record if isinstance(record, dict) else {"*": raw[:1000]}))
    header = [f.name for f in spec.fields]
    for _, record in records:
        header += [key for key in record if key not in header]
    return 0, header, ((line, [_flat(record.get(key)) for key in header]) for line, record in records)


def _csv_rows(reader, ended: int):
    for row in reader:
        line, ended = ended + 1, reader.line_num
        if row:
            yield line, row


def _flat(value):
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
