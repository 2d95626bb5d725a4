"""MEMBERS.POINTS from org's meeting ledgers: attendance by person feeds the members' quantified points where the
city's scheme counts attendance; a corrected ledger moves them, an older one changes nothing."""
from __future__ import annotations

import uuid
from datetime import date

from .conftest import full_member, org_event


def meeting(tree, present, absent=(), version=1, meeting_id=None, held_on=date(2026, 3, 10)):
    meeting_id = meeting_id or str(uuid.uuid4())
    org_event(tree.app, "org.meeting.recorded", {
        "meeting_id": meeting_id, "unit_id": tree.id("v"), "type": "theme_day", "held_on": held_on,
        "entitled": None, "present": None, "quorate": True, "counts": True, "by_secretary": False,
        "meeting_version": version,
        "attendees": [{"person_id": p["id"], "attendance": "present"} for p in present]
                     + [{"person_id": p["id"], "attendance": "absent"} for p in absent],
        "path": tree.path("v")})
    return meeting_id


def total(client, headers, person, year=2026) -> float:
    items = client.get(f"/api/members/v1/points?year={year}&person_id={person['id']}", headers=headers).json["items"]
    return sum(i["points"] for i in items)


def test_members_present_earn_the_schemes_attendance_points_once(client, county, tree):
    a = full_member(client, county, tree.id("v"), "甲")
    b = full_member(client, county, tree.id("v"), "乙")
    first = meeting(tree, [a], [b])
    meeting(tree, [a], [b], meeting_id=first)                 # the same ledger again: nothing more
    meeting(tree, [a, b])
    assert total(client, county, a) == 1.0                    # 0.5 a meeting (the default scheme)
    assert total(client, county, b) == 0.5
    items = client.get(f"/api/members/v1/points?year=2026&person_id={a['id']}", headers=county).json["items"]
    assert {i["source"] for i in items} == {"attendance"}


def test_a_corrected_ledger_moves_the_points_and_an_older_one_does_not(client, county, tree):
    a = full_member(client, county, tree.id("v"), "甲")
    b = full_member(client, county, tree.id("v"), "乙")
    held = meeting(tree, [a], [b])
    meeting(tree, [b], [a], version=2, meeting_id=held)      # corrected: b was there, a was not
    assert total(client, county, a) == 0.0
    assert total(client, county, b) == 0.5
    meeting(tree, [a], [b], version=1, meeting_id=held)      # the old ledger arrives late: ignored
    assert total(client, county, a) == 0.0
    assert total(client, county, b) == 0.5


def test_a_scheme_that_does_not_count_attendance_awards_nothing(make_app, auth_headers):
    from .conftest import Tree, TREE

    app = make_app("members")
    app.config["RULES"]["points_schemes"] = {"default": {**app.config["RULES"]["points_schemes"]["default"],
                                                         "meeting_attendance_points": 0}}
    tree = Tree(app)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    headers = auth_headers(app, "admin")
    a = full_member(app.test_client(), headers, tree.id("v"), "甲")
    meeting(tree, [a])
    assert total(app.test_client(), headers, a) == 0.0
