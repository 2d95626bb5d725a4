"""Bulk imports of people."""
from __future__ import annotations

from marshmallow import Schema, fields

from shared.http import page_schema
from shared.numbers import WholeNumber


class ImportOut(Schema):
    id = fields.String()
    format = fields.String()
    total = WholeNumber()
    created = WholeNumber()
    existing = WholeNumber(metadata={"description": "rows whose ID number is already registered (unchanged)"})
    created_at = fields.DateTime()


ImportPage = page_schema(ImportOut)
