"""Member management: out of contact and suspension (MEMBERS.OUT_OF_CONTACT), unqualified members
(MEMBERS.UNQUALIFIED), leaving, 留党察看 and introducers, classification (MEMBERS.TRANSFER)."""
from __future__ import annotations

from shared.testing import pending_events

from .conftest import full_member, register


def url(person) -> str:
    return f"/api/members/v1/people/{person['id']}/management"


def act(client, headers, person, status=201, **body):
    resp = client.post(url(person), json=body, headers=headers)
    assert resp.status_code == status, resp.json
    return resp.json


def test_out_of_contact_suspension_and_removal(client, county, tree, members):
    m = full_member(client, county, tree.id("v"), "失联")
    act(client, county, m, kind="out_of_contact", date="2024-01-31")
    early = act(client, county, m, 409, kind="suspension", date="2024-07-30")
    assert early["code"] == "MEMBERS.OUT_OF_CONTACT"
    assert "2024-07-31" in early["detail"]
    alerts = client.get("/api/members/v1/alerts?as_of=2024-07-20", headers=county).json["items"]
    assert [(a["kind"], a["due_on"]) for a in alerts] == [("suspension", "2024-07-31")]
    suspended = act(client, county, m, kind="suspension", date="2024-07-31")
    assert suspended["person"]["status"] == "suspended"
    updated = [e for e in pending_events(members) if e.type == "members.person.updated"][-1]
    assert updated.data["status"] == "suspended"
    step = client.post(f"/api/members/v1/people/{m['id']}/steps", json={"kind": "archive", "date": "2024-08-01"},
                       headers=county)
    assert step.status_code == 409
    too_soon = act(client, county, m, 409, kind="removal", date="2026-07-30", ground="out_of_contact")
    assert too_soon["code"] == "MEMBERS.OUT_OF_CONTACT"
    assert "2026-07-31" in too_soon["detail"]
    removed = act(client, county, m, kind="removal", date="2026-07-31", ground="out_of_contact")
    assert removed["person"]["status"] == "left"
    left = [e for e in pending_events(members) if e.type == "members.member.left"][-1]
    assert (left.data["reason"], left.data["left_on"], left.data["id"]) == ("removal", "2026-07-31", m["id"])
    again = act(client, county, m, 409, kind="death", date="2026-08-01")
    assert "left" in again["detail"]


def test_contact_restored_lifts_the_suspension(client, county, tree):
    m = full_member(client, county, tree.id("v"), "回来")
    act(client, county, m, kind="out_of_contact", date="2024-01-01")
    act(client, county, m, kind="suspension", date="2024-07-01")
    back = act(client, county, m, kind="contact_restored", date="2024-09-01")
    assert back["person"]["status"] == "active"
    alerts = client.get("/api/members/v1/alerts?as_of=2026-12-01", headers=county).json["items"]
    assert not [a for a in alerts if a["person_id"] == m["id"]]


def test_only_members_are_suspended(client, county, tree):
    applicant = register(client, county, tree.id("v"), name="申请人", applied_on="2024-01-01")
    refused = act(client, county, applicant, 409, kind="out_of_contact", date="2024-02-01")
    assert refused["code"] == "MEMBERS.OUT_OF_CONTACT"


def test_unqualified_correction_persuasion_and_removal(client, county, tree, members):
    m = full_member(client, county, tree.id("v"), "不合格")
    long = act(client, county, m, 409, kind="correction", date="2025-01-31", until="2026-02-01", reason="不参加组织生活")
    assert long["code"] == "MEMBERS.UNQUALIFIED"
    assert "2026-01-31" in long["detail"]
    act(client, county, m, kind="correction", date="2025-01-31", until="2025-07-31", reason="不参加组织生活")
    early = act(client, county, m, 409, kind="removal", date="2025-07-31", ground="correction_failed")
    assert early["code"] == "MEMBERS.UNQUALIFIED"
    act(client, county, m, kind="correction_result", date="2025-08-01", corrected=False)
    persuaded = act(client, county, m, kind="persuasion", date="2025-08-10", accepted=False)
    assert persuaded["person"]["status"] == "active"
    removed = act(client, county, m, kind="removal", date="2025-09-01", ground="persuasion_refused")
    assert removed["person"]["status"] == "left"
    assert [e.data["reason"] for e in pending_events(members) if e.type == "members.member.left"] == ["removal"]


def test_six_months_without_party_life_is_a_ground_for_removal(client, county, tree):
    m = full_member(client, county, tree.id("v"), "六个月")
    early = act(client, county, m, 409, kind="removal", date="2025-07-30", ground="no_party_life", since="2025-01-31")
    assert early["code"] == "MEMBERS.UNQUALIFIED"
    act(client, county, m, kind="removal", date="2025-07-31", ground="no_party_life", since="2025-01-31")


def test_persuasion_accepted_is_a_withdrawal_and_death_is_recorded(client, county, tree, members):
    a = full_member(client, county, tree.id("v"), "劝退")
    b = full_member(client, county, tree.id("v"), "病故")
    act(client, county, a, kind="persuasion", date="2025-03-01", accepted=True)
    act(client, county, b, kind="death", date="2025-04-01")
    reasons = {e.data["id"]: e.data["reason"] for e in pending_events(members) if e.type == "members.member.left"}
    assert reasons == {a["id"]: "withdrawal", b["id"]: "death"}


def test_an_introducer_under_party_probation_until_rights_are_restored(walk, client, county):
    act(client, county, walk.introducer, kind="party_probation", date="2024-01-10", months=12)
    body = walk.until("introducers")
    refused = client.post(walk.url, json=body, headers=county)
    assert refused.status_code == 409
    assert refused.json["code"] == "MEMBERS.INTRODUCERS"
    assert "留党察看" in refused.json["detail"]
    act(client, county, walk.introducer, kind="rights_restored", date="2024-05-01")
    assert client.post(walk.url, json=body, headers=county).status_code == 201


def test_classification_and_the_transfer_a_mobile_member_owes(client, county, tree, members):
    m = full_member(client, county, tree.id("v"), "流动")
    act(client, county, m, kind="classification", date="2025-01-31", classification="mobile", fixed_place=True)
    updated = [e for e in pending_events(members) if e.type == "members.person.updated"][-1]
    assert updated.data["classification"] == "mobile"
    alerts = client.get("/api/members/v1/alerts?as_of=2025-07-20", headers=county).json["items"]
    assert [(a["kind"], a["due_on"], a["code"]) for a in alerts] == [("transfer", "2025-07-31", "MEMBERS.TRANSFER")]
    act(client, county, m, kind="classification", date="2025-03-01", classification="retired")
    assert client.get("/api/members/v1/alerts?as_of=2025-07-20", headers=county).json["items"] == []
    history = client.get(url(m), headers=county).json["items"]
    assert [h["kind"] for h in history] == ["classification", "classification"]


def test_a_bad_action_is_422_and_changes_nothing(client, county, tree):
    m = full_member(client, county, tree.id("v"), "坏")
    version = client.get(f"/api/members/v1/people/{m['id']}", headers=county).json["version"]
    for body in ({"kind": "suspension"}, {"kind": "removal", "date": "2025-01-01"},
                 {"kind": "party_probation", "date": "2025-01-01", "months": 7},
                 {"kind": "death", "date": "2999-01-01"}, {"kind": "fly", "date": "2025-01-01"}):
        assert client.post(url(m), json=body, headers=county).status_code == 422, body
    assert client.get(f"/api/members/v1/people/{m['id']}", headers=county).json["version"] == version
