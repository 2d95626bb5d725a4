"""A training app and the world it learns from events: org units, people, committees.

Everything training knows about units and people arrives as events, so the fixtures apply
real catalog events through the same inbox path the worker uses (``apply_event``).
"""
from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared.consumer import apply_event
from shared.events import Envelope, make_envelope
from shared.testing import auth, kit_of, pending_events

API = "/api/training/v1"


class World:
    """Units, people and committees fed to one training app by events; tokens and API helpers."""

    def __init__(self, app):
        self.app = app
        self.kit = kit_of(app)
        self.client = app.test_client()
        self._keys = itertools.count(1)
        self.units: dict[str, dict] = {}
        self.people: dict[str, dict] = {}

    # -------------------------------------------------------------------- events in

    def apply(self, type_: str, data: dict, org_path: str | None = None) -> bool:
        envelope = make_envelope(type_, data, source=type_.split(".")[0], org_path=org_path)
        return self.apply_envelope(envelope)

    def apply_envelope(self, envelope: Envelope) -> bool:
        return apply_event(self.kit.db, self.kit.handlers, self.kit.models.InboxEvent, envelope)

    def unit(self, name: str, kind: str, parent: str | None = None) -> dict:
        key = format(next(self._keys), "x")
        parent_unit = self.units[parent] if parent else None
        unit = {"id": str(uuid.uuid4()), "key": key, "path": (parent_unit["path"] if parent_unit else "/") + key + "/",
                "parent_id": parent_unit["id"] if parent_unit else None, "kind": kind, "domain": None, "name": name,
                "code": f"C{key}", "status": "active", "established_on": None, "unit_version": 1}
        self.apply("org.unit.created", unit, unit["path"])
        self.units[name] = unit
        return unit

    def move_unit(self, name: str, new_parent: str) -> dict:
        unit = self.units[name]
        parent = self.units[new_parent]
        old_path = unit["path"]
        unit.update(parent_id=parent["id"], path=parent["path"] + unit["key"] + "/",
                    unit_version=unit["unit_version"] + 1)
        self.apply("org.unit.moved", {**unit, "old_path": old_path}, unit["path"])
        for other in self.units.values():
            if other is not unit and other["path"].startswith(old_path):
                other["path"] = unit["path"] + other["path"][len(old_path):]
        return unit

    def person(self, name: str, unit: str, stage: str = "full", *, status: str = "active",
               probationary_since: date | None = None, full_member_since: date | None = None,
               person_id: str | None = None) -> str:
        """Register a person (members.person.created), or send the next state of one already known."""
        known = self.people.get(name)
        state = {"id": known["id"] if known else person_id or str(uuid.uuid4()), "unit_id": self.units[unit]["id"], "name": name,
                 "stage": stage, "status": status, "full_member_since": full_member_since,
                 "probationary_since": probationary_since, "classification": None,
                 "person_version": known["person_version"] + 1 if known else 1}
        if known is None:
            self.apply("members.person.created", state, self.units[unit]["path"])
        elif known["unit_id"] != state["unit_id"]:
            self.apply("members.member.transferred", {**state, "from_unit_id": known["unit_id"],
                                                      "transferred_on": date(2026, 6, 1)}, self.units[unit]["path"])
        elif status == "left":
            self.apply("members.member.left", {**state, "reason": "withdrawal", "left_on": date(2026, 6, 1)},
                       self.units[unit]["path"])
        else:
            self.apply("members.stage.changed", {**state, "from_stage": known["stage"], "changed_on": date(2026, 1, 5),
                                                 "step": "17"}, self.units[unit]["path"])
        self.people[name] = state
        return state["id"]

    def committee(self, unit: str, seats: list[tuple[str, str, date | None]], *, version: int = 1,
                  committee_id: str | None = None, elected_on: date = date(2024, 3, 1),
                  event: str = "org.committee.elected") -> str:
        committee_id = committee_id or str(uuid.uuid4())
        data = {"unit_id": self.units[unit]["id"], "committee_id": committee_id, "elected_on": elected_on,
                "term_ends_on": date(elected_on.year + 5, elected_on.month, 1),
                "seats": [{"role": role, "person_id": self.people[p]["id"] if p else None, "since": since}
                          for role, p, since in seats],
                "secretary_vacant_since": None, "committee_version": version}
        if event == "org.committee.changed":
            data["change"] = "by_election"
        self.apply(event, data, self.units[unit]["path"])
        return committee_id

    # -------------------------------------------------------------------- the API

    def headers(self, role: str = "organizer", scope: str | None = None, **extra) -> dict:
        return {**auth(self.app, role, scope=self.units[scope]["id"] if scope else None), **extra}

    def id(self, name: str) -> str:
        return self.people[name]["id"] if name in self.people else self.units[name]["id"]

    def make_class(self, organizer: str, kind: str = "member_training", *, sessions=None, capacity: int = 30,
                   starts_on: date = date(2025, 3, 1), ends_on: date | None = None, headers=None, **extra):
        sessions = sessions or [(datetime(2025, 3, 1, 9, 0), datetime(2025, 3, 1, 17, 0), 8)]
        ends_on = ends_on or max(s[0].date() for s in sessions)
        body = {"kind": kind, "title": f"{kind} {organizer}", "organizer_unit_id": self.id(organizer),
                "starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(), "capacity": capacity,
                "place": "党校", "sessions": [{"starts_at": s.isoformat(), "ends_at": e.isoformat(), "hours": h}
                                              for s, e, h in sessions], **extra}
        resp = self.client.post(f"{API}/classes", json=body, headers=headers or self.headers("admin"))
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    def enrol(self, class_id: str, *names: str, headers=None):
        return self.client.post(f"{API}/classes/{class_id}/enrollments", headers=headers or self.headers("admin"),
                                json={"person_ids": [self.id(n) for n in names]})

    def attend(self, cls: dict, session_index: int, *names: str, headers=None):
        return self.client.post(f"{API}/classes/{cls['id']}/attendance", headers=headers or self.headers("admin"),
                                json={"session_id": cls["sessions"][session_index]["id"],
                                      "person_ids": [self.id(n) for n in names]})

    def complete(self, cls: dict, *names: str, assessment: str = "passed", completed_on: date | None = None,
                 headers=None):
        """Record the class's completion (结业) for ``names``: by default on its last day, passed."""
        on = (completed_on or date.fromisoformat(cls["ends_on"])).isoformat()
        return self.client.post(f"{API}/classes/{cls['id']}/completions", headers=headers or self.headers("admin"),
                                json={"items": [{"person_id": self.id(n), "completed_on": on, "assessment": assessment}
                                                for n in names]})

    def train(self, organizer: str, kind: str, names: list[str], hours_list: list[float], *,
              first_day: date = date(2025, 3, 2), assessment: str | None = "passed") -> dict:
        """A class of ``kind`` with one session per entry of ``hours_list`` (one a day), everyone attending;
        a development targets' class is then completed with ``assessment`` (None: not yet)."""
        sessions = [(datetime.combine(first_day + timedelta(days=i), datetime.min.time()).replace(hour=9),
                     datetime.combine(first_day + timedelta(days=i), datetime.min.time()).replace(hour=18), h)
                    for i, h in enumerate(hours_list)]
        cls = self.make_class(organizer, kind, sessions=sessions, starts_on=first_day, capacity=max(len(names), 1))
        assert self.enrol(cls["id"], *names).status_code == 201
        for i in range(len(hours_list)):
            resp = self.attend(cls, i, *names)
            assert resp.status_code == 201, resp.get_json()
        if kind == "target_training" and assessment:
            resp = self.complete(cls, *names, assessment=assessment)
            assert resp.status_code == 200, resp.get_json()
        return cls

    # -------------------------------------------------------------------- looking inside

    def count(self, model) -> int:
        with self.kit.db.Session() as session:
            return session.scalar(select(func.count()).select_from(model))

    def events(self, type_: str | None = None) -> list[Envelope]:
        return [e for e in pending_events(self.app) if type_ is None or e.type == type_]


def county_tree(app) -> World:
    """Province P > city C > counties K1, K2 > townships T1a, T1b (K1), T2 (K2) > branches B1a, B1b (T1a),
    B1c (T1b), B2 (T2); a branch K1d directly under K1."""
    w = World(app)
    w.unit("P", "province")
    w.unit("C", "city", "P")
    for county in ("K1", "K2"):
        w.unit(county, "county", "C")
    w.unit("T1a", "township", "K1")
    w.unit("T1b", "township", "K1")
    w.unit("T2", "township", "K2")
    w.unit("B1a", "branch", "T1a")
    w.unit("B1b", "branch", "T1a")
    w.unit("B1c", "branch", "T1b")
    w.unit("B2", "branch", "T2")
    w.unit("K1d", "branch", "K1")
    return w


@pytest.fixture
def world(make_app):
    """The county tree (``county_tree``) on the embedded default."""
    return county_tree(make_app("training"))
