"""Democratic reviews of members (民主评议党员) and their grades."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.http import PageArgs, page_schema
from shared.numbers import WholeNumber

from .common import YEAR

GRADES = ("excellent", "qualified", "basically_qualified", "unqualified")


class GradeIn(Schema):
    person_id = fields.UUID(required=True)
    grade = fields.String(required=True, validate=validate.OneOf(GRADES))


class ReviewIn(Schema):
    unit_id = fields.UUID(required=True)
    year = WholeNumber(required=True, validate=YEAR)
    held_on = fields.Date(required=True)
    grades = fields.List(fields.Nested(GradeIn), required=True, validate=validate.Length(min=1))
    not_graded = fields.List(fields.UUID(), load_default=list, metadata={
        "description": "probationary members who took part (they are not graded)"})


class GradeOut(Schema):
    person_id = fields.String()
    grade = fields.String()


class ReviewOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    year = WholeNumber()
    held_on = fields.Date()
    excellent = WholeNumber()
    qualified = WholeNumber()
    basically_qualified = WholeNumber()
    unqualified = WholeNumber()
    not_graded = WholeNumber()
    grades = fields.List(fields.Nested(GradeOut))


ReviewPage = page_schema(ReviewOut)


class ReviewListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    year = WholeNumber(load_default=None, validate=YEAR)
