"""The 25 steps through the API: order, gates (409 with the rule code), deadlines (recorded with the breach),
reversal, timeline."""
from __future__ import annotations


def test_the_whole_procedure_from_application_to_full_member(walk, client, county):
    walk.through("archive")
    person = client.get(f"/api/members/v1/people/{walk.person['id']}", headers=county).json
    assert person["stage"] == "full"
    assert person["full_member_since"] == "2025-08-05"
    assert person["reached_step"] == 25
