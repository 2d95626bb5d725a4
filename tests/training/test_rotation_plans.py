"""Rotation plans through the API: propose, re-run, confirm; capacity, overflow, covered people, scope."""
from datetime import date, datetime

import pytest

from services.training import rotation
from services.training.models import Enrollment, RotationPlan, RotationPlanItem
from tests.training.conftest import API

TODAY = date(2025, 2, 1)


@pytest.fixture
def county(world, monkeypatch):
    """K1 with 14 branch secretaries: 8 under township T1a, 5 under T1b, 1 in a branch directly
    under the county; today is 2025-02-01."""
    monkeypatch.setattr(rotation, "today", lambda: TODAY)
    w = world
    branches = {"T1a": ["B1a", "B1b"] + [f"a{i}" for i in range(6)], "T1b": ["B1c"] + [f"b{i}" for i in range(4)],
                "K1": ["K1d"]}
    for township, names in branches.items():
        for name in names:
            if name not in w.units:
                w.unit(name, "branch", township)
            w.person(f"书记{name}", name)
            w.committee(name, [("secretary", f"书记{name}", date(2020, 1, 1))])
    w.person("K2书记", "B2")
    w.committee("B2", [("secretary", "K2书记", date(2020, 1, 1))])
    return w


def rotation_class(w, organizer, capacity, day):
    return w.make_class(organizer, "secretary_rotation", capacity=capacity, starts_on=day,
                        sessions=[(datetime(day.year, day.month, day.day, 9), datetime(day.year, day.month, day.day, 17), 8)])


def propose(w, scope="K1", county="K1", year=2025):
    return w.client.post(f"{API}/rotation-plans", headers=w.headers(scope=scope),
                         json={"county_id": w.id(county), "year": year})


def classes_of(plan):
    out = {}
    for item in plan["items"]:
        out.setdefault(item["group"], set()).add(item["class_id"])
    return out


def test_capacity_exactly_full_keeps_townships_together(county):
    w = county
    x = rotation_class(w, "K1", 8, date(2025, 3, 1))
    y = rotation_class(w, "K1", 6, date(2025, 3, 10))
    resp = propose(w)
    assert resp.status_code == 201, resp.get_json()
    plan = resp.get_json()
    assert (plan["status"], plan["assigned"], plan["overflow"], plan["split_groups"]) == ("proposed", 14, 0, [])
    groups = classes_of(plan)
    assert groups[w.units["T1a"]["path"]] == {x["id"]}
    assert groups[w.units["T1b"]["path"]] == {y["id"]}
    assert groups[w.units["K1"]["path"] + w.units["K1d"]["key"] + "/"] == {y["id"]}
    assert {c["class_id"]: c["assigned"] for c in plan["classes"]} == {x["id"]: 8, y["id"]: 6}
    assert "K2书记" not in {i["name"] for i in plan["items"]}


def test_more_secretaries_than_seats_reports_the_overflow(county):
    w = county
    rotation_class(w, "K1", 8, date(2025, 3, 1))
    rotation_class(w, "K1", 4, date(2025, 3, 10))
    plan = propose(w).get_json()
    assert (plan["assigned"], plan["overflow"]) == (12, 2)
    overflow = [i for i in plan["items"] if i["outcome"] == "overflow"]
    assert len(overflow) == 2
    assert all(i["class_id"] is None for i in overflow)
    assert len(plan["items"]) == 14        # nobody dropped


def test_a_rerun_changes_nothing(county):
    w = county
    rotation_class(w, "K1", 8, date(2025, 3, 1))
    rotation_class(w, "K1", 4, date(2025, 3, 10))
    first = propose(w)
    audits = w.count(w.kit.models.AuditEntry)
    again = propose(w)
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert (w.count(RotationPlan), w.count(RotationPlanItem)) == (1, 14)
    assert w.count(w.kit.models.AuditEntry) == audits


def test_a_rerun_after_a_change_updates_the_proposal(county):
    w = county
    rotation_class(w, "K1", 20, date(2025, 3, 1))
    first = propose(w).get_json()
    w.unit("a9", "branch", "T1a")
    w.person("书记a9", "a9")
    w.committee("a9", [("secretary", "书记a9", date(2025, 1, 1))])
    second = propose(w)
    assert second.status_code == 201
    assert (second.get_json()["id"], second.get_json()["version"], second.get_json()["assigned"]) == (
        first["id"], 2, 15)
    assert w.count(RotationPlanItem) == 15


def test_people_already_covered_are_not_assigned_again(county):
    w = county
    rotation_class(w, "K1", 20, date(2025, 3, 1))
    city = rotation_class(w, "C", 5, date(2025, 4, 1))
    assert w.enrol(city["id"], "书记a0").status_code == 201           # enrolled in the city's class
    w.train("C", "secretary_rotation", ["书记a1"], [8], first_day=date(2025, 1, 10))   # rotated already
    plan = propose(w).get_json()
    names = {i["name"] for i in plan["items"]}
    assert plan["assigned"] == 12
    assert not names & {"书记a0", "书记a1"}


def test_confirm_enrols_and_needs_if_match(county):
    w = county
    x = rotation_class(w, "K1", 8, date(2025, 3, 1))
    rotation_class(w, "K1", 6, date(2025, 3, 10))
    resp = propose(w)
    plan = resp.get_json()
    url = f"{API}/rotation-plans/{plan['id']}/confirm"
    assert w.client.post(url, headers=w.headers(scope="K1")).status_code == 428
    done = w.client.post(url, headers=w.headers(scope="K1", **{"If-Match": resp.headers["ETag"]}))
    assert done.status_code == 200, done.get_json()
    body = done.get_json()
    assert body["status"] == "confirmed"
    assert {i["outcome"] for i in body["items"]} == {"enrolled"}
    assert w.count(Enrollment) == 14
    assert len(w.events("training.enrollment.changed")) == 14
    assert w.client.get(f"{API}/classes/{x['id']}", headers=w.headers(scope="K1")).get_json()["enrolled"] == 8
    again = w.client.post(url, headers=w.headers(scope="K1", **{"If-Match": done.headers["ETag"]}))
    assert again.status_code == 409
    # everyone is covered now: a new run proposes no one
    rerun = propose(w).get_json()
    assert rerun["id"] != plan["id"]
    assert (rerun["assigned"], rerun["overflow"]) == (0, 0)


def test_confirm_refused_when_a_class_filled_up_meanwhile(county):
    w = county
    x = rotation_class(w, "K1", 8, date(2025, 3, 1))
    rotation_class(w, "K1", 6, date(2025, 3, 10))
    resp = propose(w)
    w.person("插班", "B1a")
    assert w.enrol(x["id"], "插班").status_code == 201
    done = w.client.post(f"{API}/rotation-plans/{resp.get_json()['id']}/confirm",
                         headers=w.headers(scope="K1", **{"If-Match": resp.headers["ETag"]}))
    assert done.status_code == 409
    assert done.get_json()["code"] == "TRAIN.CAPACITY"
    assert w.count(Enrollment) == 1
    plan = w.client.get(f"{API}/rotation-plans/{resp.get_json()['id']}", headers=w.headers(scope="K1")).get_json()
    assert plan["status"] == "proposed"


def test_scope_and_bad_input(county):
    w = county
    rotation_class(w, "K1", 20, date(2025, 3, 1))
    assert propose(w, scope="K2").status_code == 404
    plan = propose(w).get_json()
    assert w.client.get(f"{API}/rotation-plans/{plan['id']}", headers=w.headers(scope="K2")).status_code == 404
    assert w.client.post(f"{API}/rotation-plans/{plan['id']}/confirm",
                         headers=w.headers(scope="K2", **{"If-Match": "*"})).status_code == 404
    assert propose(w, county="T1a").status_code == 422
    for body in ({"county_id": w.id("K1")}, {"county_id": w.id("K1"), "year": 1900}, {"year": 2025}):
        assert w.client.post(f"{API}/rotation-plans", headers=w.headers(scope="K1"), json=body).status_code == 422
    assert w.count(RotationPlan) == 1
