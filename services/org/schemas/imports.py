"""Bulk imports of units."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.imports import ImportQuery, ReportEntry
from shared.numbers import WholeNumber


class ImportArgs(ImportQuery):
    mode = fields.String(load_default="all_or_nothing", validate=validate.OneOf(("all_or_nothing", "valid_lines")),
                         metadata={"description": "all_or_nothing (default): any error writes nothing; "
                                                  "valid_lines: write the lines that pass"})


class ImportOut(Schema):
    id = fields.String()
    format = fields.String()
    mode = fields.String()
    total = WholeNumber()
    created = WholeNumber()
    updated = WholeNumber()
    unchanged = WholeNumber()
    error_count = WholeNumber()
    errors = fields.List(fields.Nested(ReportEntry), metadata={"description": "the lines skipped (valid_lines)"})
    created_at = fields.DateTime()
