"""Which meetings may be future-dated (a meeting held: today or earlier; one scheduled: today up to a year
ahead, counting for nothing until held), and corrections with PATCH /meetings/{id} (If-Match): the quorum,
the counts and the year's rows recomputed, the audit log keeping what it was, the event carrying the new state."""
from datetime import timedelta

import pytest

from services.org.models import LifeYear
from shared.dates import today
from shared.testing import kit_of, pending_events

from .conftest import API


def post_meeting(org, unit, **body):
    return org.post("/meetings", {"unit_id": unit["id"], "type": "theme_day", "topic": "主题党日", **body})


def patch(org, meeting, changes, etag=None):
    etag = etag or org.client.get(f"{API}/meetings/{meeting['id']}", headers=org.headers).headers["ETag"]
    return org.client.patch(f"{API}/meetings/{meeting['id']}", json=changes, headers={**org.headers, "If-Match": etag})


def life_row(org, unit, year):
    with kit_of(org.app).db.Session() as session:
        row = session.get(LifeYear, (unit["id"], year))
        return None if row is None else {"theme_day": row.theme_day, "general_meeting": row.general_meeting}


@pytest.mark.parametrize("status, days_ahead, code", [
    ("held", 0, 201),
    ("held", 1, 422),          # what happened is recorded once it has
    ("scheduled", 0, 201),     # a plan: from today
    ("scheduled", 7, 201),
    ("scheduled", 366, 201),   # up to a year ahead (plan_ahead_days)
    ("scheduled", 367, 422),
    ("scheduled", -1, 422),    # a plan for yesterday is not a plan
])
def test_which_meetings_may_be_dated_ahead(org, tree, status, days_ahead, code):
    on = today() + timedelta(days=days_ahead)
    events = len(pending_events(org.app))
    resp = post_meeting(org, tree["branch"], held_on=on.isoformat(), status=status)
    assert resp.status_code == code, resp.json
    if code == 201:
        assert resp.json["status"] == status
        assert resp.json["counts"] is (status == "held")
        # a scheduled meeting tells no one yet and fills no month
        assert len(pending_events(org.app)) == events + (1 if status == "held" else 0)
    else:
        assert "held_on" in resp.json["errors"]["json"]


def test_a_scheduled_meeting_counts_once_recorded_held(org, tree):
    branch = tree["branch"]
    on = today()
    planned = post_meeting(org, branch, held_on=on.isoformat(), status="scheduled").json
    assert life_row(org, branch, on.year) is None
    life = org.get(f"/units/{branch['id']}/life", **{"from": f"{on.year}-01-01", "to": on.isoformat()}).json
    assert next(t for t in life["types"] if t["type"] == "theme_day")["held"] == 0
    resp = patch(org, planned, {"status": "held"})
    assert resp.status_code == 200
    assert resp.json["counts"] is True
    assert resp.json["version"] == 2
    assert life_row(org, branch, on.year)["theme_day"] == 1 << (on.month - 1)
    assert pending_events(org.app)[-1].type == "org.meeting.recorded"
    assert pending_events(org.app)[-1].data["counts"] is True
    assert patch(org, resp.json, {"status": "scheduled"}).status_code == 422       # held stays held


def test_a_corrected_headcount_recomputes_the_quorum_and_the_counts(org, tree):
    branch = tree["branch"]
    meeting = org.post("/meetings", {"unit_id": branch["id"], "type": "general_meeting", "held_on": "2025-03-10",
                                     "entitled": 10, "present": 5, "topic": "支部党员大会"}).json
    assert meeting["counts"] is False
    assert life_row(org, branch, 2025) is None
    resp = patch(org, meeting, {"present": 6})
    assert resp.status_code == 200
    assert resp.json["quorate"] is True
    assert resp.json["counts"] is True
    assert life_row(org, branch, 2025)["general_meeting"] == 1 << 2
    event = pending_events(org.app)[-1]
    assert (event.type, event.data["meeting_id"], event.data["present"], event.data["counts"]) == (
        "org.meeting.recorded", meeting["id"], 6, True)
    # moved to another month: March empties, May fills
    moved = patch(org, resp.json, {"held_on": "2025-05-12"})
    assert moved.status_code == 200
    assert life_row(org, branch, 2025)["general_meeting"] == 1 << 4
    # the history is kept
    audit = org.get("/audit", entity="meeting", entity_id=meeting["id"]).json["items"]
    assert [a["action"] for a in audit] == ["recorded", "corrected", "corrected"]
    assert audit[1]["change"]["present"] == [5, 6]
    assert audit[2]["change"]["held_on"] == ["2025-03-10", "2025-05-12"]


def test_a_correction_needs_the_current_etag_and_valid_values(org, tree):
    meeting = post_meeting(org, tree["branch"], held_on="2025-03-10").json
    url = f"{API}/meetings/{meeting['id']}"
    assert org.client.patch(url, json={"topic": "x"}, headers=org.headers).status_code == 428
    assert org.client.patch(url, json={"topic": "x"}, headers={**org.headers, "If-Match": '"x.1"'}).status_code == 412
    stale = org.client.get(url, headers=org.headers).headers["ETag"]
    assert patch(org, meeting, {"topic": "更正"}).status_code == 200
    assert patch(org, meeting, {"topic": "再改"}, etag=stale).status_code == 412
    assert patch(org, meeting, {"held_on": (today() + timedelta(days=3)).isoformat()}).status_code == 422
    assert patch(org, meeting, {"present": 2.5}).status_code == 422
    assert patch(org, meeting, {}).status_code == 422
    other = org.as_("organizer", tree["other_county"]["id"])
    assert org.client.patch(url, json={"topic": "x"}, headers={**other, "If-Match": stale}).status_code == 404


# ----------------------------------------------------------------------------- the ledger

LEDGER = {"chair": "李书记", "recorder": "王委员",
          "agenda": [{"topic": "学习贯彻全会精神", "decision": "制定学习计划"}],
          "follow_ups": [{"item": "整改活动室", "owner": "王委员", "due_on": "2099-06-30"}]}


def attendees(present: int, absent: int = 0, leave: int = 0) -> list[dict]:
    people = [{"name": f"党员{i}", "attendance": "present"} for i in range(present)]
    people += [{"name": f"缺席{i}", "attendance": "absent", "reason": "外出务工"} for i in range(absent)]
    return people + [{"name": f"请假{i}", "attendance": "leave"} for i in range(leave)]


@pytest.mark.parametrize("present, absent, leave, counts", [(6, 3, 1, True), (5, 4, 1, False)])
def test_the_ledger_lists_attendees_by_person_and_gives_the_headcount(org, tree, present, absent, leave, counts):
    resp = org.post("/meetings", {"unit_id": tree["branch"]["id"], "type": "general_meeting", "held_on": "2025-03-10",
                                  "topic": "支部党员大会", "attendees": attendees(present, absent, leave), **LEDGER})
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert (body["entitled"], body["present"], body["counts"]) == (present + absent + leave, present, counts)
    assert body["chair"] == "李书记"
    assert body["agenda"][0]["decision"] == "制定学习计划"
    assert body["follow_ups"][0] == {"item": "整改活动室", "owner": "王委员", "due_on": "2099-06-30"}
    assert body["attendees"][present]["reason"] == "外出务工"


def test_a_ledger_and_headcounts_that_disagree_are_422(org, tree):
    resp = org.post("/meetings", {"unit_id": tree["branch"]["id"], "type": "general_meeting", "held_on": "2025-03-10",
                                  "topic": "x", "attendees": attendees(6, 4), "present": 7})
    assert resp.status_code == 422
    assert "present" in resp.json["errors"]["json"]


def test_correcting_the_ledger_recomputes_the_counts(org, tree):
    branch = tree["branch"]
    meeting = org.post("/meetings", {"unit_id": branch["id"], "type": "general_meeting", "held_on": "2025-03-10",
                                     "topic": "x", "attendees": attendees(5, 5)}).json
    assert meeting["counts"] is False
    fixed = attendees(6, 4)
    resp = patch(org, meeting, {"attendees": fixed, "recorder": "赵委员"})
    assert resp.status_code == 200
    assert (resp.json["present"], resp.json["counts"]) == (6, True)
    assert life_row(org, branch, 2025)["general_meeting"] == 1 << 2
    audit = org.get("/audit", entity="meeting", entity_id=meeting["id"]).json["items"]
    assert audit[-1]["change"]["recorder"] == [None, "赵委员"]
    assert audit[-1]["change"]["present"] == [5, 6]
