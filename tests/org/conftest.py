"""Helpers for the org service's tests: a small province tree, and members events fed in through
the same inbox path the worker uses (``apply_event``), so the roster and the counts are real."""
from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date

import pytest

from shared.consumer import apply_event
from shared.events import make_envelope
from shared.testing import kit_of

API = "/api/org/v1"
_codes = itertools.count(1)


def code(prefix: str = "U") -> str:
    return f"{prefix}{next(_codes)}"


@dataclass
class Org:
    """An org app with an admin client and shortcuts for the calls most tests make."""

    app: object
    headers: dict

    @property
    def client(self):
        return self.app.test_client()

    def as_(self, role: str = "organizer", scope: str | None = None) -> dict:
        from shared.testing import auth

        return auth(self.app, role, scope=scope)

    def unit(self, kind: str, parent: dict | None = None, headers: dict | None = None, **fields) -> dict:
        body = {"kind": kind, "name": fields.pop("name", f"{kind} {uuid.uuid4().hex[:6]}"),
                "code": fields.pop("code", code(kind[:2].upper())), **fields}
        if parent is not None:
            body["parent_id"] = parent["id"]
        resp = self.client.post(f"{API}/units", json=body, headers=headers or self.headers)
        assert resp.status_code == 201, resp.json
        return resp.json

    def get(self, path: str, headers: dict | None = None, **query):
        return self.client.get(f"{API}{path}", query_string=query, headers=headers or self.headers)

    def post(self, path: str, body: dict, headers: dict | None = None, **extra_headers):
        return self.client.post(f"{API}{path}", json=body, headers={**(headers or self.headers), **extra_headers})

    def refresh(self, unit: dict) -> dict:
        return self.get(f"/units/{unit['id']}").json

    # ------------------------------------------------------------------ members events

    def person(self, unit: dict, *, stage: str = "full", status: str = "active", version: int = 1,
               full_member_since: date | None = date(2015, 7, 1), person_id: str | None = None,
               event: str = "members.person.created", name: str | None = None, **extra) -> str:
        """Apply one members event carrying the person's whole state; returns the person id."""
        person_id = person_id or str(uuid.uuid4())
        data = {"id": person_id, "unit_id": unit["id"], "name": name or f"党员{person_id[:4]}", "stage": stage,
                "status": status, "full_member_since": full_member_since if stage == "full" else None,
                "probationary_since": None, "classification": None, "person_version": version, **extra}
        kit = kit_of(self.app)
        envelope = make_envelope(event, data, source="members", org_path=unit["path"])
        apply_event(kit.db, kit.handlers, kit.models.InboxEvent, envelope)
        return person_id

    def members(self, unit: dict, full: int, probationary: int = 0, **kwargs) -> list[str]:
        ids = [self.person(unit, **kwargs) for _ in range(full)]
        ids += [self.person(unit, stage="probationary") for _ in range(probationary)]
        return ids


@pytest.fixture
def org(make_app, auth_headers):
    app = make_app("org")
    return Org(app, auth_headers(app, "admin"))


@pytest.fixture
def tree(org):
    """province > city > county > township > branch, and a second county with its own branch."""
    province = org.unit("province", name="山东省委")
    city = org.unit("city", province, name="济宁市委")
    county = org.unit("county", city, name="邹城市委")
    township = org.unit("township", county, name="钢山街道党工委")
    branch = org.unit("branch", township, name="某村党支部", domain="village")
    other_county = org.unit("county", city, name="曲阜市委")
    other_branch = org.unit("branch", other_county, name="某社区党支部", domain="community")
    return {"province": province, "city": city, "county": county, "township": township, "branch": branch,
            "other_county": other_county, "other_branch": other_branch}
