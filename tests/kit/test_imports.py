"""The one import pipeline: CSV, NDJSON and XLSX from any body with read(n), the encoding chosen once (declared,
byte-order mark, or UTF-8 that reads as text), Chinese or English column names, typed values, one report."""
import io
from datetime import date, datetime

import openpyxl
import pytest

from shared.errors import Problem
from shared.imports import (ImportField, ImportReport, ImportSpec, NotText, Upload, choose_encoding, declared_encoding,
                            format_of, garbled_share, read_records, typed_records)

SPEC = ImportSpec("unit", (
    ImportField("code", "单位编码", "code", required=True, max_length=20, aliases=("组织编码",)),
    ImportField("name", "名称", required=True, max_length=10),
    ImportField("kind", "类型", "choice", choices=(("branch", "党支部"), ("township", "乡镇党委"))),
    ImportField("size", "人数", "integer", low=1, high=100),
    ImportField("founded", "成立日期", "date"),
    ImportField("note", "备注", max_length=200),
    ImportField("id_number", "身份证号码", "code", pii="id_number"),
))


class OnlyRead:
    """A request body as some WSGI servers hand it over: read(n) and nothing else."""

    def __init__(self, data: bytes):
        self.data = data

    def read(self, n=-1):
        n = len(self.data) if n is None or n < 0 else n
        chunk, self.data = self.data[:n], self.data[n:]
        return chunk


def upload(body: bytes, fmt: str = "csv", encoding: str | None = None, sheet: str | None = None):
    report = ImportReport(SPEC)
    return Upload(OnlyRead(body), fmt, SPEC, report, encoding=encoding, sheet=sheet), report


def typed(body: bytes, fmt: str = "csv", **options):
    source, report = upload(body, fmt, **options)
    return list(typed_records(source)), report, source


def xlsx(*rows, sheet_title=None, second=None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    if sheet_title:
        sheet.title = sheet_title
    for row in rows:
        sheet.append(list(row))
    if second:
        extra = book.create_sheet(second[0])
        for row in second[1]:
            extra.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ----------------------------------------------------------------------------------------------- formats

@pytest.mark.parametrize("content_type, fmt", [
    ("text/csv", "csv"), ("text/csv; charset=gbk", "csv"), ("application/x-ndjson", "ndjson"),
    ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")])
def test_the_format_comes_from_the_content_type(content_type, fmt):
    assert format_of(content_type) == fmt


@pytest.mark.parametrize("content_type", ["application/json", "application/vnd.ms-excel", None])
def test_other_media_types_are_refused_in_both_languages(content_type):
    with pytest.raises(Problem) as refused:
        format_of(content_type)
    assert refused.value.status == 415
    assert refused.value.detail.zh
    assert refused.value.detail.en


# ----------------------------------------------------------------------------------------------- encodings

TEXT = "单位编码,名称,类型\nA1,郑伟支部,党支部\n"


@pytest.mark.parametrize("content_type, query, codec", [
    ("text/csv; charset=gbk", None, "gb18030"), ("text/csv; charset=GB2312", None, "gb18030"),
    ('text/csv; charset="utf-8"', "gbk", "utf-8"),            # the charset wins over ?encoding=
    ("text/csv", "gb18030", "gb18030"), ("text/csv", None, None)])
def test_the_declared_encoding_is_the_charset_else_the_query(content_type, query, codec):
    assert declared_encoding(content_type, query) == codec


def test_an_encoding_that_is_not_read_is_refused_in_both_languages():
    with pytest.raises(Problem) as refused:
        declared_encoding("text/csv; charset=big5", None)
    assert refused.value.status == 422
    assert "big5" in refused.value.detail.zh
    assert "gb18030" in refused.value.detail.en


@pytest.mark.parametrize("body, declared, expected", [
    (TEXT.encode("gbk"), "gb18030", ("gb18030", 0, False)),
    (b"\xef\xbb\xbf" + TEXT.encode(), None, ("utf-8", 3, False)),          # Excel's "CSV UTF-8"
    (b"\x84\x31\x95\x33" + TEXT.encode("gb18030"), None, ("gb18030", 4, False)),
    (TEXT.encode(), None, ("utf-8", 0, True)),                              # found, not declared: checked
])
def test_the_encoding_is_declared_else_the_bom_else_utf8(body, declared, expected):
    assert choose_encoding(body, declared) == expected


def test_gbk_gb18030_and_utf8_files_give_the_same_records():
    found = []
    for body, encoding in [(TEXT.encode("gbk"), "gbk"), (TEXT.encode("gb18030"), "gb18030"),
                           (b"\xef\xbb\xbf" + TEXT.encode(), None), (TEXT.encode(), None)]:
        records, report, source = typed(body, encoding=encoding)
        assert report.errors == []
        found.append(records)
    assert found[0] == found[1] == found[2] == found[3] == [(2, {"code": "A1", "name": "郑伟支部", "kind": "branch"})]


def test_an_undeclared_file_that_is_not_utf8_is_refused():
    with pytest.raises(NotText) as refused:
        typed(TEXT.encode("gbk"))
    assert refused.value.key == "import-encoding-undeclared"


def test_gbk_bytes_that_happen_to_be_valid_utf8_are_refused_not_stored_garbled():
    body = "name\n郑伟\n".encode("gbk")          # d6a3 ceb0: valid UTF-8, reads '֣ΰ'
    assert body.decode("utf-8") == "name\n֣ΰ\n"
    with pytest.raises(NotText) as refused:
        typed(body)
    assert refused.value.key == "import-encoding-garbled"
    assert refused.value.params["share"] == 100
    source, _ = upload(body, encoding="gbk")                          # declared, it reads right
    assert list(read_records(source)) == [(2, {"name": "郑伟"})]


def test_a_file_whose_later_block_is_not_utf8_is_refused_there():
    body = TEXT.encode() + b"A2,plain\n" * 200 + "A3,名字\n".encode("gbk")
    source, report = upload(body)
    with pytest.raises(NotText):
        for block in source.blocks(size=256):
            list(source.reader.records(block, report))


def test_chinese_text_with_punctuation_and_minority_names_reads_as_text():
    assert garbled_share("买买提·艾力，《党章》“四个意识”①Ⅱ——…") == 0
    assert garbled_share("֣ΰ") == 1


def test_a_utf16_file_is_refused_with_how_to_save_it():
    with pytest.raises(NotText) as refused:
        typed("\ufeff单位编码\nA1\n".encode("utf-16-le"))
    assert refused.value.key == "import-encoding-utf16"


# ----------------------------------------------------------------------------------------------- columns

def test_chinese_headers_and_aliases_name_the_fields_and_unknown_columns_are_reported():
    body = " 组织编码 ,名称*,人数,颜色,code\nA1,某支部,3,红,A9\n".encode()
    records, report, _ = typed(body)
    assert records == [(2, {"code": "A1", "name": "某支部", "size": 3})]
    entries = report.as_dict()["errors"]
    assert [(e["line"], e["column"]) for e in entries] == [(1, "颜色"), (1, "code")]
    assert entries[0]["message_zh"].startswith("未知的列“颜色”")
    assert "unknown column" in entries[0]["message_en"]
    assert "repeats" in entries[1]["message_en"]
    assert report.as_dict()["valid"] == 1            # the header's errors make no row wrong


def test_a_header_in_both_languages_names_the_field():
    records, report, _ = typed("单位编码(code),名称（name）\nA1,x\n".encode())
    assert records == [(2, {"code": "A1", "name": "x"})]
    assert report.errors == []


def test_ndjson_keys_are_fields_or_aliases_and_unknown_keys_are_reported():
    body = '{"code": "A", "名称": "x"}\n\nnot json\n[1]\n{"code": "B", "name": "y", "colour": 1}\r\n'.encode()
    records, report, _ = typed(body, "ndjson")
    assert records == [(1, {"code": "A", "name": "x"}), (5, {"code": "B", "name": "y"})]
    assert [(e["line"], e["field"]) for e in report.errors] == [(3, "*"), (4, "*"), (5, "colour")]
    assert report.total == 4


# ----------------------------------------------------------------------------------------------- values

def test_values_are_typed_and_errors_carry_line_column_value_and_both_languages():
    body = ("单位编码,名称,类型,人数,成立日期,身份证号码\n"
            "A1,甲,党支部,3,2001/7/1,\n"
            "A2,乙,branch,007,2001年7月2日,\n"
            "A3,丙丙丙丙丙丙丙丙丙丙丙,村委,many,2001-02-30,110101198001010037\n"
            ",丁,,,20010704,\n").encode()
    records, report, _ = typed(body)
    assert records == [(2, {"code": "A1", "name": "甲", "kind": "branch", "size": 3, "founded": date(2001, 7, 1)}),
                       (3, {"code": "A2", "name": "乙", "kind": "branch", "size": 7, "founded": date(2001, 7, 2)})]
    entries = report.as_dict()["errors"]
    assert [(e["line"], e["field"], e["column"]) for e in entries] == [
        (4, "name", "名称"), (4, "kind", "类型"), (4, "size", "人数"), (4, "founded", "成立日期"), (5, "code", "单位编码")]
    kind = entries[1]
    assert kind["value"] == "村委"
    assert kind["message_zh"] == "应为以下之一：党支部、乡镇党委"
    assert kind["message_en"] == "one of: branch, township"
    assert kind["message"] == "应为以下之一：党支部、乡镇党委 / one of: branch, township"
    assert entries[4]["message_en"] == "required"
    assert report.total == 4
    assert report.as_dict()["valid"] == 2


def test_pii_values_are_masked_in_the_report():
    body = "单位编码,名称,身份证号码\nA1,甲,11010119800101003X\n".encode()
    report = ImportReport(SPEC)
    report.add(2, "id_number", "bad", "11010119800101003X")
    assert report.as_dict()["errors"][0]["value"] == "110***********003X"
    assert "11010119800101003X" not in str(typed(body)[1].as_dict())


# ----------------------------------------------------------------------------------------------- XLSX

def test_an_xlsx_sheet_gives_the_same_records_with_typed_cells_and_sheet_rows_as_lines():
    body = xlsx(["单位编码", "名称", "类型", "人数", "成立日期"],
                ["code", "name", "kind", "size", "founded"],                 # a template's English names row
                ["A1", "郑伟支部", "党支部", 3, datetime(2001, 7, 1)],
                [None, None, None, None, None],                              # blank rows are skipped
                [1002, "乙", "branch", 7.0, "2001-07-02"])
    records, report, source = typed(body, "xlsx")
    assert report.errors == []
    assert report.total == 2
    assert records == [(3, {"code": "A1", "name": "郑伟支部", "kind": "branch", "size": 3, "founded": date(2001, 7, 1)}),
                       (5, {"code": "1002", "name": "乙", "kind": "branch", "size": 7, "founded": date(2001, 7, 2)})]


def test_an_id_number_that_excel_made_a_number_is_reported_not_rounded():
    records, report, _ = typed(xlsx(["单位编码", "名称", "身份证号码"], ["A1", "甲", 110101198001010037]), "xlsx")
    assert records == []
    assert report.errors[0]["message"].key == "import-number-as-code"


def test_the_sheet_is_the_first_or_the_one_named():
    body = xlsx(["单位编码", "名称"], ["A1", "甲"], sheet_title="说明",
                second=("数据", [["单位编码", "名称"], ["B1", "乙"]]))
    assert [r["code"] for _, r in typed(body, "xlsx")[0]] == ["A1"]
    assert [r["code"] for _, r in typed(body, "xlsx", sheet="数据")[0]] == ["B1"]
    assert [r["code"] for _, r in typed(body, "xlsx", sheet="2")[0]] == ["B1"]
    with pytest.raises(Problem) as refused:
        typed(body, "xlsx", sheet="nope")
    assert refused.value.status == 422
    assert "说明、数据" in refused.value.detail.zh


def test_a_body_that_is_no_workbook_is_a_422():
    with pytest.raises(Problem) as refused:
        typed(b"PK\x03\x04 not really", "xlsx")
    assert refused.value.status == 422
    assert refused.value.detail.key == "import-xlsx-unreadable"


# ----------------------------------------------------------------------------------------------- blocks

def test_blocks_are_cut_outside_quoted_fields_and_keep_the_file_line_numbers():
    # quoted fields with line ends and doubled quotes, small blocks: every cut falls between records
    lines = ["code,note"] + [f'U{i},"line one\nline two, ""quoted"" {i}"' if i % 3 == 0 else f"U{i},plain {i}"
                             for i in range(40)]
    source, report = upload(("\n".join(lines) + "\n").encode())
    blocks = list(source.blocks(size=64))
    assert len(blocks) > 5
    assert source.reader.columns == ("code", "note")
    records = [(line, r) for block in blocks for line, r in source.reader.records(block, report)]
    assert [r["code"] for _, r in records] == [f"U{i}" for i in range(40)]
    assert records[3][1]["note"] == 'line one\nline two, "quoted" 3'
    first_line = {r["code"]: line for line, r in records}   # a record's line is where it starts
    assert (first_line["U0"], first_line["U1"], first_line["U3"], first_line["U4"]) == (2, 4, 6, 8)
    assert report.total == 40
    assert report.errors == []


def test_ndjson_blocks_keep_the_file_line_numbers():
    body = b"".join(b'{"code": "U%d"}\n' % i for i in range(30)) + b"\nnot json"
    source, report = upload(body, "ndjson")
    records = [(line, r["code"]) for block in source.blocks(size=50) for line, r in source.reader.records(block, report)]
    assert records == [(i + 1, f"U{i}") for i in range(30)]
    assert [(e["line"], e["message"].en) for e in report.errors] == [(32, "not JSON: Expecting value")]


def test_a_line_with_more_values_than_the_header_is_reported():
    source, report = upload(b"code,name\nA,x,extra\nB,y,\n")
    assert [r["code"] for _, r in read_records(source)] == ["B"]
    assert [(e["line"], e["field"]) for e in report.errors] == [(2, "*")]


def test_the_sheet_xml_reader_gives_what_openpyxl_gives():
    """The fast reader (the sheet's XML in blocks) and openpyxl agree on every kind of cell."""
    from shared.imports import SheetXml

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "名单 & <1>"
    sheet.append(["姓名", "出生日期", "人数", "比例", "党员", "公式", None, "备注"])
    sheet.append(["郑伟 & <某>", datetime(1980, 1, 2), 3, 0.5, True, "=1+1", None, "a\nb"])
    sheet.append([None, None, None, None, None, None, None, None])
    sheet.append(["李娜", date(2001, 7, 1), -7, 1e20, False, None, None, "  空格  "])
    sheet["H6"] = "sparse"
    book.create_sheet("第二")["A1"] = "二"
    out = io.BytesIO()
    book.save(out)
    expected = [(n, row) for n, row in enumerate(openpyxl.load_workbook(
        io.BytesIO(out.getvalue()), read_only=True, data_only=True).worksheets[0].iter_rows(values_only=True), start=1)
                if any(v is not None for v in row)]
    found, parts = SheetXml.open(io.BytesIO(out.getvalue()), None)
    rows = [row for part in parts for row in found.rows(part)]
    assert [n for n, _ in rows] == [n for n, _ in expected]
    for (_, got), (_, want) in zip(rows, expected):
        want = tuple(want)
        while want and want[-1] is None:
            want = want[:-1]
        assert got == want
    second, parts = SheetXml.open(io.BytesIO(out.getvalue()), "第二")
    assert [row for part in parts for row in second.rows(part)] == [(1, ("二",))]
