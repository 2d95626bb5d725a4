"""Courses and classes through the API: create, read, list, update; bad input; scope; rule gates."""
from datetime import date, datetime

import pytest

from services.training.models import ClassSession, Course, TrainingClass
from tests.training.conftest import API


def class_body(w, organizer="K1", **changes):
    body = {"kind": "member_training", "title": "2025年党员冬训", "organizer_unit_id": w.id(organizer),
            "starts_on": "2025-12-30", "ends_on": "2025-12-31", "capacity": 50, "place": "县委党校",
            "sessions": [{"starts_at": "2025-12-30T09:00:00", "ends_at": "2025-12-30T12:00:00", "hours": 3},
                         {"starts_at": "2025-12-31T20:00:00+08:00", "ends_at": "2026-01-01T01:30:00+08:00",
                          "hours": 5.5}]}
    body.update(changes)
    return body


def test_create_a_course_and_read_it(world):
    w = world
    resp = w.client.post(f"{API}/courses", headers=w.headers(scope="K1"), json={
        "organizer_unit_id": w.id("K1"), "title": "党章学习", "topics": ["党章", "条例"], "hours": 8})
    assert resp.status_code == 201, resp.get_json()
    course = resp.get_json()
    assert course["org_path"] == w.units["K1"]["path"]
    assert course["topics"] == ["党章", "条例"]
    assert resp.headers["ETag"] == f'"{course["id"]}.1"'
    assert w.client.get(f"{API}/courses/{course['id']}", headers=w.headers(scope="K1")).status_code == 200
    assert w.client.get(f"{API}/courses/{course['id']}", headers=w.headers(scope="K2")).status_code == 404
    listed = w.client.get(f"{API}/courses?under={w.id('K1')}", headers=w.headers(scope="C")).get_json()
    assert [c["id"] for c in listed["items"]] == [course["id"]]
    assert w.client.get(f"{API}/courses", headers=w.headers(scope="K2")).get_json()["items"] == []


@pytest.mark.parametrize("body, field", [
    ({"organizer_unit_id": None, "title": "x", "hours": 8}, "organizer_unit_id"),
    ({"organizer_unit_id": "not-a-uuid", "title": "x", "hours": 8}, "organizer_unit_id"),
    ({"title": "", "hours": 8}, "title"),
    ({"title": "x", "hours": 0}, "hours"),
    ({"title": "x", "hours": 2.25}, "hours"),
])
def test_bad_course_is_422_and_writes_nothing(world, body, field):
    w = world
    body = {"organizer_unit_id": w.id("K1"), **body}
    resp = w.client.post(f"{API}/courses", headers=w.headers(scope="K1"), json=body)
    assert resp.status_code == 422
    assert resp.mimetype == "application/problem+json"
    assert field in resp.get_json()["errors"]["json"]
    assert w.count(Course) == 0


def test_create_a_class_with_sessions_and_publish_it(world):
    w = world
    resp = w.client.post(f"{API}/classes", headers=w.headers(scope="K1"), json=class_body(w))
    assert resp.status_code == 201, resp.get_json()
    cls = resp.get_json()
    assert (cls["level"], cls["org_path"], cls["enrolled"], cls["hours"]) == ("county", w.units["K1"]["path"], 0, 8.5)
    night = cls["sessions"][1]
    assert (night["held_on"], night["year"]) == ("2025-12-31", 2025)   # crosses midnight: counts in 2025
    [event] = w.events("training.class.created")
    assert event.data["class_id"] == cls["id"]
    assert event.data["level"] == "county"
    assert event.org_path == w.units["K1"]["path"]
    assert w.client.get(f"{API}/classes/{cls['id']}", headers=w.headers("viewer", scope="K1")).status_code == 200


@pytest.mark.parametrize("changes, where", [
    ({"kind": "rotation"}, "kind"),
    ({"capacity": 0}, "capacity"),
    ({"capacity": 30.5}, "capacity"),                                        # refused, never truncated to 30
    ({"ends_on": "2025-12-29"}, "ends_on"),
    ({"place": None}, "place"),                                              # offline needs a place
    ({"sessions": []}, "sessions"),
    ({"sessions": [{"starts_at": "2026-01-02T09:00:00", "ends_at": "2026-01-02T10:00:00", "hours": 1}]},
     "sessions"),                                                            # outside the class dates
    ({"sessions": [{"starts_at": "2025-12-30T09:00:00", "ends_at": "2025-12-30T08:00:00", "hours": 1}]},
     "sessions"),                                                            # ends before it starts
    ({"sessions": [{"starts_at": "2025-12-30T09:00:00", "ends_at": "2025-12-30T10:00:00", "hours": 0.3}]},
     "sessions"),
])
def test_bad_class_is_422_and_writes_nothing(world, changes, where):
    w = world
    resp = w.client.post(f"{API}/classes", headers=w.headers(scope="K1"), json=class_body(w, **changes))
    assert resp.status_code == 422, resp.get_json()
    assert where in resp.get_json()["errors"]["json"]
    assert (w.count(TrainingClass), w.count(ClassSession)) == (0, 0)
    assert w.events() == []


def test_an_online_class_needs_no_place(world):
    w = world
    resp = w.client.post(f"{API}/classes", headers=w.headers(scope="K1"),
                         json=class_body(w, place=None, online=True))
    assert resp.status_code == 201


def test_a_branch_does_not_run_classes(world):
    w = world
    resp = w.client.post(f"{API}/classes", headers=w.headers(scope="K1"), json=class_body(w, "B1a"))
    assert resp.status_code == 422
    assert "organizer_unit_id" in resp.get_json()["errors"]["json"]
    assert w.count(TrainingClass) == 0


def test_a_township_cannot_run_secretary_rotation(world):
    w = world
    resp = w.client.post(f"{API}/classes", headers=w.headers(scope="T1a"),
                         json=class_body(w, "T1a", kind="secretary_rotation"))
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "TRAIN.SECRETARY_ROTATION"
    assert w.count(TrainingClass) == 0
    ok = w.client.post(f"{API}/classes", headers=w.headers(scope="T1a"), json=class_body(w, "T1a"))
    assert ok.status_code == 201


def test_another_countys_organizer_sees_and_creates_nothing_there(world):
    w = world
    resp = w.client.post(f"{API}/classes", headers=w.headers(scope="K2"), json=class_body(w, "K1"))
    assert resp.status_code == 404
    cls = w.make_class("K1")
    assert w.client.get(f"{API}/classes/{cls['id']}", headers=w.headers(scope="K2")).status_code == 404
    assert w.client.get(f"{API}/classes", headers=w.headers(scope="K2")).get_json()["items"] == []
    assert w.client.get(f"{API}/classes?under={w.id('K1')}", headers=w.headers(scope="K2")).status_code == 404


def test_only_organizers_write(world):
    w = world
    resp = w.client.post(f"{API}/classes", headers=w.headers("viewer", scope="K1"), json=class_body(w))
    assert resp.status_code == 403
    assert w.client.post(f"{API}/classes", json=class_body(w)).status_code == 401


def test_list_classes_by_kind_and_year(world):
    w = world
    a = w.make_class("K1", "member_training")
    b = w.make_class("K1", "secretary_rotation", starts_on=date(2026, 4, 1),
                     sessions=[(datetime(2026, 4, 1, 9), datetime(2026, 4, 1, 17), 8)])
    c = w.make_class("C", "member_training")
    h = w.headers(scope="C")
    get = lambda q: [x["id"] for x in w.client.get(f"{API}/classes?{q}", headers=h).get_json()["items"]]  # noqa: E731
    assert sorted(get("")) == sorted([a["id"], b["id"], c["id"]])
    assert get("kind=secretary_rotation") == [b["id"]]
    assert sorted(get("year=2025")) == sorted([a["id"], c["id"]])
    assert sorted(get(f"under={w.id('K1')}")) == sorted([a["id"], b["id"]])
    page = w.client.get(f"{API}/classes?limit=2", headers=h).get_json()
    rest = w.client.get(f"{API}/classes?limit=2&cursor={page['next_cursor']}", headers=h).get_json()
    assert len(page["items"]) == 2
    assert len(rest["items"]) == 1
    assert rest["next_cursor"] is None
    assert w.client.get(f"{API}/classes?kind=lecture", headers=h).status_code == 422


def test_update_a_class_needs_if_match(world):
    w = world
    cls = w.make_class("K1", capacity=2)
    url = f"{API}/classes/{cls['id']}"
    h = w.headers(scope="K1")
    assert w.client.patch(url, headers=h, json={"capacity": 5}).status_code == 428
    assert w.client.patch(url, headers={**h, "If-Match": f'"{cls["id"]}.9"'}, json={"capacity": 5}).status_code == 412
    resp = w.client.patch(url, headers={**h, "If-Match": f'"{cls["id"]}.1"'}, json={"capacity": 5, "place": "新址"})
    assert resp.status_code == 200
    assert (resp.get_json()["capacity"], resp.get_json()["place"], resp.headers["ETag"]) == (5, "新址",
                                                                                         f'"{cls["id"]}.2"')


def test_capacity_never_below_the_enrolled(world):
    w = world
    w.person("a", "B1a")
    w.person("b", "B1a")
    cls = w.make_class("K1", capacity=2)
    assert w.enrol(cls["id"], "a", "b").status_code == 201
    resp = w.client.patch(f"{API}/classes/{cls['id']}", headers={**w.headers(scope="K1"), "If-Match": "*"},
                          json={"capacity": 1})
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "TRAIN.CAPACITY"
    assert w.client.get(f"{API}/classes/{cls['id']}", headers=w.headers(scope="K1")).get_json()["capacity"] == 2


def test_add_a_session(world):
    w = world
    cls = w.make_class("K1", starts_on=date(2025, 3, 1), ends_on=date(2025, 3, 3))
    url = f"{API}/classes/{cls['id']}/sessions"
    h = {**w.headers(scope="K1"), "If-Match": f'"{cls["id"]}.1"'}
    outside = {"starts_at": "2025-03-04T09:00:00", "ends_at": "2025-03-04T12:00:00", "hours": 3}
    assert w.client.post(url, headers=h, json=outside).status_code == 422
    resp = w.client.post(url, headers=h, json={**outside, "starts_at": "2025-03-03T09:00:00",
                                               "ends_at": "2025-03-03T12:00:00"})
    assert resp.status_code == 201
    assert len(resp.get_json()["sessions"]) == 2
    assert resp.get_json()["hours"] == 11
