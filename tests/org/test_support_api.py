"""Uncovered entities and instructors, liaison points with the latest rating, support (organizers,
funds by source, venue): the API, bad input, scope, and the events out."""
import uuid

import pytest

from shared.consumer import apply_event
from shared.events import make_envelope
from shared.testing import kit_of, pending_events

from .conftest import API


# ----------------------------------------------------------------------------- uncovered entities

def entity(org, unit, headers=None, **fields):
    return org.post("/uncovered", {"unit_id": unit["id"], "name": "某科技公司", "domain": "private_enterprise",
                                   "employees": 120, **fields}, headers=headers)


def patch(org, path, body, headers=None):
    etag = org.client.get(f"{API}{path}", headers=org.headers).headers["ETag"]
    return org.client.patch(f"{API}{path}", json=body, headers={**(headers or org.headers), "If-Match": etag})


def test_an_uncovered_entity_is_tracked_until_a_branch_covers_it(org, tree):
    created = entity(org, tree["township"], credit_code="91370883MA3C000001")
    assert created.status_code == 201
    assert created.json["status"] == "uncovered"
    path = f"/uncovered/{created.json['id']}"
    assert org.get("/uncovered", instructor=False).json["items"][0]["id"] == created.json["id"]
    resp = patch(org, path, {"instructor_name": "李指导员", "instructor_title": "街道组织委员",
                             "instructor_assigned_on": "2025-04-01"})
    assert resp.status_code == 200
    assert resp.json["instructor_name"] == "李指导员"
    assert resp.json["version"] == 2
    assert org.get("/uncovered", instructor=False).json["items"] == []
    branch = org.unit("branch", tree["township"], domain="private_enterprise")
    resp = patch(org, path, {"covered_by_unit_id": branch["id"], "covered_on": "2025-09-01"})
    assert resp.status_code == 200
    assert resp.json["status"] == "covered"
    assert patch(org, path, {"name": "又改名"}).status_code == 409            # the record is closed
    assert [e["id"] for e in org.get("/uncovered", status="covered").json["items"]] == [created.json["id"]]


@pytest.mark.parametrize("fields, field", [
    ({"domain": "farm"}, "domain"), ({"credit_code": "123"}, "credit_code"), ({"employees": -1}, "employees"),
    ({"instructor_name": "李四"}, "instructor_assigned_on"), ({"name": ""}, "name"),
])
def test_bad_uncovered_input_is_422(org, tree, fields, field):
    resp = entity(org, tree["township"], **fields)
    assert resp.status_code == 422
    assert field in resp.json["errors"]["json"]
    assert org.get("/uncovered").json["items"] == []


def test_covering_needs_the_branch_and_the_date(org, tree):
    path = f"/uncovered/{entity(org, tree['township']).json['id']}"
    assert patch(org, path, {"covered_on": "2025-09-01"}).status_code == 422
    assert patch(org, path, {"covered_by_unit_id": tree["branch"]["id"]}).status_code == 422
    assert patch(org, path, {"covered_by_unit_id": tree["county"]["id"], "covered_on": "2025-09-01"}).status_code == 422


def test_uncovered_entities_are_scoped(org, tree):
    other = entity(org, tree["other_county"]).json
    county = org.as_("organizer", tree["county"]["id"])
    assert org.get(f"/uncovered/{other['id']}", headers=county).status_code == 404
    assert org.get("/uncovered", headers=county).json["items"] == []
    assert entity(org, tree["other_county"], headers=county).status_code == 404


# ----------------------------------------------------------------------------- liaison points

def rating(org, unit, year, stars, version=1):
    kit = kit_of(org.app)
    envelope = make_envelope("evaluation.rating.published", {
        "rating_id": str(uuid.uuid4()), "unit_id": unit["id"], "year": year, "score": 50.0 + 9 * stars,
        "stars": stars, "category": "backward" if stars <= 2 else "middle", "rating_version": version},
        source="evaluation", org_path=unit["path"])
    apply_event(kit.db, kit.handlers, kit.models.InboxEvent, envelope)


def test_liaison_points_are_listed_with_the_latest_rating(org, tree):
    resp = org.post("/liaison-points", {"leader_name": "王书记", "leader_title": "县委书记",
                                        "leader_unit_id": tree["county"]["id"], "unit_id": tree["branch"]["id"],
                                        "since": "2025-01-01"})
    assert resp.status_code == 201
    assert resp.json["latest_rating"] is None
    event = pending_events(org.app)[-1]
    assert event.type == "org.liaison.changed"
    assert event.data["active"] is True
    assert event.data["leader_name"] == "王书记"
    rating(org, tree["branch"], 2024, 2)
    rating(org, tree["branch"], 2025, 3)
    rating(org, tree["branch"], 2025, 4, version=2)      # a correction of 2025
    listed = org.get("/liaison-points", under=tree["county"]["id"]).json["items"]
    assert listed[0]["latest_rating"] == {"year": 2025, "score": 86.0, "stars": 4, "category": "middle"}
    assert listed[0]["unit_name"] == tree["branch"]["name"]

    path = f"/liaison-points/{resp.json['id']}"
    assert patch(org, path, {"ended_on": "2024-01-01"}).status_code == 422        # before it started
    ended = patch(org, path, {"ended_on": "2026-01-01"})
    assert ended.status_code == 200
    assert ended.json["active"] is False
    assert pending_events(org.app)[-1].data["active"] is False
    assert org.get("/liaison-points", active=True).json["items"] == []


def test_liaison_points_need_a_branch_and_stay_in_scope(org, tree):
    body = {"leader_name": "王书记", "leader_title": "县委书记", "since": "2025-01-01"}
    assert org.post("/liaison-points", {**body, "unit_id": tree["county"]["id"]}).status_code == 422
    assert org.post("/liaison-points", {**body}).status_code == 422
    county = org.as_("organizer", tree["county"]["id"])
    assert org.post("/liaison-points", {**body, "unit_id": tree["other_branch"]["id"]}, headers=county).status_code == 404


# ----------------------------------------------------------------------------- support

def test_support_venue_organizers_and_funds(org, tree):
    path = f"/units/{tree['branch']['id']}/support"
    first = org.get(path)
    assert first.json["version"] == 0
    assert first.json["has_venue"] is False
    body = {"has_venue": True, "venue_name": "村党群服务中心", "venue_area_m2": 260.5,
            "organizers": [{"name": "赵六", "title": "党务工作者", "full_time": True}]}
    assert org.client.put(f"{API}{path}", json=body, headers=org.headers).status_code == 428
    resp = org.client.put(f"{API}{path}", json=body, headers={**org.headers, "If-Match": first.headers["ETag"]})
    assert resp.status_code == 200
    assert resp.json["venue_area_m2"] == 260.5
    assert resp.json["version"] == 1
    event = pending_events(org.app)[-1]
    assert event.type == "org.support.changed"
    assert event.data["has_venue"] is True
    assert event.data["organizers"] == 1
    assert event.data["venue_area_m2"] == 260.5

    for source, amount in (("unit_funds", 5000), ("fiscal_allocation", 20000), ("dues_subsidy", 3000.5)):
        resp = org.post(f"{path}/funds", {"year": 2025, "source": source, "amount": amount,
                                          "received_on": "2025-03-01"})
        assert resp.status_code == 201
    assert resp.json["funds_by_year"]["2025"] == {"total": 28000.5, "unit_funds": 5000.0,
                                                  "fiscal_allocation": 20000.0, "dues_subsidy": 3000.5}
    event = pending_events(org.app)[-1]
    assert event.data["funds_total"] == 28000.5
    assert event.data["funds_year"] == 2025


@pytest.mark.parametrize("body, field", [
    ({"year": 2025, "source": "gift", "amount": 1, "received_on": "2025-03-01"}, "source"),
    ({"year": 2025, "source": "unit_funds", "amount": 0, "received_on": "2025-03-01"}, "amount"),
    ({"year": 2025, "source": "unit_funds", "amount": 10, "received_on": "2099-03-01"}, "received_on"),
])
def test_bad_funds_are_422_and_nothing_is_written(org, tree, body, field):
    path = f"/units/{tree['branch']['id']}/support"
    resp = org.post(f"{path}/funds", body)
    assert resp.status_code == 422
    assert field in resp.json["errors"]["json"]
    assert org.get(path).json["funds"] == []


def test_no_venue_means_no_area(org, tree):
    path = f"/units/{tree['branch']['id']}/support"
    etag = org.get(path).headers["ETag"]
    resp = org.client.put(f"{API}{path}", json={"has_venue": False, "venue_area_m2": 30},
                          headers={**org.headers, "If-Match": etag})
    assert resp.status_code == 422


def test_support_is_scoped(org, tree):
    county = org.as_("secretary", tree["county"]["id"])
    assert org.get(f"/units/{tree['other_branch']['id']}/support", headers=county).status_code == 404


@pytest.mark.parametrize("field, body", [
    ("venue_area_m2", {"has_venue": True, "venue_name": "活动室", "venue_area_m2": 260.555}),   # not rounded to .56
])
def test_a_value_finer_than_its_column_is_refused_not_rounded(org, tree, field, body):
    path = f"/units/{tree['branch']['id']}/support"
    etag = org.get(path).headers["ETag"]
    resp = org.client.put(f"{API}{path}", json=body, headers={**org.headers, "If-Match": etag})
    assert resp.status_code == 422, resp.json
    assert field in resp.json["errors"]["json"], resp.json
    fund = org.post(f"{path}/funds", {"year": 2025, "source": "unit_funds", "amount": 100.005,
                                      "received_on": "2025-03-01"})
    assert fund.status_code == 422, fund.json
    assert "amount" in fund.json["errors"]["json"], fund.json
