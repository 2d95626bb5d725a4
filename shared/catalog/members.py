"""Events the members service publishes."""
from marshmallow import Schema, fields, validate  # noqa: F401

from . import event  # noqa: F401


@event("members.person.created")
class PersonCreated(Schema):
    """A person was registered in a unit (a branch)."""

    id = fields.UUID(required=True)
    unit_id = fields.UUID(required=True)
    name = fields.String(required=True)
    stage = fields.String(required=True)
    status = fields.String(required=True)
    person_version = fields.Integer(required=True)
