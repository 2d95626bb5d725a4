"""Deadline reminders of members: members.deadline.approaching N days before a deadline of the procedure,
members.deadline.overdue the day after, each once per deadline and threshold however often the job runs."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.members import reminders
from shared import dates
from shared.testing import kit_of, pending_events
from shared.testing import reminders_on as run_reminders
from shared.worker import JobLoop

from .conftest import register

APPLIED = date(2026, 3, 1)
TALK_DUE = date(2026, 4, 1)          # the talk within 1 month of the application (MEMBERS.TALK_DEADLINE)


@pytest.fixture
def applicant(members, client, county, tree):
    person = register(client, county, tree.id("v"), name="孙申请")
    resp = client.post(f"/api/members/v1/people/{person['id']}/steps",
                       json={"kind": "application", "date": APPLIED.isoformat()}, headers=county)
    assert resp.status_code == 201, resp.json
    return person


def reminders_on(app, day: date) -> list:
    return run_reminders(app, reminders.SOURCES, day)


@pytest.mark.parametrize("days_left, type_, days_before", [
    (31, None, None),                              # beyond the largest threshold: nothing yet
    (30, "members.deadline.approaching", 30),
    (29, "members.deadline.approaching", 30),      # a run missed yesterday is caught up
    (8, "members.deadline.approaching", 30),
    (7, "members.deadline.approaching", 7),
    (6, "members.deadline.approaching", 7),
    (0, "members.deadline.approaching", 7),        # due today: still ahead
    (-1, "members.deadline.overdue", None),        # due yesterday: overdue
    (-7, "members.deadline.overdue", None),        # caught up for reminder_catch_up_days (7)
    (-8, None, None),                              # older breaches are for the alerts, not reminders
])
def test_the_first_run_sends_the_tightest_threshold_reached(members, applicant, days_left, type_, days_before):
    events = reminders_on(members, TALK_DUE - timedelta(days=days_left))
    assert [e.type for e in events] == ([type_] if type_ else [])
    if type_:
        data = events[0].data
        assert data["days_before"] == days_before
        assert data["days_left"] == days_left
        assert data["rule"] == "MEMBERS.TALK_DEADLINE"
        assert data["due_on"] == "2026-04-01"


def test_a_talk_due_in_7_days_is_reminded_once_however_often_the_job_runs(members, applicant, tree):
    day = TALK_DUE - timedelta(days=7)
    first = reminders_on(members, day)
    again = reminders_on(members, day)
    next_day = reminders_on(members, day + timedelta(days=1))
    assert [e.type for e in first] == ["members.deadline.approaching"]
    assert again == []
    assert next_day == []
    event = first[0]
    assert event.org_path == tree.path("v")
    assert event.actor == "job:deadline-reminders"
    assert event.data["subject_type"] == "person"
    assert event.data["subject_id"] == applicant["id"]
    assert event.data["subject_name"] == "孙申请"
    assert event.data["unit_id"] == tree.id("v")
    assert event.data["responsible_unit_id"] == tree.id("v")
    assert event.data["kind"] == "talk"
    assert event.data["message_zh"] == "与入党申请人谈话：应于2026-04-01前完成，还有7天"
    assert event.data["message_en"] == "talk with the applicant: due by 2026-04-01, in 7 days"


def test_each_threshold_once_through_the_deadline(members, applicant):
    sent = []
    day = TALK_DUE - timedelta(days=31)
    while day <= TALK_DUE + timedelta(days=10):
        sent += [(day, e.type.rsplit(".", 1)[1], e.data["days_before"]) for e in reminders_on(members, day)]
        day += timedelta(days=1)
    assert sent == [(TALK_DUE - timedelta(days=30), "approaching", 30),
                    (TALK_DUE - timedelta(days=7), "approaching", 7),
                    (TALK_DUE + timedelta(days=1), "overdue", None)]


def test_a_met_deadline_is_not_reminded(members, client, county, applicant):
    resp = client.post(f"/api/members/v1/people/{applicant['id']}/steps",
                       json={"kind": "talk", "date": "2026-03-20", "held_by": "李书记"}, headers=county)
    assert resp.status_code == 201, resp.json
    assert reminders_on(members, TALK_DUE - timedelta(days=7)) == []
    assert reminders_on(members, TALK_DUE + timedelta(days=1)) == []


def test_the_alerts_list_what_the_reminder_announced(members, client, county, applicant):
    day = TALK_DUE - timedelta(days=6)
    [event] = reminders_on(members, day)
    [alert] = client.get(f"/api/members/v1/alerts?as_of={day}", headers=county).json["items"]
    assert (alert["person_id"], alert["code"], alert["due_on"]) == (event.data["subject_id"], event.data["rule"],
                                                                     event.data["due_on"])
    assert (alert["zh"], alert["en"]) == (event.data["message_zh"], event.data["message_en"])


def test_an_approval_is_answered_for_by_the_committee_that_may_approve(members, tree):
    """The township T approves for its village branch V (细则 art. 24)."""
    rows = [{"kind": "approval", "org_path": tree.path("v"), "responsible_unit_id": tree.id("v")},
            {"kind": "talk", "org_path": tree.path("v"), "responsible_unit_id": tree.id("v")},
            {"kind": "approval", "org_path": tree.path("bg"), "responsible_unit_id": tree.id("bg")}]
    kit = kit_of(members)
    with members.app_context(), kit.db.Session() as session:
        done = reminders._approving_units(session, rows)
    assert [r["responsible_unit_id"] for r in done] == [tree.id("t"), tree.id("v"), tree.id("g")]


def test_the_daily_job_runs_once_a_day_and_sends_once(members, applicant, monkeypatch):
    day = TALK_DUE - timedelta(days=7)
    monkeypatch.setattr(dates, "today", lambda: day)
    [job] = reminders.JOBS
    assert JobLoop(members, [job]).run_job(job, day) is True
    assert JobLoop(members, [job]).run_job(job, day) is False          # another replica: the day is claimed
    assert len([e for e in pending_events(members) if e.type == "members.deadline.approaching"]) == 1
