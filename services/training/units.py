"""Org units as training sees them (the kit's read-model): visible ones only, else 404."""
from __future__ import annotations

from shared.request import unit_in_scope
from shared.errors import Problem

from . import rules
from .models import OrgUnitView


def organizer_in_scope(unit_id, field: str = "organizer_unit_id") -> OrgUnitView:
    """A unit that may run classes: a province, city, county or township in the caller's scope."""
    unit = unit_in_scope(unit_id)
    if unit.kind not in rules.CLASS_LEVELS:
        raise Problem(422, "Unprocessable Content", "classes are run by a province, city, county or township",
                      kind="validation",
                      errors={"json": {field: [f"a {unit.kind} does not run classes; choose a province, city, "
                                               "county or township unit"]}})
    if unit.status != "active":
        raise Problem(422, "Unprocessable Content", "the unit is dissolved", kind="validation",
                      errors={"json": {field: ["the unit is dissolved"]}})
    return unit
