"""A suspension (members.person.updated) takes the person out of the unit's counts."""
import uuid
from datetime import date

from shared.consumer import apply_event
from shared.events import make_envelope
from shared.testing import kit_of


def test_a_suspended_member_no_longer_counts(make_app, auth_headers):
    org = make_app("org")
    kit = kit_of(org)
    client = org.test_client()
    admin = auth_headers(org, "admin")
    province = client.post("/api/org/v1/units", headers=admin, json={"kind": "province", "name": "P", "code": "P"})
    unit = province.get_json()
    person = {"id": str(uuid.uuid4()), "unit_id": unit["id"], "name": "张三", "stage": "full", "status": "active",
              "full_member_since": date(2020, 1, 1), "probationary_since": date(2019, 1, 1), "classification": None,
              "person_version": 1}

    def send(type_, data):
        envelope = make_envelope(type_, data, source="members", org_path=unit["path"])
        assert apply_event(kit.db, kit.handlers, kit.models.InboxEvent, envelope)

    send("members.person.created", person)
    assert client.get(f"/api/org/v1/units/{unit['id']}", headers=admin).get_json()["full_members"] == 1
    send("members.person.updated", {**person, "status": "suspended", "person_version": 2})
    assert client.get(f"/api/org/v1/units/{unit['id']}", headers=admin).get_json()["full_members"] == 0
