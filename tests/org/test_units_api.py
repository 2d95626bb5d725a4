"""Units through the API: create, read, list, change (If-Match), move a subtree, dissolve; bad input,
scope, and the events each write leaves in the outbox."""
import pytest
from sqlalchemy import func, select

from services.org.models import Committee, LifeYear, Meeting, Unit
from shared.testing import kit_of, pending_events
from tests.conftest import deliver

from .conftest import API


def outbox_types(app):
    return [e.type for e in pending_events(app)]


def count_units(org):
    with kit_of(org.app).db.Session() as session:
        return session.scalar(select(func.count()).select_from(Unit))


# ----------------------------------------------------------------------------- create and read

def test_create_keeps_every_field_and_emits_created(org, tree):
    unit = org.unit("branch", tree["township"], name="某企业党支部", code="370883-001", domain="private_enterprise",
                    external_id="dt-88", established_on="2019-07-01")
    for key, value in {"kind": "branch", "domain": "private_enterprise", "code": "370883-001",
                       "external_id": "dt-88", "established_on": "2019-07-01", "status": "active",
                       "parent_id": tree["township"]["id"], "full_members": 0, "probationary_members": 0}.items():
        assert unit[key] == value
    assert unit["path"].startswith(tree["township"]["path"])
    event = pending_events(org.app)[-1]
    assert event.type == "org.unit.created"
    assert event.data["code"] == "370883-001"
    assert event.org_path == unit["path"]


@pytest.mark.parametrize("body, field", [
    ({"kind": "branch", "name": "x", "code": "bad code!"}, "code"),
    ({"kind": "cell", "name": "x", "code": "C1"}, "kind"),
    ({"kind": "branch", "name": "", "code": "C1"}, "name"),
    ({"kind": "branch", "name": "x", "code": "C1", "domain": "farm"}, "domain"),
    ({"kind": "branch", "name": "x", "code": "C1", "established_on": "2020-13-01"}, "established_on"),
    ({"kind": "joint_branch", "name": "x", "code": "C1", "covered_units": 0}, "covered_units"),
])
def test_bad_input_is_422_and_nothing_is_written(org, tree, body, field):
    before, events = count_units(org), len(pending_events(org.app))
    resp = org.post("/units", {**body, "parent_id": tree["township"]["id"]})
    assert resp.status_code == 422
    assert field in resp.json["errors"]["json"]
    assert count_units(org) == before
    assert len(pending_events(org.app)) == events


def test_a_duplicate_code_is_422_on_the_code(org, tree):
    resp = org.post("/units", {"kind": "branch", "name": "x", "code": tree["branch"]["code"],
                               "parent_id": tree["township"]["id"]})
    assert resp.status_code == 422
    assert "code" in resp.json["errors"]["json"]


def test_illegal_nesting_is_409_with_the_rule_code(org, tree):
    resp = org.post("/units", {"kind": "branch", "name": "x", "code": "NEST1", "parent_id": tree["branch"]["id"]})
    assert resp.status_code == 409
    assert resp.json["code"] == "ORG.UNIT_NESTING"


def test_a_county_token_sees_only_its_subtree(org, tree):
    county = org.as_("organizer", tree["county"]["id"])
    listed = org.get("/units", headers=county).json["items"]
    assert {u["id"] for u in listed} == {tree[k]["id"] for k in ("county", "township", "branch")}
    assert org.get(f"/units/{tree['branch']['id']}", headers=county).status_code == 200
    assert org.get(f"/units/{tree['other_branch']['id']}", headers=county).status_code == 404
    assert org.get("/units", headers=county, under=tree["other_county"]["id"]).status_code == 404
    resp = org.post("/units", {"kind": "branch", "name": "x", "code": "OUT1", "parent_id": tree["other_county"]["id"]},
                    headers=county)
    assert resp.status_code == 404


def test_list_filters_and_pages(org, tree):
    for i in range(3):
        org.unit("branch", tree["township"], domain="school")
    first = org.get("/units", under=tree["township"]["id"], kind="branch", limit=2).json
    second = org.get("/units", under=tree["township"]["id"], kind="branch", limit=2,
                     cursor=first["next_cursor"]).json
    assert len(first["items"]) == 2
    assert len(second["items"]) == 2
    assert second["next_cursor"] is None
    assert len(org.get("/units", domain="school").json["items"]) == 3


def test_viewer_reads_but_does_not_write(org, tree):
    viewer = org.as_("viewer", tree["county"]["id"])
    assert org.get(f"/units/{tree['branch']['id']}", headers=viewer).status_code == 200
    resp = org.post("/units", {"kind": "branch", "name": "x", "code": "V1", "parent_id": tree["township"]["id"]},
                    headers=viewer)
    assert resp.status_code == 403


# ----------------------------------------------------------------------------- PATCH

def test_patch_needs_if_match_and_emits_updated(org, tree):
    url = f"{API}/units/{tree['branch']['id']}"
    assert org.client.patch(url, json={"name": "新名"}, headers=org.headers).status_code == 428
    stale = org.client.patch(url, json={"name": "新名"}, headers={**org.headers, "If-Match": '"x.0"'})
    assert stale.status_code == 412
    etag = org.client.get(url, headers=org.headers).headers["ETag"]
    resp = org.client.patch(url, json={"name": "新名", "external_id": "ext-2", "established_on": "2018-01-01"},
                            headers={**org.headers, "If-Match": etag})
    assert resp.status_code == 200
    assert resp.json["version"] == 2
    assert resp.headers["ETag"] != etag
    assert resp.json["name"] == "新名"
    assert resp.json["external_id"] == "ext-2"
    event = pending_events(org.app)[-1]
    assert event.type == "org.unit.updated"
    assert event.data["name"] == "新名"
    assert event.data["unit_version"] == 2


def test_a_kind_change_is_checked_against_parent_and_sub_units(org, tree):
    group = org.unit("party_group", tree["branch"])
    url = f"{API}/units/{tree['branch']['id']}"
    etag = org.client.get(url, headers=org.headers).headers["ETag"]
    # a party group cannot stand under a general branch
    resp = org.client.patch(url, json={"kind": "general_branch"}, headers={**org.headers, "If-Match": etag})
    assert resp.status_code == 409
    assert resp.json["code"] == "ORG.UNIT_NESTING"
    resp = org.client.patch(url, json={"kind": "joint_branch", "covered_units": 3},
                            headers={**org.headers, "If-Match": etag})
    assert resp.status_code == 200
    assert resp.json["kind"] == "joint_branch"
    assert org.refresh(group)["kind"] == "party_group"


def test_patch_with_bad_input_is_422(org, tree):
    url = f"{API}/units/{tree['branch']['id']}"
    etag = org.client.get(url, headers=org.headers).headers["ETag"]
    resp = org.client.patch(url, json={"domain": "farm"}, headers={**org.headers, "If-Match": etag})
    assert resp.status_code == 422
    assert org.refresh(tree["branch"])["version"] == 1


# ----------------------------------------------------------------------------- move

def move(org, unit, parent, headers=None):
    etag = org.client.get(f"{API}/units/{unit['id']}", headers=org.headers).headers["ETag"]
    return org.client.post(f"{API}/units/{unit['id']}/move", json={"parent_id": parent["id"]},
                           headers={**(headers or org.headers), "If-Match": etag})


def test_moving_a_township_moves_its_whole_subtree_and_every_record(org, tree):
    group = org.unit("party_group", tree["branch"])
    ids = org.members(tree["branch"], 3)
    assert org.post(f"/units/{tree['branch']['id']}/elections", {
        "elected_on": "2025-01-10", "seats": [{"role": "secretary", "person_id": ids[0]}]}).status_code == 201
    assert org.post("/meetings", {"unit_id": tree["branch"]["id"], "type": "theme_day", "held_on": "2025-03-01",
                                  "topic": "主题党日"}).status_code == 201
    old_path = tree["township"]["path"]
    resp = move(org, tree["township"], tree["other_county"])
    assert resp.status_code == 200, resp.json
    new_path = resp.json["path"]
    assert new_path == tree["other_county"]["path"] + old_path.split("/")[-2] + "/"
    for unit in (tree["branch"], group):
        assert org.refresh(unit)["path"] == unit["path"].replace(old_path, new_path, 1)
    with kit_of(org.app).db.Session() as session:
        for model in (Committee, Meeting, LifeYear):
            assert all(p.startswith(new_path) for p in session.scalars(select(model.path)))
    event = pending_events(org.app)[-1]
    assert event.type == "org.unit.moved"
    assert event.data["old_path"] == old_path
    assert event.data["path"] == new_path
    # the county's organizer no longer sees the township; the other county's does
    assert org.get(f"/units/{tree['branch']['id']}", headers=org.as_("organizer", tree["county"]["id"])).status_code == 404
    assert org.get(f"/units/{tree['branch']['id']}",
                   headers=org.as_("organizer", tree["other_county"]["id"])).status_code == 200


def test_the_move_reaches_the_other_services_read_models(org, tree, make_app):
    members = make_app("members")
    deliver([org.app], [members])
    move(org, tree["township"], tree["other_county"])
    deliver([org.app], [members])
    view = kit_of(members).models.OrgUnitView
    with kit_of(members).db.Session() as session:
        assert session.get(view, tree["branch"]["id"]).path == org.refresh(tree["branch"])["path"]


@pytest.mark.parametrize("target, status, code", [
    ("branch", 422, None),          # under its own sub-unit
    ("township", 422, None),        # under itself
    ("city", 409, "ORG.UNIT_NESTING"),
])
def test_illegal_moves_change_nothing(org, tree, target, status, code):
    before = org.refresh(tree["branch"])["path"]
    resp = move(org, tree["township"], tree[target])
    assert resp.status_code == status
    assert code is None or resp.json["code"] == code
    assert org.refresh(tree["branch"])["path"] == before


def test_a_county_cannot_move_a_unit_outside_its_scope(org, tree):
    county = org.as_("organizer", tree["county"]["id"])
    assert move(org, tree["township"], tree["other_county"], headers=county).status_code == 404
    assert move(org, tree["county"], tree["other_county"], headers=county).status_code in (403, 404)


# ----------------------------------------------------------------------------- dissolve

def dissolve(org, unit, body):
    etag = org.client.get(f"{API}/units/{unit['id']}", headers=org.headers).headers["ETag"]
    return org.client.post(f"{API}/units/{unit['id']}/dissolve", json=body, headers={**org.headers, "If-Match": etag})


def test_dissolving_is_refused_while_people_are_on_the_roll(org, tree):
    org.members(tree["branch"], 2)
    resp = dissolve(org, tree["branch"], {"dissolved_on": "2026-01-05"})
    assert resp.status_code == 409
    assert resp.json["code"] == "ORG.DISSOLVE_MEMBERS"
    assert org.refresh(tree["branch"])["status"] == "active"


def test_dissolving_with_members_moved_in_the_same_request(org, tree):
    org.members(tree["branch"], 2)
    group = org.unit("party_group", tree["branch"])
    target = org.unit("branch", tree["township"])
    resp = dissolve(org, tree["branch"], {"dissolved_on": "2026-01-05", "members_moved_to": target["id"]})
    assert resp.status_code == 200
    assert resp.json["status"] == "dissolved"
    assert resp.json["dissolved_on"] == "2026-01-05"
    assert org.refresh(group)["status"] == "dissolved"
    events = [e for e in pending_events(org.app) if e.type == "org.unit.dissolved"]
    assert {e.data["id"]: e.data["members_moved_to"] for e in events} == {group["id"]: None,
                                                                          tree["branch"]["id"]: target["id"]}
    assert dissolve(org, tree["branch"], {"dissolved_on": "2026-01-06"}).status_code == 409  # already dissolved


@pytest.mark.parametrize("target_key, field", [("branch", "members_moved_to"), ("county", "members_moved_to")])
def test_members_move_to_an_active_unit_outside_the_dissolved_one(org, tree, target_key, field):
    org.members(tree["branch"], 1)
    resp = dissolve(org, tree["branch"], {"dissolved_on": "2026-01-05", "members_moved_to": tree[target_key]["id"]})
    assert resp.status_code == 422
    assert field in resp.json["errors"]["json"]


def test_a_unit_leading_active_units_is_not_dissolved(org, tree):
    resp = dissolve(org, tree["township"], {"dissolved_on": "2026-01-05"})
    assert resp.status_code == 409
    assert resp.json["code"] == "ORG.UNIT_NESTING"


def test_dissolve_needs_a_date(org, tree):
    assert dissolve(org, tree["branch"], {}).status_code == 422
    assert org.refresh(tree["branch"])["status"] == "active"


def test_a_party_group_stays_in_its_branch(org, tree):
    group = org.unit("party_group", tree["branch"])
    resp = move(org, group, tree["other_branch"])
    assert resp.status_code == 422
    assert "parent_id" in resp.json["errors"]["json"]


def test_every_read_model_holds_the_moved_units_new_parent_and_version(org, tree, make_app):
    """Issue 11 defect 2: the kit's read-model set parent_id and version, then expire_all() discarded them."""
    readers = [make_app(service) for service in ("members", "training", "evaluation")]
    deliver([org.app], readers)
    resp = move(org, tree["township"], tree["other_county"])
    assert resp.status_code == 200, resp.json
    deliver([org.app], readers)
    for app in readers:
        kit = kit_of(app)
        with kit.db.Session() as session:
            view = session.get(kit.models.OrgUnitView, tree["township"]["id"])
            assert view.parent_id == tree["other_county"]["id"], app.name
            assert view.version == resp.json["version"], app.name
            assert view.path == resp.json["path"], app.name
