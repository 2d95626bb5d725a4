"""Attendance: hours credited once per session, the year's total, the requirements met."""
from datetime import date, datetime

import pytest

from services.training.models import Attendance, PersonYearHours
from tests.training.conftest import API


def year_hours(w, name, year=2025):
    resp = w.client.get(f"{API}/people/{w.id(name)}/hours?year={year}", headers=w.headers("admin"))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def met(w, requirement=None):
    return [(e.data["requirement"], e.data["person_id"], e.data["year"])
            for e in w.events("training.requirement.met") if requirement in (None, e.data["requirement"])]


def test_a_session_is_credited_once(world):
    w = world
    w.person("a", "B1a")
    cls = w.make_class("K1")
    assert w.enrol(cls["id"], "a").status_code == 201
    first = w.attend(cls, 0, "a")
    assert first.status_code == 201
    assert first.get_json()["credited"] == [{"person_id": w.id("a"), "year_hours": 8.0}]
    again = w.attend(cls, 0, "a")
    assert again.status_code == 200
    assert again.get_json()["credited"] == []
    assert again.get_json()["already_recorded"] == [w.id("a")]
    assert year_hours(w, "a")["hours"] == 8.0
    assert w.count(Attendance) == 1
    [event] = w.events("training.attendance.recorded")
    assert (event.data["hours"], event.data["year_hours"], event.data["year"]) == (8.0, 8.0, 2025)
    assert event.data["attended_on"] == "2025-03-01"


def test_attendance_of_someone_not_enrolled_writes_nothing(world):
    w = world
    w.person("a", "B1a")
    w.person("b", "B1a")
    cls = w.make_class("K1")
    w.enrol(cls["id"], "a")
    resp = w.attend(cls, 0, "a", "b")
    assert resp.status_code == 422
    assert "not enrolled" in resp.get_json()["errors"]["json"]["person_ids"][0]
    assert (w.count(Attendance), w.count(PersonYearHours)) == (0, 0)
    assert w.events("training.attendance.recorded") == []


@pytest.mark.parametrize("body", [
    {"person_ids": []},
    {"session_id": "not-a-uuid"},
    {"session_id": "6f1f3c1e-0000-4000-8000-000000000000"},   # not a session of this class
])
def test_bad_attendance_is_422(world, body):
    w = world
    w.person("a", "B1a")
    cls = w.make_class("K1")
    w.enrol(cls["id"], "a")
    body = {"session_id": cls["sessions"][0]["id"], "person_ids": [w.id("a")], **body}
    resp = w.client.post(f"{API}/classes/{cls['id']}/attendance", headers=w.headers(scope="K1"), json=body)
    assert resp.status_code == 422
    assert w.count(Attendance) == 0


def test_a_session_not_yet_begun_takes_no_attendance(world):
    w = world
    w.person("a", "B1a")
    cls = w.make_class("K1", starts_on=date(2099, 3, 1), sessions=[(datetime(2099, 3, 1, 9), datetime(2099, 3, 1, 12), 3)])
    w.enrol(cls["id"], "a")
    assert w.attend(cls, 0, "a").status_code == 422
    assert w.count(Attendance) == 0


def test_another_county_records_nothing(world):
    w = world
    w.person("a", "B1a")
    cls = w.make_class("K1")
    w.enrol(cls["id"], "a")
    assert w.attend(cls, 0, "a", headers=w.headers(scope="K2")).status_code == 404
    assert w.client.get(f"{API}/classes/{cls['id']}/attendance", headers=w.headers(scope="K2")).status_code == 404
    assert w.count(Attendance) == 0


def test_member_hours_at_31_5_and_32(world):
    w = world
    w.person("党员", "B1a")
    w.train("K1", "member_training", ["党员"], [8, 8, 8, 7.5])
    out = year_hours(w, "党员")
    assert (out["hours"], out["required_hours"], out["gaps"]) == (31.5, 32.0, ["member_hours"])
    assert [v["code"] for v in out["violations"]] == ["TRAIN.MEMBER_HOURS"]
    assert met(w) == []
    w.train("K1", "member_training", ["党员"], [0.5], first_day=date(2025, 6, 1))
    out = year_hours(w, "党员")
    assert (out["hours"], out["gaps"], out["violations"]) == (32.0, [], [])
    assert met(w) == [("member_hours", w.id("党员"), 2025)]
    w.train("K1", "member_training", ["党员"], [4], first_day=date(2025, 7, 1))
    assert met(w) == [("member_hours", w.id("党员"), 2025)]     # once a year


def test_leader_hours_at_55_and_56(world):
    w = world
    w.person("委员", "B1a")
    w.committee("B1a", [("organization", "委员", date(2024, 1, 1))])
    w.train("K1", "committee_training", ["委员"], [8] * 6 + [7])            # 55
    out = year_hours(w, "委员")
    assert (out["category"], out["hours"], out["required_hours"]) == ("leader", 55.0, 56.0)
    assert out["gaps"] == ["leader_hours"]
    assert met(w) == [("member_hours", w.id("委员"), 2025)]
    w.train("K1", "committee_training", ["委员"], [1], first_day=date(2025, 8, 1))   # 56
    out = year_hours(w, "委员")
    assert (out["hours"], out["gaps"], out["violations"]) == (56.0, [], [])
    assert met(w, "leader_hours") == [("leader_hours", w.id("委员"), 2025)]


def test_a_session_crossing_midnight_of_dec_31_counts_in_the_year_it_started(world):
    w = world
    w.person("守岁", "B1a")
    w.train("K1", "member_training", ["守岁"], [8, 8, 8], first_day=date(2025, 12, 1))
    cls = w.make_class("K1", starts_on=date(2025, 12, 31), ends_on=date(2025, 12, 31),
                       sessions=[(datetime(2025, 12, 31, 20, 0), datetime(2026, 1, 1, 4, 0), 8)])
    w.enrol(cls["id"], "守岁")
    resp = w.attend(cls, 0, "守岁")
    assert resp.get_json()["year"] == 2025
    assert resp.get_json()["credited"][0]["year_hours"] == 32.0
    assert year_hours(w, "守岁", 2025)["hours"] == 32.0
    assert year_hours(w, "守岁", 2026)["hours"] == 0.0
    assert met(w, "member_hours") == [("member_hours", w.id("守岁"), 2025)]


@pytest.mark.parametrize("hours_list, reached", [
    ([8, 8, 7.5], True),          # 3 days, 23.5 hours: the days count
    ([12, 11.5], False),          # 2 days, 23.5 hours
    ([12, 12], True),             # 2 days, 24 hours
])
def test_development_target_training_tells_members_once(world, hours_list, reached):
    w = world
    w.person("发展对象", "B1a", "target")
    w.train("K1", "target_training", ["发展对象"], hours_list)
    events = [e for e in w.events("training.requirement.met") if e.data["requirement"] == "target_training"]
    assert len(events) == (1 if reached else 0)
    if reached:
        assert events[0].data["person_id"] == w.id("发展对象")
        assert events[0].data["days"] == len(hours_list)
        assert events[0].data["hours"] == sum(hours_list)
        w.train("K1", "target_training", ["发展对象"], [4], first_day=date(2025, 9, 1))
        assert len([e for e in w.events("training.requirement.met")
                    if e.data["requirement"] == "target_training"]) == 1


@pytest.mark.parametrize("assessment, reached", [("passed", True), ("failed", False), (None, False)])
def test_development_target_training_counts_once_completed_and_passed(world, assessment, reached):
    """结业: 3 days attended are not enough until the class is completed and its assessment passed."""
    w = world
    w.person("发展对象", "B1a", "target")
    cls = w.train("K1", "target_training", ["发展对象"], [8, 8, 8], assessment=assessment)
    events = [e for e in w.events("training.requirement.met") if e.data["requirement"] == "target_training"]
    assert len(events) == (1 if reached else 0)
    if reached:
        assert events[0].data["met_on"] == cls["ends_on"]         # the day of 结业
    listed = w.client.get(f"{API}/classes/{cls['id']}/completions", headers=w.headers("admin")).get_json()["items"]
    assert [c["assessment"] for c in listed] == ([assessment] if assessment else [])


def test_a_make_up_assessment_that_passes_tells_members_then(world):
    w = world
    w.person("补考", "B1a", "target")
    cls = w.train("K1", "target_training", ["补考"], [8, 8, 8], assessment="failed")
    assert not [e for e in w.events("training.requirement.met") if e.data["requirement"] == "target_training"]
    resp = w.complete(cls, "补考", completed_on=date(2025, 3, 20))
    assert resp.status_code == 200
    assert resp.get_json()["items"][0]["assessment"] == "passed"
    [event] = [e for e in w.events("training.requirement.met") if e.data["requirement"] == "target_training"]
    assert event.data["met_on"] == "2025-03-20"
    assert event.data["days"] == 3
    assert w.complete(cls, "补考").status_code == 200                      # again: nothing more is told
    assert len([e for e in w.events("training.requirement.met") if e.data["requirement"] == "target_training"]) == 1


@pytest.mark.parametrize("change, status", [
    ({"completed_on": "2025-03-01"}, 422),        # before the class began
    ({"completed_on": "2999-01-01"}, 422),        # a completion is recorded once it happened
    ({"assessment": "good"}, 422),
    ({"person": "旁听"}, 422),                      # enrolled, never attended
])
def test_bad_completions_are_422_and_write_nothing(world, change, status):
    w = world
    w.person("学员", "B1a", "target")
    w.person("旁听", "B1a", "target")
    cls = w.make_class("K1", "target_training", sessions=[(datetime(2025, 3, 2, 9), datetime(2025, 3, 2, 17), 8)],
                       starts_on=date(2025, 3, 2), capacity=2)
    assert w.enrol(cls["id"], "学员", "旁听").status_code == 201
    assert w.attend(cls, 0, "学员").status_code == 201
    item = {"person_id": w.id(change.pop("person", "学员")), "completed_on": "2025-03-02", "assessment": "passed",
            **change}
    resp = w.client.post(f"{API}/classes/{cls['id']}/completions", headers=w.headers("admin"), json={"items": [item]})
    assert resp.status_code == status, resp.get_json()
    assert w.client.get(f"{API}/classes/{cls['id']}/completions",
                        headers=w.headers("admin")).get_json()["items"] == []


def test_a_secretary_rotated_and_trained_late_as_new_secretary(world):
    w = world
    w.person("新书记", "B1a")
    w.committee("B1a", [("secretary", "新书记", date(2024, 6, 1))])
    w.train("C", "secretary_rotation", ["新书记"], [8])   # 2025-03-02: due 2024-12-01, so late
    assert met(w, "secretary_rotation") == [("secretary_rotation", w.id("新书记"), 2025)]
    [late] = [e for e in w.events("training.requirement.met") if e.data["requirement"] == "new_secretary"]
    assert (late.data["due_on"], late.data["breach"]) == ("2024-12-01", "TRAIN.NEW_SECRETARY")
    assert year_hours(w, "新书记")["rotated"] is True


def test_list_a_classes_attendance(world):
    w = world
    w.person("a", "B1a")
    w.person("b", "B1c")
    cls = w.train("K1", "member_training", ["a", "b"], [2, 3])
    page = w.client.get(f"{API}/classes/{cls['id']}/attendance", headers=w.headers(scope="K1")).get_json()
    assert len(page["items"]) == 4
    one = w.client.get(f"{API}/classes/{cls['id']}/attendance?session_id={cls['sessions'][1]['id']}",
                       headers=w.headers(scope="K1")).get_json()
    assert {a["hours"] for a in one["items"]} == {3.0}
    # a township sees the class only if it runs it: T1a does not see K1's class
    assert w.client.get(f"{API}/classes/{cls['id']}/attendance", headers=w.headers(scope="T1a")).status_code == 404
