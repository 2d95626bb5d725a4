"""Issue 11 defect 1 in training, on the real PostgreSQL with real concurrent requests: of two writers sending
the same ETag (a class PATCH, a session added, a rotation plan confirmed) exactly one wins, the other gets 412,
and the stored state is the winner's; two attendance records that credit the same people listed in opposite
orders never deadlock (answered 503) and credit every hour once; a capacity lowered while people enrol is never
exceeded."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from services.training import rotation
from services.training.models import Enrollment, PersonYearHours
from shared.testing import at_once

from .conftest import API, county_tree

pytestmark = pytest.mark.infra


@pytest.fixture
def world(make_app, pg_url):
    """The conftest's county tree on PostgreSQL (branches B1a and B1b under county K1's township T1a)."""
    return county_tree(make_app("training", database_url=pg_url("training")))


def read(w, url) -> tuple[dict, str]:
    resp = w.client.get(url, headers=w.headers("admin"))
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json(), resp.headers["ETag"]


def send(w, method, url, etag=None, body=None):
    headers = w.headers("admin", **({"If-Match": etag} if etag else {}))
    return lambda client: client.open(url, method=method, json=body, headers=headers)


def starts(cls: dict) -> set[datetime]:
    return {datetime.fromisoformat(s["starts_at"]) for s in cls["sessions"]}


def one_winner(first, second, won: int = 200):
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == sorted([won, 412]), (first.status_code, first.get_json(), second.status_code,
                                            second.get_json())
    return first if first.status_code == won else second


def test_of_two_class_patches_with_one_etag_exactly_one_wins_every_round(world):
    cls = world.make_class("K1", capacity=40)
    url = f"{API}/classes/{cls['id']}"
    for round_ in range(20):
        before, etag = read(world, url)
        first, second = at_once(world.app, send(world, "PATCH", url, etag, {"title": f"甲{round_}", "capacity": 41}),
                                send(world, "PATCH", url, etag, {"title": f"乙{round_}", "capacity": 42}))
        winner = one_winner(first, second)
        after, _ = read(world, url)
        assert (after["title"], after["capacity"]) == (winner.get_json()["title"], winner.get_json()["capacity"])
        assert after["version"] == before["version"] + 1 == winner.get_json()["version"], round_


def test_of_two_sessions_added_with_one_etag_exactly_one_is_added_every_round(world):
    cls = world.make_class("K1", starts_on=date(2025, 3, 1), ends_on=date(2025, 3, 31))
    url = f"{API}/classes/{cls['id']}"
    for round_ in range(10):
        before, etag = read(world, url)
        day = 2 + round_
        sessions = [{"starts_at": datetime(2025, 3, day, hour).isoformat(),
                     "ends_at": datetime(2025, 3, day, hour + 2).isoformat(), "hours": 2} for hour in (9, 14)]
        first, second = at_once(world.app, send(world, "POST", f"{url}/sessions", etag, sessions[0]),
                                send(world, "POST", f"{url}/sessions", etag, sessions[1]))
        winner = one_winner(first, second, won=201)
        after, _ = read(world, url)
        assert len(after["sessions"]) == len(before["sessions"]) + 1, round_
        assert starts(after) == starts(winner.get_json()), round_
        assert after["version"] == before["version"] + 1, round_


def test_of_two_confirmations_of_a_rotation_plan_with_one_etag_exactly_one_enrols(world, monkeypatch):
    monkeypatch.setattr(rotation, "today", lambda: date(2020, 1, 1))
    for name in ("B1a", "B1b"):
        world.person(f"书记{name}", name)
        world.committee(name, [("secretary", f"书记{name}", date(2019, 1, 1))])
    for round_, year in enumerate(range(2021, 2027)):
        day = date(year, 3, 1)
        cls = world.make_class("K1", "secretary_rotation", capacity=2, starts_on=day,
                               sessions=[(datetime(year, 3, 1, 9), datetime(year, 3, 1, 17), 8)])
        proposed = world.client.post(f"{API}/rotation-plans", headers=world.headers("admin"),
                                     json={"county_id": world.id("K1"), "year": year})
        assert proposed.status_code == 201, proposed.get_json()
        assert proposed.get_json()["assigned"] == 2, proposed.get_json()
        url = f"{API}/rotation-plans/{proposed.get_json()['id']}"
        first, second = at_once(world.app, send(world, "POST", f"{url}/confirm", proposed.headers["ETag"]),
                                send(world, "POST", f"{url}/confirm", proposed.headers["ETag"]))
        one_winner(first, second)
        plan, _ = read(world, url)
        assert (plan["status"], plan["version"]) == ("confirmed", 2), round_
        assert read(world, f"{API}/classes/{cls['id']}")[0]["enrolled"] == 2, round_
        with world.kit.db.Session() as session:
            assert len(session.scalars(select(Enrollment).where(Enrollment.class_id == cls["id"])).all()) == 2


def test_a_capacity_lowered_while_people_enrol_is_never_exceeded(world):
    names = [f"学员{i}" for i in range(4)]
    for name in names:
        world.person(name, "B1a")
    for round_ in range(10):
        cls = world.make_class("K1", capacity=4)
        assert world.enrol(cls["id"], names[0], names[1]).status_code == 201
        url = f"{API}/classes/{cls['id']}"
        _, etag = read(world, url)
        patched, enrolled = at_once(world.app, send(world, "PATCH", url, etag, {"capacity": 2}),
                                    send(world, "POST", f"{url}/enrollments",
                                         body={"person_ids": [world.id(n) for n in names[2:]]}))
        after, _ = read(world, url)
        # the enrolment first: the class is full at 4 and cannot drop to 2; the lowering first: no room left
        assert (patched.status_code, enrolled.status_code) in ((409, 201), (200, 409)), (
            round_, patched.get_json(), enrolled.get_json())
        assert after["enrolled"] <= after["capacity"], round_
        assert (after["enrolled"], after["capacity"]) == ((4, 4) if enrolled.status_code == 201 else (2, 2)), round_


def test_two_attendance_records_of_the_same_people_in_opposite_orders_never_deadlock(world):
    """Each record upserts the people's attendance and yearly hours row by row; listed in opposite orders,
    two records would lock those rows in opposite orders and deadlock (PostgreSQL aborts one: 503)."""
    names = [f"学员{i}" for i in range(400)]
    for i, name in enumerate(names):
        world.person(name, "B1a" if i % 2 else "B1b")
    for round_ in range(8):
        cls = world.make_class("K1", capacity=len(names), starts_on=date(2025, 4, 1), ends_on=date(2025, 4, 1),
                               sessions=[(datetime(2025, 4, 1, 9), datetime(2025, 4, 1, 11), 2),
                                         (datetime(2025, 4, 1, 14), datetime(2025, 4, 1, 17), 3)])
        assert world.enrol(cls["id"], *names).status_code == 201
        url = f"{API}/classes/{cls['id']}/attendance"
        ids = [world.id(n) for n in names]
        with world.kit.db.Session() as session:
            before = dict(session.execute(select(PersonYearHours.person_id, PersonYearHours.hours)
                                          .where(PersonYearHours.year == 2025)).all())
        first, second = at_once(
            world.app,
            send(world, "POST", url, body={"session_id": cls["sessions"][0]["id"], "person_ids": ids}),
            send(world, "POST", url, body={"session_id": cls["sessions"][1]["id"], "person_ids": ids[::-1]}))
        assert (first.status_code, second.status_code) == (201, 201), (round_, first.get_json(), second.get_json())
        with world.kit.db.Session() as session:
            after = dict(session.execute(select(PersonYearHours.person_id, PersonYearHours.hours)
                                         .where(PersonYearHours.year == 2025)).all())
        assert all(after[pid] == before.get(pid, 0) + 5 for pid in ids), round_
