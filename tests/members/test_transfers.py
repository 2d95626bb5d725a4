"""Transfers between branches (组织关系转接), a dissolved unit's members moving, a moved subtree's people following."""
from __future__ import annotations

from shared.testing import auth, pending_events

from .conftest import full_member, org_event, register

TRANSFERS = "/api/members/v1/transfers"


def test_a_transfer_is_requested_accepted_and_completed_and_both_sides_see_it(client, county, members, tree):
    other = auth(members, "organizer", scope=tree.id("z"))
    m = full_member(client, county, tree.id("v"), "转出")
    resp = client.post(TRANSFERS, headers=county, json={"person_id": m["id"], "to_unit_id": tree.id("bz"),
                                                         "requested_on": "2026-03-01", "reason": "外出务工"})
    assert resp.status_code == 201
    assert resp.json["status"] == "requested"
    assert resp.json["direction"] == "out"
    tid = resp.json["id"]
    seen_in = client.get(TRANSFERS, headers=other).json["items"]
    assert [(t["id"], t["direction"]) for t in seen_in] == [(tid, "in")]
    assert client.get(TRANSFERS, headers=county).json["items"][0]["id"] == tid
    third = auth(members, "organizer", scope=tree.id("g"))
    assert client.get(f"{TRANSFERS}/{tid}", headers=third).status_code == 404
    etag = client.get(f"{TRANSFERS}/{tid}", headers=other).headers["ETag"]
    wrong_side = client.patch(f"{TRANSFERS}/{tid}", json={"status": "accepted", "on": "2026-03-05"},
                              headers={**county, "If-Match": client.get(f"{TRANSFERS}/{tid}", headers=county)
                                       .headers["ETag"]})
    assert wrong_side.status_code == 403
    early = client.patch(f"{TRANSFERS}/{tid}", json={"status": "completed", "on": "2026-03-05"},
                         headers={**other, "If-Match": etag})
    assert early.status_code == 409
    accepted = client.patch(f"{TRANSFERS}/{tid}", json={"status": "accepted", "on": "2026-03-05"},
                            headers={**other, "If-Match": etag})
    assert accepted.status_code == 200
    assert accepted.json["accepted_on"] == "2026-03-05"
    done = client.patch(f"{TRANSFERS}/{tid}", json={"status": "completed", "on": "2026-03-10"},
                        headers={**other, "If-Match": accepted.headers["ETag"]})
    assert done.status_code == 200
    assert done.json["status"] == "completed"
    assert client.get(f"/api/members/v1/people/{m['id']}", headers=county).status_code == 404
    moved = client.get(f"/api/members/v1/people/{m['id']}", headers=other).json
    assert moved["unit_id"] == tree.id("bz")
    assert moved["org_path"] == tree.path("bz")
    event = [e for e in pending_events(members) if e.type == "members.member.transferred"][-1]
    assert (event.data["from_unit_id"], event.data["unit_id"], event.data["transferred_on"]) == (
        tree.id("v"), tree.id("bz"), "2026-03-10")
    assert event.org_path == tree.path("bz")
    history = client.get(TRANSFERS, headers=county).json["items"]
    assert history[0]["status"] == "completed"      # the sending side still sees it


def test_only_members_transfer_and_one_at_a_time(client, county, tree):
    applicant = register(client, county, tree.id("v"), name="申请人", applied_on="2025-01-01")
    refused = client.post(TRANSFERS, headers=county, json={"person_id": applicant["id"], "to_unit_id": tree.id("b2"),
                                                            "requested_on": "2026-03-01"})
    assert refused.status_code == 409
    assert refused.json["code"] == "MEMBERS.TRANSFER"
    m = full_member(client, county, tree.id("v"), "成员")
    body = {"person_id": m["id"], "to_unit_id": tree.id("b2"), "requested_on": "2026-03-01"}
    assert client.post(TRANSFERS, headers=county, json=body).status_code == 201
    twice = client.post(TRANSFERS, headers=county, json=body)
    assert twice.status_code == 409
    assert twice.json["code"] == "MEMBERS.TRANSFER"
    same = client.post(TRANSFERS, headers=county, json={**body, "to_unit_id": tree.id("v")})
    assert same.status_code == 422


def test_a_member_who_leaves_has_the_transfer_cancelled(client, county, tree):
    m = full_member(client, county, tree.id("v"), "离开")
    tid = client.post(TRANSFERS, headers=county, json={"person_id": m["id"], "to_unit_id": tree.id("b2"),
                                                        "requested_on": "2026-03-01"}).json["id"]
    client.post(f"/api/members/v1/people/{m['id']}/management", json={"kind": "death", "date": "2026-03-02"},
                headers=county)
    assert client.get(f"{TRANSFERS}/{tid}", headers=county).json["status"] == "cancelled"


def test_a_dissolved_units_members_move_where_org_says(client, county, members, tree):
    kept = [full_member(client, county, tree.id("b2"), f"党员{i}") for i in range(3)]
    gone = full_member(client, county, tree.id("b2"), "已故")
    client.post(f"/api/members/v1/people/{gone['id']}/management", json={"kind": "death", "date": "2026-01-02"},
                headers=county)
    before = len(pending_events(members))
    data = {**tree.units["b2"], "status": "dissolved", "unit_version": 2}
    assert org_event(members, "org.unit.dissolved", data, members_moved_to=tree.id("v"))
    moves = [e for e in pending_events(members)[before:] if e.type == "members.member.transferred"]
    assert sorted(e.data["id"] for e in moves) == sorted(p["id"] for p in kept)
    assert {(e.data["from_unit_id"], e.data["unit_id"]) for e in moves} == {(tree.id("b2"), tree.id("v"))}
    for p in kept:
        now = client.get(f"/api/members/v1/people/{p['id']}", headers=county).json
        assert now["unit_id"] == tree.id("v")
        assert now["version"] == 2
    assert client.get(f"/api/members/v1/people/{gone['id']}", headers=county).json["unit_id"] == tree.id("b2")


def test_people_follow_their_unit_when_org_moves_a_subtree(client, admin, members, tree):
    m = full_member(client, admin, tree.id("bg"), "随迁")
    register(client, admin, tree.id("bg"), name="申请", applied_on="2026-01-05")
    new_parent = tree.units["t"]
    moved = {**tree.units["g"], "parent_id": new_parent["id"], "path": new_parent["path"] + "g/", "unit_version": 2}
    assert org_event(members, "org.unit.moved", moved, old_path=tree.path("g"))
    person = client.get(f"/api/members/v1/people/{m['id']}", headers=admin).json
    assert person["org_path"] == new_parent["path"] + "g/bg/"
    township = auth(members, "organizer", scope=tree.id("t"))
    listed = client.get("/api/members/v1/people", headers=township).json["items"]
    assert {p["name"] for p in listed} == {"随迁", "申请"}
    alerts = client.get("/api/members/v1/alerts?as_of=2026-02-01", headers=township).json["items"]
    assert [a["kind"] for a in alerts] == ["talk"]
