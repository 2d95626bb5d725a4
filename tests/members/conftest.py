"""Fixtures of the members tests: an org tree fed to members as org events (the catalog's contract, not the
org service's code), people registered through the API, and the procedure walked step by step.

The tree (keys are path segments)::

    province P /p/
      city C /p/c/
        county A /p/c/a/
          township T /p/c/a/t/
            village branch V /p/c/a/t/v/      (domain village)
            branch B2 /p/c/a/t/b2/
          grassroots committee G /p/c/a/g/    (directly under the county: may approve)
            branch BG /p/c/a/g/bg/
        county Z /p/c/z/                      (another county)
          township TZ /p/c/z/tz/
            branch BZ /p/c/z/tz/bz/
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy import text

from shared.consumer import apply_event
from shared.events import make_envelope
from shared.testing import auth, kit_of

TREE = [
    # key, parent key, kind, domain
    ("p", None, "province", None),
    ("c", "p", "city", None),
    ("a", "c", "county", None),
    ("t", "a", "township", None),
    ("v", "t", "branch", "village"),
    ("b2", "t", "branch", "other"),
    ("g", "a", "grassroots_committee", "state_owned_enterprise"),
    ("bg", "g", "branch", "state_owned_enterprise"),
    ("z", "c", "county", None),
    ("tz", "z", "township", None),
    ("bz", "tz", "branch", "village"),
]


def org_event(app, type_: str, data: dict, **extra) -> bool:
    """Apply one org event to ``app`` through the kit's inbox path (what the worker does)."""
    kit = kit_of(app)
    envelope = make_envelope(type_, {**data, **extra}, source="org", org_path=data["path"], actor="org-test")
    return apply_event(kit.db, kit.handlers, kit.models.InboxEvent, envelope)


@dataclass
class Tree:
    app: object
    units: dict = field(default_factory=dict)  # key -> event data

    def id(self, key: str) -> str:
        return self.units[key]["id"]

    def path(self, key: str) -> str:
        return self.units[key]["path"]

    def add(self, key: str, parent: str | None, kind: str, domain: str | None = None, status: str = "active"):
        parent_data = self.units.get(parent) if parent else None
        data = {"id": str(uuid.uuid4()), "key": key, "path": (parent_data["path"] if parent_data else "/") + key + "/",
                "parent_id": parent_data["id"] if parent_data else None, "kind": kind, "domain": domain,
                "name": f"unit {key}", "code": f"code-{key}", "status": status, "established_on": None,
                "unit_version": 1}
        self.units[key] = data
        org_event(self.app, "org.unit.created", data)
        return data


@pytest.fixture
def members(make_app):
    return make_app("members")


@pytest.fixture
def tree(members) -> Tree:
    tree = Tree(members)
    for key, parent, kind, domain in TREE:
        tree.add(key, parent, kind, domain)
    return tree


@pytest.fixture
def client(members):
    return members.test_client()


@pytest.fixture
def admin(members):
    return auth(members, "admin")


@pytest.fixture
def county(members, tree):
    """An organizer of county A (may see PII)."""
    return auth(members, "organizer", scope=tree.id("a"))


@pytest.fixture
def secretary(members, tree):
    """The secretary of the village branch V (may not see PII)."""
    return auth(members, "secretary", scope=tree.id("v"))


def everything_stored(app) -> str:
    """Every row of every table, as text: what a database dump would show (SQLite or PostgreSQL)."""
    with kit_of(app).db.engine.connect() as conn:
        listed = ("SELECT tablename FROM pg_tables WHERE schemaname = 'public'" if conn.dialect.name == "postgresql"
                  else "SELECT name FROM sqlite_master WHERE type = 'table'")
        return "\n".join(str(tuple(row)) for table in conn.scalars(text(listed)).all()
                         for row in conn.execute(text(f'SELECT * FROM "{table}"')))


# ----------------------------------------------------------------------------- ID numbers

def id_number(birth: str, serial: int = 1, male: bool = True, region: str = "370101") -> str:
    """A valid 18-character ID number (GB 11643 check digit) for a birth date 'YYYY-MM-DD'."""
    from shared.pii import id_check_digit

    seq = serial * 2 + (1 if male else 0)
    body = region + birth.replace("-", "") + f"{seq % 1000:03d}"
    return body + id_check_digit(body)


def register(client, headers, unit_id: str, **fields) -> dict:
    body = {"unit_id": unit_id, "name": fields.pop("name", "张三"), "gender": fields.pop("gender", "male"),
            "birth_date": fields.pop("birth_date", "1995-05-05"), **fields}
    resp = client.post("/api/members/v1/people", json=body, headers=headers)
    assert resp.status_code == 201, resp.json
    return resp.json


def full_member(client, headers, unit_id: str, name: str, since: str = "2010-07-01", **fields) -> dict:
    return register(client, headers, unit_id, name=name, stage="full", birth_date="1970-01-01",
                    full_member_since=since, **fields)


# ----------------------------------------------------------------------------- walking the procedure

def plan(tree: Tree, sponsors: list[str], introducers: list[str]) -> list[dict]:
    """The 25 steps (and the notices and reviews between them) on dates that pass every rule."""
    vote = {"entitled": 10, "present": 8, "yes": 7, "no": 1, "abstain": 0}
    return [
        {"kind": "application", "date": "2023-03-01"},
        {"kind": "talk", "date": "2023-03-20", "held_by": "李书记"},
        {"kind": "activist", "date": "2023-04-10", "source": "member_recommendation", "recommenders": ["王五"],
         "decided_by": "branch_committee"},
        {"kind": "activist_filed", "date": "2023-04-15", "filed_with": "乡镇党委"},
        {"kind": "sponsors", "date": "2023-04-20", "sponsors": sponsors},
        {"kind": "assessment", "date": "2023-10-09", "conclusion": "表现良好"},
        {"kind": "assessment", "date": "2024-04-08", "conclusion": "表现良好"},
        {"kind": "target_notice", "starts_on": "2024-04-15"},
        {"kind": "target", "date": "2024-04-22", "decided_by": "branch_committee"},
        {"kind": "target_filed", "date": "2024-04-25", "filed_with": "乡镇党委"},
        {"kind": "introducers", "date": "2024-05-06", "introducers": introducers},
        {"kind": "political_review", "date": "2024-06-03", "conclusion": "qualified", "summary": "政治合格",
         "covers_relatives": True},
        {"kind": "joint_review", "date": "2024-06-10", "departments": [
            {"department": d, "conclusion": "no_objection"}
            for d in ("discipline_inspection", "public_security", "procuratorate", "court")]},
        {"kind": "training", "date": "2024-07-01", "source": "manual", "days": 3, "evidence": "结业证书",
         "completed_on": "2024-06-28", "assessment": "passed"},
        {"kind": "committee_review", "date": "2024-07-08", "opinion": "同意"},
        {"kind": "pre_review", "date": "2024-07-15", "passed": True},
        {"kind": "admission_notice", "starts_on": "2024-07-22"},
        {"kind": "application_form", "date": "2024-07-29"},
        {"kind": "admission_vote", "date": "2024-08-05", **vote},
        {"kind": "upper_talk", "date": "2024-08-20", "held_by": "组织委员"},
        {"kind": "approval", "date": "2024-09-10", "approving_unit_id": tree.id("t")},
        {"kind": "approval_filed", "date": "2024-09-15", "filed_with": "县委组织部"},
        {"kind": "placement", "date": "2024-09-20", "party_group": "第一党小组"},
        {"kind": "oath", "date": "2024-09-30"},
        {"kind": "probation_assessment", "date": "2025-02-10", "conclusion": "表现良好"},
        {"kind": "conversion_application", "date": "2025-07-20"},
        {"kind": "conversion_vote", "date": "2025-08-05", "outcome": "convert", **vote},
        {"kind": "conversion_approval", "date": "2025-09-01", "approving_unit_id": tree.id("t")},
        {"kind": "archive", "date": "2025-09-10"},
    ]


class Walk:
    """A candidate in the village branch V with two full members to sponsor and introduce."""

    def __init__(self, client, headers, tree: Tree):
        self.client, self.headers, self.tree = client, headers, tree
        self.sponsor = full_member(client, headers, tree.id("v"), "赵培养")
        self.introducer = full_member(client, headers, tree.id("v"), "钱介绍")
        self.person = register(client, headers, tree.id("v"), name="孙申请", birth_date="1995-05-05")
        self.plan = plan(tree, [self.sponsor["id"]], [self.sponsor["id"], self.introducer["id"]])
        self.done = 0

    @property
    def url(self) -> str:
        return f"/api/members/v1/people/{self.person['id']}/steps"

    def step(self, body: dict, status: int = 201):
        resp = self.client.post(self.url, json=body, headers=self.headers)
        assert resp.status_code == status, (body["kind"], resp.json)
        return resp.json

    def until(self, kind: str, **overrides) -> dict:
        """Record every planned step before the first ``kind`` still ahead; return that step's planned body."""
        while self.plan[self.done]["kind"] != kind:
            self.step(self.plan[self.done])
            self.done += 1
        return {**self.plan[self.done], **overrides}

    def through(self, kind: str) -> dict:
        body = self.until(kind)
        result = self.step(body)
        self.done += 1
        return result


@pytest.fixture
def walk(client, county, tree) -> Walk:
    return Walk(client, county, tree)
