"""Events in: people from members, committee roles from org, paths that follow org's tree."""
from datetime import date

from sqlalchemy import select

from services.training.models import Committee, Person, PersonYearHours, Seat
from tests.training.conftest import API


def person(w, name) -> Person:
    with w.kit.db.Session() as session:
        return session.get(Person, w.id(name))


def year_row(w, name, year=2025) -> PersonYearHours:
    with w.kit.db.Session() as session:
        return session.get(PersonYearHours, (w.id(name), year))


def test_person_upserted_by_version_an_older_event_never_wins(world):
    w = world
    w.person("张三", "B1a", "probationary", probationary_since=date(2025, 5, 1))
    stale = {**w.people["张三"]}
    w.person("张三", "B1a", "full", probationary_since=date(2025, 5, 1), full_member_since=date(2026, 5, 1))
    assert person(w, "张三").stage == "full"
    assert person(w, "张三").person_version == 2
    # the older state arrives late, as a fresh event: it changes nothing
    assert w.apply("members.stage.changed", {**stale, "from_stage": "target", "changed_on": date(2025, 5, 1),
                                             "step": "17"}, w.units["B1a"]["path"]) is True
    assert person(w, "张三").stage == "full"
    assert person(w, "张三").full_member_since == date(2026, 5, 1)


def test_a_person_who_leaves_has_no_category(world):
    w = world
    w.person("李四", "B1a")
    assert person(w, "李四").category == "member"
    w.person("李四", "B1a", status="left")
    assert person(w, "李四").category is None


def test_a_transfer_moves_the_person_and_the_years_hours(world):
    w = world
    w.person("王五", "B1a")
    w.train("K1", "member_training", ["王五"], [8])
    assert year_row(w, "王五").org_path == w.units["B1a"]["path"]
    w.person("王五", "B2")   # members.member.transferred to another county's branch
    assert person(w, "王五").org_path == w.units["B2"]["path"]
    row = year_row(w, "王五")
    assert (row.org_path, row.unit_id, row.hours) == (w.units["B2"]["path"], w.id("B2"), 8.0)


def test_committee_seats_give_roles_and_keep_the_secretarys_since_date(world):
    w = world
    for name in ("书记", "委员", "党员"):
        w.person(name, "B1a")
    first = w.committee("B1a", [("secretary", "书记", date(2021, 3, 1)), ("organization", "委员", date(2021, 3, 1)),
                                ("propaganda", None, None)], elected_on=date(2021, 3, 1))
    assert [person(w, n).category for n in ("书记", "委员", "党员")] == ["secretary", "leader", "member"]
    assert person(w, "书记").secretary_since == date(2021, 3, 1)

    # re-elected: the same secretary keeps the post's first date; the committee member is out
    w.committee("B1a", [("secretary", "书记", date(2024, 3, 1)), ("organization", "党员", date(2024, 3, 1))],
                elected_on=date(2024, 3, 1))
    assert person(w, "书记").secretary_since == date(2021, 3, 1)
    assert [person(w, n).category for n in ("委员", "党员")] == ["member", "leader"]

    # the old committee's late by-election changes nothing: a later election replaced it
    w.committee("B1a", [("secretary", "委员", date(2022, 1, 1))], committee_id=first, version=2,
                elected_on=date(2021, 3, 1), event="org.committee.changed")
    assert person(w, "书记").category == "secretary"
    assert person(w, "委员").category == "member"


def test_an_older_version_of_the_same_committee_never_wins(world):
    w = world
    w.person("甲", "B1b")
    w.person("乙", "B1b")
    cid = w.committee("B1b", [("secretary", "甲", date(2024, 1, 1))], version=3, elected_on=date(2024, 1, 1))
    w.committee("B1b", [("secretary", "乙", date(2024, 1, 1))], committee_id=cid, version=2,
                elected_on=date(2024, 1, 1), event="org.committee.changed")
    assert person(w, "甲").category == "secretary"
    assert person(w, "乙").category == "member"


def test_seated_before_members_told_us_of_the_person(world):
    w = world
    late_id = "6f1f3c1e-0000-4000-8000-000000000001"
    w.people["晚到"] = {"id": late_id}            # org seats a person training has not heard of yet
    w.committee("B1c", [("secretary", "晚到", date(2025, 9, 1))])
    del w.people["晚到"]
    w.person("晚到", "B1c", person_id=late_id)  # then members.person.created arrives
    assert (person(w, "晚到").category, person(w, "晚到").secretary_since) == ("secretary", date(2025, 9, 1))


def test_a_person_event_between_two_role_refreshes_of_one_run_is_what_the_second_sees(world):
    """A consumer applies a run of events in one transaction: a role refresh (which loads the person), the
    person's own event (written without loading), the seat taken away and another refresh: the second reads
    the person as the event left them (gone: no category), not as the first had loaded them (a member)."""
    from sqlalchemy import delete

    from services.training import people

    w = world
    w.person("丙", "B1a")
    w.committee("B1a", [("secretary", "丙", date(2024, 1, 1))])
    assert person(w, "丙").category == "secretary"
    left = {**w.people["丙"], "status": "left", "person_version": w.people["丙"]["person_version"] + 1}
    with w.kit.db.Session() as session:
        people.refresh_roles(session, [w.id("丙")])
        loaded = session.get(Person, w.id("丙"))  # still held (the session keeps only what is referenced)
        people.apply_person_state(session, left, w.units["B1a"]["path"])
        session.execute(delete(Seat).where(Seat.person_id == w.id("丙")))  # as the next committee event does
        people.refresh_roles(session, [w.id("丙")])
        session.commit()
    assert (person(w, "丙").status, person(w, "丙").category) == ("left", None)
    assert loaded.status == "left"


def test_a_level_committee_gives_no_branch_role(world):
    w = world
    w.person("乡镇书记", "T1a")
    w.committee("T1a", [("secretary", "乡镇书记", date(2024, 1, 1))])
    assert person(w, "乡镇书记").category == "member"
    with w.kit.db.Session() as session:
        assert session.get(Committee, w.id("T1a")).unit_kind == "township"
        assert session.scalar(select(Seat.role).where(Seat.person_id == w.id("乡镇书记"))) == "secretary"


def test_people_classes_and_hours_follow_a_moved_subtree(world):
    w = world
    w.person("赵六", "B1c")
    w.train("K1", "member_training", ["赵六"], [4])
    w.move_unit("T1b", "K2")   # the township moves to another county, with its branch
    new_path = w.units["B1c"]["path"]
    assert new_path.startswith(w.units["K2"]["path"])
    assert person(w, "赵六").org_path == new_path
    assert year_row(w, "赵六").org_path == new_path
    # K2's organizer now sees 赵六, K1's no longer does
    url = f"{API}/people/{w.id('赵六')}/hours?year=2025"
    assert w.client.get(url, headers=w.headers(scope="K2")).status_code == 200
    assert w.client.get(url, headers=w.headers(scope="K1")).status_code == 404


def test_a_person_whose_unit_arrives_later_takes_its_path(world):
    w = world
    unit_id = "0b5e2a52-0000-4000-8000-0000000000aa"
    w.apply("members.person.created", {"id": "0b5e2a52-0000-4000-8000-0000000000bb", "unit_id": unit_id,
                                       "name": "先到", "stage": "full", "status": "active",
                                       "full_member_since": None, "probationary_since": None,
                                       "classification": None, "person_version": 1}, None)
    with w.kit.db.Session() as session:
        assert session.get(Person, "0b5e2a52-0000-4000-8000-0000000000bb").org_path == ""
    parent = w.units["T2"]
    w.apply("org.unit.created", {"id": unit_id, "key": "zz", "path": parent["path"] + "zz/", "parent_id": parent["id"],
                                 "kind": "branch", "domain": None, "name": "新支部", "code": "NEW", "status": "active",
                                 "established_on": None, "unit_version": 1}, parent["path"] + "zz/")
    with w.kit.db.Session() as session:
        assert session.get(Person, "0b5e2a52-0000-4000-8000-0000000000bb").org_path == parent["path"] + "zz/"


def test_members_of_a_dissolved_unit_move_where_org_says(world):
    w = world
    w.person("孙七", "B1b")
    unit = {**w.units["B1b"], "status": "dissolved", "unit_version": 2, "members_moved_to": w.id("B1a")}
    w.apply("org.unit.dissolved", unit, unit["path"])
    assert (person(w, "孙七").unit_id, person(w, "孙七").org_path) == (w.id("B1a"), w.units["B1a"]["path"])


def test_the_same_event_twice_is_applied_once(world):
    w = world
    from shared.events import make_envelope

    envelope = make_envelope("members.person.created", {
        "id": "0b5e2a52-0000-4000-8000-0000000000cc", "unit_id": w.id("B1a"), "name": "重复", "stage": "full",
        "status": "active", "full_member_since": None, "probationary_since": None, "classification": None,
        "person_version": 1}, source="members", org_path=w.units["B1a"]["path"])
    assert w.apply_envelope(envelope) is True
    assert w.apply_envelope(envelope) is False
