"""Dues subsidies (党费补助, DUES.SUBSIDY): part of the dues a committee collected goes back to a grassroots
organization under it for its activities. Recorded here, where the dues are, against what the committee's
organizations paid that year; ``members.dues.subsidized`` carries it to org, which records it as the
unit's support funds with source ``dues_subsidy`` (``services/org/handlers.py``).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from shared import dates
from shared.db import advisory_lock
from shared.http import paginate, subtree_path, under_clause
from shared.request import audit, current_principal, db_session, emit, unit_in_scope
from shared.violations import RuleViolation

from . import rules
from .models import DuesPayment, DuesSubsidy
from .people import invalid


def _fen(amount: Decimal) -> int:
    return int(rules.fen(amount).scaleb(2))


def view(row: DuesSubsidy) -> dict:
    return {"id": row.id, "from_unit_id": row.from_unit_id, "unit_id": row.unit_id, "year": row.year,
            "amount": Decimal(row.amount_fen).scaleb(-2), "granted_on": row.granted_on, "note": row.note,
            "recorded_by": row.recorded_by, "recorded_at": row.recorded_at}


def grant(body: dict) -> dict:
    """Record a subsidy from the committee ``from_unit_id`` to ``unit_id`` under it (DUES.SUBSIDY: within the
    dues its organizations paid in the year). The committee's grants of a year take turns (a lock)."""
    session = db_session()
    source = unit_in_scope(body["from_unit_id"])
    target = unit_in_scope(body["unit_id"])
    if target.id == source.id or not target.path.startswith(source.path):
        raise invalid(unit_id=["a subsidy goes to an organization under the granting committee"])
    if target.status != "active":
        raise invalid(unit_id=["no such active unit"])
    granted_on: date = body["granted_on"]
    if granted_on > dates.today():
        raise invalid(granted_on=["is after today"])
    year = body.get("year") or granted_on.year
    amount_fen = _fen(body["amount"])
    advisory_lock(session, f"members.dues.subsidy:{source.id}:{year}")
    collected = session.scalar(select(func.coalesce(func.sum(DuesPayment.amount_fen), 0)).where(
        under_clause(DuesPayment.org_path, source.path), DuesPayment.paid_on >= date(year, 1, 1),
        DuesPayment.paid_on < date(year + 1, 1, 1)))
    granted = session.scalar(select(func.coalesce(func.sum(DuesSubsidy.amount_fen), 0)).where(
        DuesSubsidy.from_unit_id == source.id, DuesSubsidy.year == year))
    violation = rules.dues_subsidy(int(granted), amount_fen, int(collected), year)
    if violation:
        raise RuleViolation(violation)
    row = DuesSubsidy(from_unit_id=source.id, from_path=source.path, unit_id=target.id, org_path=target.path,
                      year=year, amount_fen=amount_fen, granted_on=granted_on, note=body.get("note"),
                      recorded_by=current_principal().subject)
    session.add(row)
    session.flush()
    out = view(row)
    audit("dues_subsidy", row.id, "granted", {"from_unit_id": source.id, "unit_id": target.id, "year": year,
                                              "amount": str(out["amount"])})
    emit("members.dues.subsidized", {"subsidy_id": row.id, "from_unit_id": source.id, "unit_id": target.id,
                                     "year": year, "amount": str(out["amount"]), "granted_on": granted_on,
                                     "note": row.note}, org_path=target.path)
    return out


def list_subsidies(args: dict) -> dict:
    """Subsidies received in a subtree (of a year), by cursor."""
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    stmt = select(DuesSubsidy).where(under_clause(DuesSubsidy.org_path, subtree_path(current_principal(), under_path)))
    if args.get("year"):
        stmt = stmt.where(DuesSubsidy.year == args["year"])
    page = paginate(db_session(), stmt, [DuesSubsidy.id], cursor=args.get("cursor"), limit=args["limit"])
    page["items"] = [view(row) for row in page["items"]]
    return page
