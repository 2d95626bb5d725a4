"""Party committee leaders and ORG.LIAISON: each secretary and team member keeps a liaison branch.
The register, the points kept, leaving, the compliance report and its drill-down, bad input, scope."""
from __future__ import annotations

import uuid

import pytest

from shared.testing import pending_events

from .conftest import API
from .test_compliance_api import report
from .test_support_api import patch, rating


def leader(org, unit, headers=None, **fields):
    body = {"unit_id": unit["id"], "name": "王书记", "title": "县委书记", "role": "secretary", "since": "2024-01-01",
            **fields}
    return org.post("/leaders", body, headers=headers)


def point(org, leader_json, branch, headers=None, **fields):
    return org.post("/liaison-points", {"leader_id": leader_json["id"], "unit_id": branch["id"],
                                        "since": "2025-01-01", **fields}, headers=headers)


def test_a_registered_leader_without_a_liaison_branch_is_listed_until_one_is_kept(org, tree):
    secretary = leader(org, tree["county"]).json
    deputy = leader(org, tree["township"], name="李副书记", title="街道党工委副书记", role="deputy_secretary").json
    assert secretary["liaison_points"] == 0
    assert secretary["unit_name"] == "邹城市委"

    liaison = report(org, tree["province"])["ORG.LIAISON"]
    assert liaison["count"] == 2
    assert liaison["kind"] == "liaison"
    assert liaison["summary"] == {"leaders": 2, "keeping_liaison": 0, "liaison_points_at_backward": 0}
    listed = {item["figures"]["leader_id"]: item for item in liaison["units"]}
    assert listed[deputy["id"]]["message"]["zh"] == "该副书记未建立党支部工作联系点"
    assert listed[secretary["id"]]["figures"]["committee"] == "邹城市委"

    kept = point(org, secretary, tree["branch"])
    assert kept.status_code == 201, kept.json
    assert kept.json["leader_name"] == "王书记"
    assert kept.json["leader_title"] == "县委书记"
    assert kept.json["leader_unit_id"] == tree["county"]["id"]
    assert kept.json["leader_id"] == secretary["id"]
    rating(org, tree["branch"], 2025, 2)  # the branch is rated backward: the rule prefers such a branch

    liaison = report(org, tree["province"])["ORG.LIAISON"]
    assert liaison["count"] == 1
    assert [i["figures"]["leader_id"] for i in liaison["units"]] == [deputy["id"]]
    assert liaison["summary"] == {"leaders": 2, "keeping_liaison": 1, "liaison_points_at_backward": 1}
    assert org.get(f"/leaders/{secretary['id']}").json["liaison_points"] == 1
    assert [i["id"] for i in org.get("/leaders", without_liaison=True).json["items"]] == [deputy["id"]]
    assert report(org, tree["other_county"])["ORG.LIAISON"]["count"] == 0  # each subtree its own leaders


def test_a_leader_who_leaves_ends_the_liaison_points_and_leaves_the_report(org, tree):
    secretary = leader(org, tree["county"]).json
    point_id = point(org, secretary, tree["branch"]).json["id"]
    path = f"/leaders/{secretary['id']}"
    assert patch(org, path, {"ended_on": "2023-12-31"}).status_code == 422      # before the leader started
    left = patch(org, path, {"ended_on": "2026-06-30"})
    assert left.status_code == 200
    assert left.json["active"] is False
    assert left.json["liaison_points"] == 0
    ended = org.get(f"/liaison-points/{point_id}").json
    assert ended["active"] is False
    assert ended["ended_on"] == "2026-06-30"
    assert pending_events(org.app)[-1].type == "org.liaison.changed"
    assert pending_events(org.app)[-1].data["active"] is False
    assert report(org, tree["province"])["ORG.LIAISON"]["summary"]["leaders"] == 0
    assert patch(org, path, {"title": "原县委书记"}).status_code == 409          # a closed record stays as it was
    assert point(org, secretary, tree["branch"]).status_code == 422             # a leader who left keeps none


def test_dissolving_a_committee_ends_its_leaders(org, tree):
    committee = org.unit("grassroots_committee", tree["county"], name="某公司党委")
    member = leader(org, committee, name="赵委员", title="公司党委委员", role="member").json
    resp = org.client.post(f"{API}/units/{committee['id']}/dissolve", json={"dissolved_on": "2026-05-01"},
                           headers={**org.headers, "If-Match": org.client.get(
                               f"{API}/units/{committee['id']}", headers=org.headers).headers["ETag"]})
    assert resp.status_code == 200, resp.json
    gone = org.get(f"/leaders/{member['id']}").json
    assert gone["active"] is False
    assert gone["ended_on"] == "2026-05-01"
    assert report(org, tree["province"])["ORG.LIAISON"]["count"] == 0


def test_the_drill_down_pages_every_leader_without_a_point_and_exports_them(org, tree):
    ids = [leader(org, tree["county"], name=f"班子成员{i}", title="县委常委", role="member").json["id"]
           for i in range(5)]
    first = org.get("/compliance/ORG.LIAISON", under=tree["county"]["id"], limit=3).json
    rest = org.get("/compliance/ORG.LIAISON", under=tree["county"]["id"], limit=3, cursor=first["next_cursor"]).json
    assert first["count"] == 5
    assert rest["next_cursor"] is None
    assert sorted(i["figures"]["leader_id"] for i in first["items"] + rest["items"]) == sorted(ids)
    as_csv = org.get("/compliance/ORG.LIAISON", under=tree["county"]["id"], format="csv")
    text = as_csv.get_data().decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert as_csv.status_code == 200
    assert len(lines) == 6  # the header and the five
    assert all(f"班子成员{i}（县委常委）" in text for i in range(5))
    assert "未建立党支部工作联系点" in lines[1]


@pytest.mark.parametrize("body, field", [
    ({"role": "chairman"}, "role"),
    ({"name": ""}, "name"),
    ({"since": "2025-02-30"}, "since"),
    ({"unit_id": "not-a-uuid"}, "unit_id"),
])
def test_bad_leaders_are_422_and_nothing_is_registered(org, tree, body, field):
    resp = leader(org, tree["county"], **body)
    assert resp.status_code == 422
    assert field in resp.json["errors"]["json"]
    assert org.get("/leaders").json["items"] == []


def test_leaders_stand_at_a_party_committee_and_keep_branches_under_it(org, tree):
    resp = leader(org, tree["branch"])
    assert resp.status_code == 422
    assert "party committee" in resp.json["errors"]["json"]["unit_id"][0]
    township_secretary = leader(org, tree["township"], title="街道党工委书记").json
    outside = point(org, township_secretary, tree["other_branch"])
    assert outside.status_code == 422
    assert "outside the leader's committee" in outside.json["errors"]["json"]["unit_id"][0]
    nameless = org.post("/liaison-points", {"unit_id": tree["branch"]["id"], "since": "2025-01-01"})
    assert nameless.status_code == 422
    assert set(nameless.json["errors"]["json"]) == {"leader_name", "leader_title"}
    assert org.get("/liaison-points").json["items"] == []


def test_a_county_token_sees_and_names_only_its_own_leaders(org, tree):
    mine = leader(org, tree["county"]).json
    theirs = leader(org, tree["other_county"], title="曲阜市委书记").json
    county = org.as_("organizer", tree["county"]["id"])
    assert [i["id"] for i in org.get("/leaders", headers=county).json["items"]] == [mine["id"]]
    assert org.get(f"/leaders/{theirs['id']}", headers=county).status_code == 404
    assert point(org, theirs, tree["branch"], headers=county).status_code == 404
    assert leader(org, tree["other_county"], headers=county).status_code == 404
    assert org.get("/leaders", headers=org.as_("viewer", tree["county"]["id"])).status_code == 200
    assert leader(org, tree["county"], headers=org.as_("viewer", tree["county"]["id"])).status_code == 403


def test_moving_a_township_moves_its_leaders(org, tree):
    deputy = leader(org, tree["township"], role="deputy_secretary", title="街道党工委副书记").json
    resp = org.client.post(f"{API}/units/{tree['township']['id']}/move", json={"parent_id": tree["other_county"]["id"]},
                           headers={**org.headers, "If-Match": org.client.get(
                               f"{API}/units/{tree['township']['id']}", headers=org.headers).headers["ETag"]})
    assert resp.status_code == 200, resp.json
    assert org.get(f"/leaders/{deputy['id']}").json["path"] == org.refresh(tree["township"])["path"]
    assert report(org, tree["other_county"])["ORG.LIAISON"]["count"] == 1
    assert report(org, tree["county"])["ORG.LIAISON"]["count"] == 0


def test_an_unknown_leader_is_404(org, tree):
    assert org.get(f"/leaders/{uuid.uuid4()}").status_code == 404
    assert point(org, {"id": str(uuid.uuid4())}, tree["branch"]).status_code == 404
