"""The import reader: CSV and NDJSON from any body with read(n), errors named by line and field."""
from marshmallow import Schema, fields

from shared.imports import ImportReport, read_blocks, read_records, records_of, validate_records


class OnlyRead:
    """A request body as some WSGI servers hand it over: read(n) and nothing else."""

    def __init__(self, data: bytes):
        self.data = data

    def read(self, n=-1):
        n = len(self.data) if n is None or n < 0 else n
        chunk, self.data = self.data[:n], self.data[n:]
        return chunk


class Row(Schema):
    code = fields.String(required=True)
    size = fields.Integer(required=True)


def test_csv_with_a_bom_and_errors_by_line_and_field():
    body = "\ufeffcode,size\nA,1\nB,many\n,3\n".encode()
    report = ImportReport()
    good = validate_records(read_records(OnlyRead(body), "csv", report), Row(), report)
    assert [line for line, _ in good] == [2]
    assert report.errors == [{"line": 3, "field": "size", "message": "Not a valid integer."},
                             {"line": 4, "field": "code", "message": "Missing data for required field."}]


def test_ndjson_lines_and_blank_lines():
    body = b'{"code": "A", "size": 1}\n\nnot json\n[1]\n{"code": "B", "size": 2}\r\n'
    report = ImportReport()
    good = validate_records(read_records(OnlyRead(body), "ndjson", report), Row(), report)
    assert [(line, r["code"]) for line, r in good] == [(1, "A"), (5, "B")]
    assert [(e["line"], e["field"]) for e in report.errors] == [(3, "*"), (4, "*")]
    assert report.total == 4


def test_blocks_are_cut_outside_quoted_fields_and_keep_the_file_line_numbers():
    # quoted fields with line ends and doubled quotes, small blocks: every cut falls between records
    lines = ["code,note"] + [f'U{i},"line one\nline two, ""quoted"" {i}"' if i % 3 == 0 else f"U{i},plain {i}"
                             for i in range(40)]
    body = ("\n".join(lines) + "\n").encode()
    report = ImportReport()
    blocks = list(read_blocks(OnlyRead(body), "csv", size=64))
    assert len(blocks) > 5 and {tuple(header) for header, _ in blocks} == {("code", "note")}
    records = [(line, r) for header, block in blocks for line, r in records_of(block, header, "csv", report)]
    assert [r["code"] for _, r in records] == [f"U{i}" for i in range(40)]
    assert records[3][1]["note"] == 'line one\nline two, "quoted" 3'
    first_line = {r["code"]: line for line, r in records}   # a record's line is where it starts
    assert (first_line["U0"], first_line["U1"], first_line["U3"], first_line["U4"]) == (2, 4, 6, 8)
    assert report.total == 40 and report.errors == []


def test_ndjson_blocks_keep_the_file_line_numbers():
    body = b"".join(b'{"code": "U%d"}\n' % i for i in range(30)) + b"\nnot json"
    report = ImportReport()
    records = [(line, r["code"]) for header, block in read_blocks(OnlyRead(body), "ndjson", size=50)
               for line, r in records_of(block, header, "ndjson", report)]
    assert records == [(i + 1, f"U{i}") for i in range(30)]
    assert report.errors == [{"line": 32, "field": "*", "message": "not JSON: Expecting value"}]
