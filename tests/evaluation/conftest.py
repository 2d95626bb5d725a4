"""Evaluation test helpers: events built with the catalog and applied through the inbox, as the worker does.

``Feed`` builds envelopes with ``shared.events.make_envelope`` (the catalog checks every field) and
applies them with ``shared.consumer.apply_event``, so the handlers run exactly as in production.
"""
from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest

from shared.consumer import apply_event
from shared.dates import today
from shared.events import make_envelope
from shared.testing import kit_of

#: a year that has ended: every meeting, hour and review of it is due in full
YEAR = today().year - 1
API = "/api/evaluation/v1"


def new_id() -> str:
    return str(uuid.uuid4())


class Feed:
    """Events into one evaluation app, through the same inbox path the worker uses."""

    def __init__(self, app):
        self.app = app
        self.kit = kit_of(app)
        self._keys = itertools.count(1)
        self._clock = datetime(YEAR, 1, 1, tzinfo=timezone.utc)

    # -- plumbing
    def envelope(self, type_: str, data: dict, *, org_path: str | None = None, occurred_at: datetime | None = None):
        if occurred_at is None:
            self._clock += timedelta(seconds=1)
            occurred_at = self._clock
        return make_envelope(type_, data, source=type_.split(".")[0], org_path=org_path, actor="feed",
                             occurred_at=occurred_at)

    def apply(self, envelope) -> bool:
        return apply_event(self.kit.db, self.kit.handlers, self.kit.models.InboxEvent, envelope)

    def send(self, type_: str, data: dict, **kwargs):
        envelope = self.envelope(type_, data, **kwargs)
        self.apply(envelope)
        return envelope

    # -- org
    def unit(self, kind: str, name: str, parent: dict | None = None, *, version: int = 1, status: str = "active",
             unit_id: str | None = None, key: str | None = None) -> dict:
        key = key or f"k{next(self._keys)}"
        unit = {"id": unit_id or new_id(), "key": key, "path": (parent["path"] if parent else "/") + key + "/",
                "parent_id": parent["id"] if parent else None, "kind": kind, "domain": None, "name": name,
                "code": f"C-{key}", "status": status, "established_on": None, "unit_version": version}
        self.send("org.unit.created", unit, org_path=unit["path"])
        return unit

    def tree(self) -> dict:
        province = self.unit("province", "山东省委")
        city = self.unit("city", "济宁市委", province)
        county = self.unit("county", "邹城市委", city)
        other = self.unit("county", "曲阜市委", city)
        township = self.unit("township", "钢山街道党工委", county)
        return {"province": province, "city": city, "county": county, "other_county": other, "township": township}

    def committee(self, unit: dict, seats: list[dict], *, elected_on: date | None = None,
                  term_ends_on: date | None = None, vacant_since: date | None = None, version: int = 1,
                  change: str | None = None, committee_id: str | None = None) -> dict:
        data = {"unit_id": unit["id"], "committee_id": committee_id or new_id(),
                "elected_on": elected_on or date(YEAR - 1, 6, 1), "term_ends_on": term_ends_on or date(YEAR + 2, 5, 31),
                "seats": seats, "secretary_vacant_since": vacant_since, "committee_version": version}
        if change:
            data["change"] = change
        self.send("org.committee.changed" if change else "org.committee.elected", data, org_path=unit["path"])
        return data

    def meeting(self, unit: dict, meeting_type: str, held_on: date, *, counts: bool = True,
                meeting_id: str | None = None, occurred_at: datetime | None = None) -> str:
        meeting_id = meeting_id or new_id()
        self.send("org.meeting.recorded", {"meeting_id": meeting_id, "unit_id": unit["id"], "type": meeting_type,
                                           "held_on": held_on, "entitled": 10, "present": 8 if counts else 4,
                                           "quorate": counts, "counts": counts},
                  org_path=unit["path"], occurred_at=occurred_at)
        return meeting_id

    def full_year_of_meetings(self, unit: dict, year: int = YEAR, *, committee: bool = False) -> None:
        """Every meeting LIFE.* asks of a branch for a year (the committee's too when it has one)."""
        for month in range(1, 13):
            self.meeting(unit, "theme_day", date(year, month, 10))
            if committee:
                self.meeting(unit, "committee_meeting", date(year, month, 5))
            if month % 3 == 0:
                self.meeting(unit, "general_meeting", date(year, month, 15))
                self.meeting(unit, "party_lecture", date(year, month, 20))
        for meeting_type in ("review_meeting", "heart_to_heart_talk", "member_review"):
            self.meeting(unit, meeting_type, date(year, 12, 1))

    def support(self, unit: dict, has_venue: bool = True) -> None:
        self.send("org.support.changed", {"unit_id": unit["id"], "has_venue": has_venue, "venue_area_m2": 60.0,
                                          "organizers": 1, "funds_total": 5000.0}, org_path=unit["path"])

    # -- members
    def person(self, unit: dict, stage: str = "full", *, person_id: str | None = None, version: int = 1,
               probationary_since: date | None = None, status: str = "active", type_: str = "members.person.created",
               extra: dict | None = None) -> str:
        person_id = person_id or new_id()
        data = {"id": person_id, "unit_id": unit["id"], "name": "党员", "stage": stage, "status": status,
                "full_member_since": date(YEAR - 10, 1, 1) if stage == "full" else None,
                "probationary_since": probationary_since or (date(YEAR - 11, 1, 1) if stage == "full" else None),
                "classification": "in_work", "person_version": version, **(extra or {})}
        self.send(type_, data, org_path=unit["path"])
        return person_id

    def review(self, unit: dict, year: int = YEAR) -> None:
        self.send("members.review.recorded", {"unit_id": unit["id"], "year": year, "excellent": 1, "qualified": 2,
                                              "basically_qualified": 0, "unqualified": 0}, org_path=unit["path"])

    def points(self, person_id: str, unit: dict, points: float, year: int = YEAR, award_id: str | None = None):
        return self.send("members.points.awarded", {"award_id": award_id or new_id(), "person_id": person_id,
                                                    "unit_id": unit["id"], "year": year, "points": points,
                                                    "source": "attendance"}, org_path=unit["path"])

    # -- training
    def attendance(self, person_id: str, unit: dict, year_hours: float, year: int = YEAR, hours: float = 8.0):
        return self.send("training.attendance.recorded", {
            "class_id": new_id(), "session_id": new_id(), "kind": "member_training", "person_id": person_id,
            "unit_id": unit["id"], "attended_on": date(year, 6, 1), "year": year, "hours": hours,
            "year_hours": year_hours}, org_path=unit["path"])

    def requirement(self, person_id: str, unit: dict, requirement: str, year: int = YEAR):
        return self.send("training.requirement.met", {
            "person_id": person_id, "unit_id": unit["id"], "requirement": requirement, "year": year,
            "met_on": date(year, 9, 1), "hours": 32.0, "days": None}, org_path=unit["path"])

    # -- branches ready for a test
    def healthy_branch(self, parent: dict, name: str, *, year: int = YEAR) -> dict:
        """A branch with no weak-and-lax sign: a secretary, every meeting, a development target."""
        branch = self.unit("branch", name, parent)
        secretary = self.person(branch, "full")
        self.person(branch, "target")
        self.committee(branch, [{"role": "secretary", "person_id": secretary, "since": date(year - 1, 6, 1)}])
        self.full_year_of_meetings(branch, year)
        branch["people"] = [secretary]
        return branch

    # -- a branch that does everything its scorecard asks
    def model_branch(self, parent: dict, name: str, *, members: int = 3, year: int = YEAR,
                     review: bool = True) -> dict:
        """A branch with a secretary, every meeting, a new member, the review, full points, hours, rotation and a
        venue: 90 of the built-in scorecard's 100 points before public satisfaction (10) is entered."""
        branch = self.unit("branch", name, parent)
        people = [self.person(branch, "full") for _ in range(members - 1)]
        people.append(self.person(branch, "probationary", probationary_since=date(year, 3, 1)))
        self.committee(branch, [{"role": "secretary", "person_id": people[0], "since": date(year - 1, 6, 1)}])
        self.full_year_of_meetings(branch, year)
        if review:
            self.review(branch, year)
        for person_id in people:
            self.points(person_id, branch, 100.0, year)
            self.attendance(person_id, branch, 40.0, year)
        self.requirement(people[0], branch, "secretary_rotation", year)
        self.support(branch, True)
        branch["people"] = people
        return branch


def satisfaction_scorecard(app, headers, region: dict) -> dict:
    """A region's scorecard whose only criterion is public satisfaction: the score is the value entered."""
    resp = app.test_client().post(f"{API}/scorecards", headers=headers, json={
        "region_id": region["id"], "name": "满意度测评表",
        "criteria": [{"key": "satisfaction", "name": "群众满意度", "weight": 100,
                      "source": {"manual": "public_satisfaction", "min": 0, "max": 100}}],
        "vetoes": [{"key": "discipline", "name": "严重违纪", "manual": "discipline_violation", "op": ">=", "value": 1}]})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def enter(app, headers, unit: dict, name: str, value: float, year: int = YEAR):
    resp = app.test_client().post(f"{API}/inputs", headers=headers,
                                  json={"unit_id": unit["id"], "year": year, "name": name, "value": value})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def recompute(app, headers, region: dict, year: int = YEAR) -> dict:
    resp = app.test_client().post(f"{API}/assessments/recompute", headers=headers,
                                  json={"under": region["id"], "year": year})
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def assessment(app, headers, unit: dict, year: int = YEAR) -> dict:
    resp = app.test_client().get(f"{API}/units/{unit['id']}/assessment?year={year}", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


@pytest.fixture
def evaluation(make_app):
    return make_app("evaluation")


@pytest.fixture
def feed(evaluation):
    return Feed(evaluation)


@pytest.fixture
def tree(feed):
    return feed.tree()


@pytest.fixture
def admin(evaluation, auth_headers):
    return auth_headers(evaluation, "admin")
