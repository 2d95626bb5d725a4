"""Events the org service publishes."""
from marshmallow import Schema, fields, validate

from . import event

UNIT_KINDS = ("province", "city", "county", "township", "grassroots_committee",
              "general_branch", "branch", "joint_branch", "party_group")


class _UnitFields(Schema):
    id = fields.UUID(required=True)
    key = fields.String(required=True, metadata={"description": "this unit's own segment of every path"})
    path = fields.String(required=True)
    parent_id = fields.UUID(allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(UNIT_KINDS))
    domain = fields.String(allow_none=True)
    name = fields.String(required=True)
    code = fields.String(required=True)
    status = fields.String(required=True)
    established_on = fields.Date(allow_none=True)
    unit_version = fields.Integer(required=True, metadata={"description": "the unit's version; a newer one wins"})


@event("org.unit.created")
class UnitCreated(_UnitFields):
    """An org unit was created (or imported)."""


@event("org.unit.updated")
class UnitUpdated(_UnitFields):
    """An org unit's name, code, domain, kind or status changed."""


@event("org.unit.moved")
class UnitMoved(_UnitFields):
    """An org unit moved under another parent; every path under ``old_path`` now starts with ``path``."""

    old_path = fields.String(required=True)


@event("org.unit.dissolved")
class UnitDissolved(_UnitFields):
    """An org unit was dissolved."""
