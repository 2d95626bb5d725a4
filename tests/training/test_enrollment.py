"""Enrolment: people of the organizer's subtree, up to capacity, all or nothing; scope is 404."""
from services.training.models import Enrollment
from tests.training.conftest import API


def enrolled(w, cls_id, scope="K1"):
    page = w.client.get(f"{API}/classes/{cls_id}/enrollments", headers=w.headers(scope=scope)).get_json()
    return sorted(e["name"] for e in page["items"])


def test_enrol_people_of_the_county_and_publish(world):
    w = world
    for name, unit in (("a", "B1a"), ("b", "B1c"), ("c", "K1d")):
        w.person(name, unit)
    cls = w.make_class("K1", capacity=3)
    resp = w.enrol(cls["id"], "a", "b", "c", headers=w.headers(scope="K1"))
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["added"] == 3
    assert enrolled(w, cls["id"]) == ["a", "b", "c"]
    events = w.events("training.enrollment.changed")
    assert {(e.data["person_id"], e.data["enrolled"]) for e in events} == {(w.id(n), True) for n in "abc"}
    assert w.client.get(f"{API}/classes/{cls['id']}", headers=w.headers(scope="K1")).get_json()["enrolled"] == 3


def test_enrolling_again_changes_nothing(world):
    w = world
    w.person("a", "B1a")
    cls = w.make_class("K1", capacity=1)
    assert w.enrol(cls["id"], "a").get_json()["added"] == 1
    again = w.enrol(cls["id"], "a")
    assert again.status_code == 200
    assert again.get_json()["added"] == 0  # already enrolled: no place taken twice
    assert len(w.events("training.enrollment.changed")) == 1


def test_capacity_is_all_or_nothing(world):
    w = world
    for name in "abc":
        w.person(name, "B1a")
    cls = w.make_class("K1", capacity=2)
    resp = w.enrol(cls["id"], "a", "b", "c")
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["code"] == "TRAIN.CAPACITY"
    assert "2" in body["detail"]
    assert w.count(Enrollment) == 0
    assert w.events("training.enrollment.changed") == []
    assert w.enrol(cls["id"], "a", "b").status_code == 201
    assert w.enrol(cls["id"], "c").status_code == 409


def test_a_county_can_neither_enrol_nor_see_another_countys_people(world):
    w = world
    w.person("ours", "B1a")
    w.person("theirs", "B2")
    cls = w.make_class("K1")
    k1 = w.headers(scope="K1")
    resp = w.enrol(cls["id"], "ours", "theirs", headers=k1)
    assert resp.status_code == 404
    assert w.count(Enrollment) == 0
    # not even the province's admin enrols K2's people in K1's class: the organizer's subtree bounds it
    assert w.enrol(cls["id"], "theirs").status_code == 404
    # nor does K1 read K2's person
    assert w.client.get(f"{API}/people/{w.id('theirs')}/hours", headers=k1).status_code == 404
    # and K2 cannot reach K1's class at all
    assert w.enrol(cls["id"], "theirs", headers=w.headers(scope="K2")).status_code == 404


def test_unknown_person_is_404_and_bad_ids_422(world):
    w = world
    cls = w.make_class("K1")
    url = f"{API}/classes/{cls['id']}/enrollments"
    h = w.headers(scope="K1")
    assert w.client.post(url, headers=h, json={"person_ids": ["6f1f3c1e-0000-4000-8000-00000000dead"]}).status_code == 404
    for body in ({"person_ids": []}, {"person_ids": ["nope"]}, {}):
        resp = w.client.post(url, headers=h, json=body)
        assert resp.status_code == 422
        assert "person_ids" in resp.get_json()["errors"]["json"]
    assert w.count(Enrollment) == 0


def test_a_member_who_left_is_not_enrolled(world):
    w = world
    w.person("gone", "B1a")
    w.person("gone", "B1a", status="left")
    cls = w.make_class("K1")
    resp = w.enrol(cls["id"], "gone")
    assert resp.status_code == 422
    assert w.count(Enrollment) == 0


def test_withdraw_frees_the_place(world):
    w = world
    w.person("a", "B1a")
    w.person("b", "B1a")
    cls = w.make_class("K1", capacity=1)
    assert w.enrol(cls["id"], "a").status_code == 201
    url = f"{API}/classes/{cls['id']}/enrollments/{w.id('a')}"
    assert w.client.delete(url, headers=w.headers(scope="K2")).status_code == 404
    assert w.client.delete(url, headers=w.headers(scope="K1")).status_code == 204
    assert w.client.delete(url, headers=w.headers(scope="K1")).status_code == 404
    assert w.enrol(cls["id"], "b").status_code == 201
    withdrawn = w.client.get(f"{API}/classes/{cls['id']}/enrollments?status=withdrawn",
                             headers=w.headers(scope="K1")).get_json()["items"]
    assert [e["name"] for e in withdrawn] == ["a"]
    assert [e.data["enrolled"] for e in w.events("training.enrollment.changed")] == [True, False, True]


def test_idempotency_key_replays_the_first_answer(world):
    w = world
    w.person("a", "B1a")
    cls = w.make_class("K1")
    # a province-wide token: with a scoped one the kit's @idempotent waits on SQLite's write lock
    # (reported: its lookup session cannot begin while the request's session holds BEGIN IMMEDIATE)
    h = {**w.headers("admin"), "Idempotency-Key": "enrol-1"}
    first = w.enrol(cls["id"], "a", headers=h)
    second = w.enrol(cls["id"], "a", headers=h)
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.get_json() == first.get_json()
