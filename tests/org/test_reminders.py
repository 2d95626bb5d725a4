"""Deadline reminders of org: a committee's term, a secretary's seat empty 3 months, and a period of
organizational life ending without its meeting; each once per deadline and threshold."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.org import reminders
from shared.testing import reminders_on

from .test_committees_api import change, elect
from .test_life_api import meeting

TERM_ENDS = date(2028, 6, 30)          # a school branch elected on 2025-06-30 serves 3 years


@pytest.fixture
def school(org, tree):
    unit = org.unit("branch", tree["township"], domain="school", name="某学校党支部")
    ids = org.members(unit, 3)
    resp = elect(org, unit, [("secretary", ids[0])], elected_on="2025-06-30")
    assert resp.status_code == 201, resp.json
    assert resp.json["term_ends_on"] == TERM_ENDS.isoformat()
    return unit


def sent(org, day, rule):
    return [(e.type.rsplit(".", 1)[1], e.data["days_before"]) for e in reminders_on(org.app, reminders.SOURCES, day,
                                                                                   rule)]


@pytest.mark.parametrize("days_left, expected", [
    (91, []),
    (90, [("approaching", 90)]),                  # ORG.TERM_EXPIRED warns 90 days ahead (term_warning_days)
    (31, [("approaching", 90)]),
    (30, [("approaching", 30)]),
    (29, [("approaching", 30)]),
    (7, [("approaching", 7)]),
    (6, [("approaching", 7)]),
    (0, [("approaching", 7)]),                    # the term runs through its last day
    (-1, [("overdue", None)]),                    # expired the day after
])
def test_a_term_falling_due(org, school, days_left, expected):
    assert sent(org, TERM_ENDS - timedelta(days=days_left), "ORG.TERM_EXPIRED") == expected


def test_a_term_is_reminded_once_per_threshold_and_names_the_unit(org, tree, school):
    day = TERM_ENDS - timedelta(days=7)
    [event] = reminders_on(org.app, reminders.SOURCES, day, "ORG.TERM_EXPIRED")
    assert reminders_on(org.app, reminders.SOURCES, day, "ORG.TERM_EXPIRED") == []
    assert reminders_on(org.app, reminders.SOURCES, day + timedelta(days=3), "ORG.TERM_EXPIRED") == []
    assert event.type == "org.deadline.approaching"
    assert event.org_path == school["path"]
    assert event.data["subject_type"] == "unit"
    assert event.data["subject_id"] == school["id"]
    assert event.data["subject_name"] == "某学校党支部"
    assert event.data["responsible_unit_id"] == school["id"]
    assert event.data["message_zh"] == "委员会任期届满，按期换届：应于2028-06-30前完成，还有7天"


@pytest.mark.parametrize("vacated_on, day, expected", [
    ("2025-05-01", "2025-07-02", [("approaching", 30)]),     # empty 3 months on 2025-08-01
    ("2025-05-01", "2025-07-25", [("approaching", 7)]),
    ("2025-05-01", "2025-08-01", [("approaching", 7)]),
    ("2025-05-01", "2025-08-02", [("overdue", None)]),       # weak and lax from the day after
    ("2025-05-31", "2025-08-31", [("approaching", 7)]),      # May 31 + 3 months = Aug 31
    ("2025-11-30", "2026-02-28", [("approaching", 7)]),      # Nov 30 + 3 months = Feb 28 (clamped)
    ("2025-11-30", "2026-03-01", [("overdue", None)]),
    ("2025-05-01", "2025-07-01", []),                       # 31 days ahead
])
def test_a_secretary_seat_empty_for_three_months(org, tree, vacated_on, day, expected):
    ids = org.members(tree["branch"], 1)
    seat = elect(org, tree["branch"], [("secretary", ids[0])], elected_on="2025-03-01").json["seats"][0]
    resp = change(org, tree["branch"], "vacancies", {"seat_id": seat["id"], "vacated_on": vacated_on})
    assert resp.status_code == 200, resp.json
    assert sent(org, date.fromisoformat(day), "ORG.VACANCY") == expected


@pytest.mark.parametrize("day, expected", [
    ("2026-03-01", [("approaching", 30)]),        # the first quarter ends on 2026-03-31
    ("2026-03-24", [("approaching", 7)]),
    ("2026-03-31", [("approaching", 7)]),
    ("2026-04-01", [("overdue", None)]),          # the quarter ended without a party lecture
    ("2026-02-27", []),
])
def test_a_quarter_ending_without_its_party_lecture(org, tree, day, expected):
    events = reminders_on(org.app, reminders.SOURCES, date.fromisoformat(day), "LIFE.LECTURE")
    assert [(e.type.rsplit(".", 1)[1], e.data["days_before"]) for e in events
            if e.data["subject_id"] == tree["branch"]["id"]] == expected


def test_a_period_with_its_meeting_held_is_not_reminded(org, tree):
    assert meeting(org, tree["branch"], "party_lecture", "2026-02-10", lecturer="李书记").status_code == 201
    assert meeting(org, tree["branch"], "theme_day", "2026-03-10").status_code == 201
    events = reminders_on(org.app, reminders.SOURCES, date(2026, 3, 24))
    quarter = [e for e in events if e.data["rule"] == "LIFE.LECTURE"]
    month = [e for e in events if e.data["rule"] == "LIFE.THEME_DAY"]
    assert tree["branch"]["id"] not in {e.data["subject_id"] for e in quarter}
    assert tree["branch"]["id"] not in {e.data["subject_id"] for e in month}
    assert tree["other_branch"]["id"] in {e.data["subject_id"] for e in quarter}
    assert tree["other_branch"]["id"] in {e.data["subject_id"] for e in month}


def test_a_monthly_meeting_is_reminded_in_the_months_last_week_only(org, tree):
    """LIFE.THEME_DAY is due every month: reminder_days [7] (30 days before would be every day of it)."""
    assert ("approaching", 30) not in sent(org, date(2026, 3, 1), "LIFE.THEME_DAY")   # (February's are overdue)
    assert ("approaching", 7) in sent(org, date(2026, 3, 25), "LIFE.THEME_DAY")
    overdue = reminders_on(org.app, reminders.SOURCES, date(2026, 4, 1), "LIFE.THEME_DAY")
    assert {e.data["due_on"] for e in overdue} == {"2026-03-31"}
    assert {e.data["subject_id"] for e in overdue} == {tree["branch"]["id"], tree["other_branch"]["id"]}


def test_a_committee_meeting_is_owed_only_by_a_branch_with_a_committee(org, tree):
    assert reminders_on(org.app, reminders.SOURCES, date(2026, 3, 25), "LIFE.COMMITTEE_MEETING") == []


@pytest.mark.infra
def test_on_postgresql_terms_vacancies_and_periods(make_app, pg_url, auth_headers):
    """The same SQL on PostgreSQL: a term, an empty secretary seat (a CASE over start dates) and a period of
    organizational life (a bit mask, periods as a UNION); a second run the same day writes nothing."""
    from .conftest import Org

    app = make_app("org", database_url=pg_url("org"))
    org = Org(app, auth_headers(app, "admin"))
    province = org.unit("province")
    county = org.unit("county", org.unit("city", province))
    branch = org.unit("branch", org.unit("township", county), domain="school")
    ids = org.members(branch, 2)
    seat = elect(org, branch, [("secretary", ids[0]), ("deputy_secretary", ids[1])],
                 elected_on="2023-06-30").json["seats"][0]
    assert change(org, branch, "vacancies", {"seat_id": seat["id"], "vacated_on": "2026-03-31"}).status_code == 200
    events = reminders_on(app, reminders.SOURCES, date(2026, 6, 30))   # term ends; empty since Mar 31 + 3 months
    by_rule = {e.data["rule"]: (e.type.rsplit(".", 1)[1], e.data["days_before"], e.data["due_on"]) for e in events
               if e.data["subject_id"] == branch["id"]}
    assert by_rule["ORG.TERM_EXPIRED"] == ("approaching", 7, "2026-06-30")
    assert by_rule["ORG.VACANCY"] == ("approaching", 7, "2026-06-30")
    assert by_rule["LIFE.GENERAL_MEETING"] == ("approaching", 7, "2026-06-30")
    assert by_rule["LIFE.THEME_DAY"] == ("approaching", 7, "2026-06-30")
    assert reminders_on(app, reminders.SOURCES, date(2026, 6, 30)) == []
    later = reminders_on(app, reminders.SOURCES, date(2026, 7, 1))
    overdue = {e.data["rule"] for e in later if e.type == "org.deadline.overdue" and e.data["subject_id"] == branch["id"]}
    assert {"ORG.TERM_EXPIRED", "ORG.VACANCY", "LIFE.GENERAL_MEETING", "LIFE.THEME_DAY"} <= overdue


@pytest.mark.parametrize("day, rule, expected", [
    ("2026-03-24", "LIFE.HEARING", [("approaching", 7, "2026-03-31")]),       # heard once a quarter
    ("2026-04-01", "LIFE.HEARING", [("overdue", None, "2026-03-31")]),
    ("2026-12-01", "LIFE.SECRETARY_REPORT", [("approaching", 30, "2026-12-31")]),   # reports once a year
    ("2026-03-24", "LIFE.SECRETARY_REPORT", []),
])
def test_the_standing_mechanisms_fall_due_like_the_meetings(org, tree, day, rule, expected):
    events = reminders_on(org.app, reminders.SOURCES, date.fromisoformat(day), rule)
    assert [(e.type.rsplit(".", 1)[1], e.data["days_before"], e.data["due_on"]) for e in events
            if e.data["subject_id"] == tree["branch"]["id"]] == expected
