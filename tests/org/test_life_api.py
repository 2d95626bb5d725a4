"""Party groups and organizational life: meetings with quorum, recorded but not counted without it,
and frequency per branch for any period."""
import pytest
from sqlalchemy import func, select

from services.org.models import Meeting
from shared.testing import kit_of, pending_events


def meeting(org, unit, type_, held_on, headers=None, **fields):
    return org.post("/meetings", {"unit_id": unit["id"], "type": type_, "held_on": held_on, "topic": "学习贯彻",
                                  **fields}, headers=headers)


def meeting_count(org):
    with kit_of(org.app).db.Session() as session:
        return session.scalar(select(func.count()).select_from(Meeting))


# ----------------------------------------------------------------------------- party groups

def test_groups_hold_members_of_the_branch(org, tree):
    branch = tree["branch"]
    ids = org.members(branch, 4, probationary=1)
    outsider = org.person(tree["other_branch"])
    resp = org.post(f"/units/{branch['id']}/groups", {"name": "第一党小组", "code": "G-1", "member_ids": ids[:2],
                                                       "leader_id": ids[0]})
    assert resp.status_code == 201, resp.json
    group = resp.json
    assert {m["person_id"]: m["leader"] for m in group["members"]} == {ids[0]: True, ids[1]: False}
    assert group["path"].startswith(branch["path"])
    assert org.refresh(group)["kind"] == "party_group"
    url = f"/units/{branch['id']}/groups/{group['id']}/members"
    assert org.post(url, {"person_id": ids[4]}).status_code == 201           # a probationary member may join
    assert org.post(url, {"person_id": outsider}).status_code == 422           # not on this branch's roll
    assert org.post(url, {"person_id": ids[0]}).status_code == 422             # already in a group
    resp = org.post(url, {"person_id": ids[2], "leader": True})
    assert [m["person_id"] for m in resp.json["members"] if m["leader"]] == [ids[2]]
    resp = org.client.delete(f"/api/org/v1{url}/{ids[2]}", headers=org.headers)
    assert resp.status_code == 200
    assert ids[2] not in [m["person_id"] for m in resp.json["members"]]
    listed = org.get(f"/units/{branch['id']}/groups").json["items"]
    assert [g["code"] for g in listed] == ["G-1"]


def test_groups_belong_to_branches(org, tree):
    resp = org.post(f"/units/{tree['township']['id']}/groups", {"name": "x", "code": "G-2"})
    assert resp.status_code == 422
    county = org.as_("secretary", tree["county"]["id"])
    assert org.post(f"/units/{tree['other_branch']['id']}/groups", {"name": "x", "code": "G-3"},
                    headers=county).status_code == 404


# ----------------------------------------------------------------------------- meetings and quorum

@pytest.mark.parametrize("entitled, present, quorate", [(10, 6, True), (10, 5, False), (3, 2, True)])
def test_a_general_meeting_without_quorum_is_recorded_but_does_not_count(org, tree, entitled, present, quorate):
    resp = meeting(org, tree["branch"], "general_meeting", "2025-02-10", entitled=entitled, present=present)
    assert resp.status_code == 201
    assert resp.json["quorate"] is quorate
    assert resp.json["counts"] is quorate
    assert (resp.json["breach"] is None) is quorate
    if not quorate:
        assert resp.json["breach"]["code"] == "LIFE.GENERAL_MEETING"
    event = pending_events(org.app)[-1]
    assert event.type == "org.meeting.recorded"
    assert event.data["counts"] is quorate
    assert event.data["entitled"] == entitled
    assert event.data["present"] == present


def test_entitled_defaults_to_the_full_members_and_the_committee(org, tree):
    ids = org.members(tree["branch"], 8, probationary=3)
    resp = meeting(org, tree["branch"], "general_meeting", "2025-02-10", present=5)
    assert resp.json["entitled"] == 8
    assert resp.json["quorate"] is True  # probationary members do not vote
    org.post(f"/units/{tree['branch']['id']}/elections", {"elected_on": "2025-01-05", "seats": [
        {"role": "secretary", "person_id": ids[0]}, {"role": "organization", "person_id": ids[1]},
        {"role": "propaganda", "person_id": ids[2]}]})
    resp = meeting(org, tree["branch"], "committee_meeting", "2025-02-11", present=1)
    assert resp.json["entitled"] == 3
    assert resp.json["counts"] is False
    lecture = meeting(org, tree["branch"], "party_lecture", "2025-02-12", lecturer="书记",
                      lecturer_person_id=ids[0]).json
    assert lecture["by_secretary"] is True
    assert lecture["quorate"] is True


@pytest.mark.parametrize("body, field", [
    ({"type": "general_meeting", "held_on": "2025-02-10", "entitled": 3, "present": 4}, "present"),
    ({"type": "general_meeting", "held_on": "2025-02-10", "entitled": 3}, "present"),
    ({"type": "general_meeting", "held_on": "2025-02-10", "present": 1}, "entitled"),   # no full members known
    ({"type": "dinner", "held_on": "2025-02-10"}, "type"),
    ({"type": "committee_meeting", "held_on": "2025-02-10", "entitled": 5, "present": 3.5}, "present"),  # not 3
    ({"type": "theme_day", "held_on": "2099-02-10"}, "held_on"),
    ({"type": "group_meeting", "held_on": "2025-02-10"}, "type"),                       # a branch is not a group
    ({"type": "theme_day", "held_on": "2025-02-10", "topic": ""}, "topic"),
])
def test_bad_meetings_are_422_and_nothing_is_written(org, tree, body, field):
    events = len(pending_events(org.app))
    resp = org.post("/meetings", {"unit_id": tree["branch"]["id"], "topic": "x", **body})
    assert resp.status_code == 422, resp.json
    assert field in resp.json["errors"]["json"], resp.json
    assert meeting_count(org) == 0
    assert len(pending_events(org.app)) == events


def test_meetings_are_listed_within_scope(org, tree):
    meeting(org, tree["branch"], "theme_day", "2025-02-10")
    meeting(org, tree["other_branch"], "theme_day", "2025-02-11")
    county = org.as_("viewer", tree["county"]["id"])
    listed = org.get("/meetings", headers=county).json["items"]
    assert [m["unit_id"] for m in listed] == [tree["branch"]["id"]]
    other = org.get("/meetings", under=tree["other_county"]["id"]).json["items"][0]
    assert org.get(f"/meetings/{other['id']}", headers=county).status_code == 404
    assert org.get("/meetings", type="theme_day", **{"from": "2025-02-11"}).json["items"][0]["id"] == other["id"]
    assert meeting(org, tree["other_branch"], "theme_day", "2025-02-12", headers=county).status_code == 403  # a viewer
    secretary = org.as_("secretary", tree["county"]["id"])
    assert meeting(org, tree["other_branch"], "theme_day", "2025-02-12", headers=secretary).status_code == 404


# ----------------------------------------------------------------------------- frequency

def life(org, unit, start, end):
    return {t["type"]: t for t in org.get(f"/units/{unit['id']}/life", **{"from": start, "to": end}).json["types"]}


def test_frequency_required_against_held_per_type(org, tree):
    branch = tree["branch"]
    for held_on in ("2025-01-20", "2025-05-20", "2025-05-21"):
        meeting(org, branch, "general_meeting", held_on, entitled=4, present=3)
    meeting(org, branch, "general_meeting", "2025-08-01", entitled=4, present=2)       # no quorum: not counted
    for month in range(1, 13):
        meeting(org, branch, "theme_day", f"2025-{month:02d}-05")
    types = life(org, branch, "2025-01-01", "2025-12-31")
    general = types["general_meeting"]
    assert (general["required"], general["held"], general["not_counted"]) == (4, 3, 1)
    assert general["missed"] == ["2025-Q3", "2025-Q4"]
    assert general["violation"]["code"] == "LIFE.GENERAL_MEETING"
    assert types["theme_day"]["ok"]
    assert types["theme_day"]["held"] == 12
    assert types["review_meeting"]["missed"] == ["2025"]
    assert "committee_meeting" not in types          # no committee: a secretary has no 支委会
    half = life(org, branch, "2025-01-01", "2025-06-30")
    assert half["general_meeting"]["ok"]
    assert half["review_meeting"]["required"] == 0


def test_group_meetings_are_kept_per_group(org, tree):
    ids = org.members(tree["branch"], 3)
    group = org.post(f"/units/{tree['branch']['id']}/groups", {"name": "一组", "code": "G-L1",
                                                                "member_ids": ids}).json
    meeting(org, group, "group_meeting", "2025-01-10")
    report = org.get(f"/units/{tree['branch']['id']}/life", **{"from": "2025-01-01", "to": "2025-02-28"}).json
    assert report["groups"][0]["types"][0]["missed"] == ["2025-02"]


def test_a_period_must_run_forward(org, tree):
    resp = org.get(f"/units/{tree['branch']['id']}/life", **{"from": "2025-06-01", "to": "2025-01-01"})
    assert resp.status_code == 422
