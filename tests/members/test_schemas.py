"""The request schemas cover the procedure exactly (services/members/schemas/)."""
from __future__ import annotations

from services.members.rules import STEPS
from services.members.schemas import STEP_SCHEMAS


def test_every_step_of_the_procedure_has_a_payload_schema_and_no_schema_is_for_an_unknown_step():
    assert set(STEP_SCHEMAS) == {step.kind for step in STEPS}
