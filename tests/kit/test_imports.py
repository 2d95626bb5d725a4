"""The import reader: CSV and NDJSON from any body with read(n), errors named by line and field."""
from marshmallow import Schema, fields

from shared.imports import ImportReport, read_records, validate_records


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
