"""Liaison points (联系点) and the leaders who keep them."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shared.http import PageArgs, page_schema
from shared.numbers import WholeNumber

from ..rules import LEADER_ROLES


class LeaderIn(Schema):
    unit_id = fields.UUID(required=True, metadata={"description": "the party committee's unit (province, city, "
                                                                  "county, township or grassroots committee)"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200),
                          metadata={"description": "e.g. 县委书记, 乡镇党委副书记"})
    role = fields.String(required=True, validate=validate.OneOf(list(LEADER_ROLES)))
    person_id = fields.UUID(load_default=None, allow_none=True,
                            metadata={"description": "the leader's record in the members service"})
    since = fields.Date(required=True)


class LeaderPatch(Schema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    role = fields.String(validate=validate.OneOf(list(LEADER_ROLES)))
    person_id = fields.UUID(allow_none=True)
    ended_on = fields.Date(metadata={"description": "the leader left the committee: their liaison points end"})


class LeaderOut(Schema):
    id = fields.String()
    unit_id = fields.String()
    unit_name = fields.String()
    path = fields.String()
    name = fields.String()
    title = fields.String()
    role = fields.String()
    person_id = fields.String(allow_none=True)
    since = fields.Date()
    ended_on = fields.Date(allow_none=True)
    active = fields.Boolean()
    liaison_points = WholeNumber(metadata={"description": "active liaison points the leader keeps"})
    version = WholeNumber()


LeaderPage = page_schema(LeaderOut)


class LeaderListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    active = fields.Boolean(load_default=None)
    without_liaison = fields.Boolean(load_default=False,
                                     metadata={"description": "only serving leaders who keep no liaison point"})


class LiaisonIn(Schema):
    leader_id = fields.UUID(load_default=None, allow_none=True,
                            metadata={"description": "a registered leader: name, title and committee come from it"})
    leader_name = fields.String(validate=validate.Length(min=1, max=100))
    leader_title = fields.String(validate=validate.Length(min=1, max=200))
    leader_unit_id = fields.UUID(load_default=None, allow_none=True)
    unit_id = fields.UUID(required=True, metadata={"description": "the liaison branch"})
    since = fields.Date(required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))

    @validates_schema
    def _a_leader(self, data, **kwargs):
        if not data.get("leader_id"):
            missing = {name: ["required without leader_id"] for name in ("leader_name", "leader_title")
                       if not data.get(name)}
            if missing:
                raise ValidationError(missing)


class LiaisonPatch(Schema):
    leader_title = fields.String(validate=validate.Length(min=1, max=200))
    note = fields.String(allow_none=True, validate=validate.Length(max=1000))
    ended_on = fields.Date(metadata={"description": "the leader no longer keeps this liaison point"})


class RatingOut(Schema):
    year = WholeNumber()
    score = fields.Float()
    stars = WholeNumber()
    category = fields.String()


class LiaisonOut(Schema):
    id = fields.String()
    leader_id = fields.String(allow_none=True)
    leader_name = fields.String()
    leader_title = fields.String()
    leader_unit_id = fields.String(allow_none=True)
    unit_id = fields.String()
    unit_name = fields.String()
    path = fields.String()
    since = fields.Date()
    ended_on = fields.Date(allow_none=True)
    active = fields.Boolean()
    note = fields.String(allow_none=True)
    version = WholeNumber()
    latest_rating = fields.Nested(RatingOut, allow_none=True)


LiaisonPage = page_schema(LiaisonOut)


class LiaisonListArgs(PageArgs):
    under = fields.UUID(load_default=None)
    active = fields.Boolean(load_default=None)
