"""DUES.SUBSIDY in org: ``members.dues.subsidized`` is recorded as the unit's support funds of source
``dues_subsidy``, once however often it is delivered."""
from __future__ import annotations

import uuid
from datetime import date

from shared.consumer import apply_event
from shared.events import make_envelope
from shared.testing import pending_events


def subsidized(org, unit: dict, amount: str, subsidy_id: str | None = None) -> bool:
    data = {"subsidy_id": subsidy_id or str(uuid.uuid4()), "from_unit_id": unit["parent_id"], "unit_id": unit["id"],
            "year": 2026, "amount": amount, "granted_on": date(2026, 7, 1), "note": "党费补助"}
    envelope = make_envelope("members.dues.subsidized", data, source="members", org_path=unit["path"])
    kit = org.app.extensions["zhibu"]
    return apply_event(kit.db, kit.handlers, kit.models.InboxEvent, envelope)


def test_a_dues_subsidy_becomes_support_funds_once(org, tree):
    branch = tree["branch"]
    subsidy_id = str(uuid.uuid4())
    before = len(pending_events(org.app))
    subsidized(org, branch, "300.00", subsidy_id=subsidy_id)
    subsidized(org, branch, "300.00", subsidy_id=subsidy_id)       # the same subsidy again (another event id)
    support = org.get(f"/units/{branch['id']}/support").json
    assert [(f["id"], f["source"], f["amount"], f["received_on"]) for f in support["funds"]] == [
        (subsidy_id, "dues_subsidy", 300.0, "2026-07-01")]
    assert support["funds_by_year"]["2026"] == {"total": 300.0, "dues_subsidy": 300.0}
    assert support["version"] == 1
    changed = [e for e in pending_events(org.app)[before:] if e.type == "org.support.changed"]
    assert [(e.data["unit_id"], e.data["funds_total"], e.data["funds_year"]) for e in changed] == [
        (branch["id"], 300.0, 2026)]
    audit = org.get("/audit", entity="fund", entity_id=subsidy_id).json["items"]
    assert [a["action"] for a in audit] == ["recorded"]


def test_a_subsidy_for_a_unit_org_does_not_know_changes_nothing(org, tree):
    ghost = {"id": str(uuid.uuid4()), "parent_id": tree["county"]["id"], "path": tree["county"]["path"] + "zz/"}
    before = len(pending_events(org.app))
    subsidized(org, ghost, "10.00")
    assert pending_events(org.app)[before:] == []
