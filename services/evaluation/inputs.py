"""Manual inputs: only what no record holds (public satisfaction, inspection findings), each entry
recorded with who entered it and audited."""
from __future__ import annotations

from sqlalchemy import select

from shared.request import audit, current_principal, db_session, rule_config, unit_in_scope
from shared.db import utcnow
from shared.errors import Problem, invalid, not_found
from shared.http import if_match, paginate, under_clause

from .models import ManualInput
from .scorecards import cards_for
from .scoring import MANUAL_INPUTS
from .units import check_year, subtree


def allowed_range(unit_path: str, name: str) -> tuple[float, float]:
    """The input's own range, narrowed by the range the unit's scorecard gives its criterion."""
    low, high = MANUAL_INPUTS[name]["min"], MANUAL_INPUTS[name]["max"]
    card = cards_for(db_session(), [unit_path], rule_config())[unit_path]
    for criterion in card.criteria:
        if criterion["source"].get("manual") == name:
            low, high = max(low, criterion["source"]["min"]), min(high, criterion["source"]["max"])
    return low, high


def _check_value(unit_path: str, name: str, value: float) -> None:
    low, high = allowed_range(unit_path, name)
    if not low <= value <= high:
        raise invalid("value", f"{name} must lie between {low:g} and {high:g}")


def get_in_scope(input_id) -> ManualInput:
    row = db_session().get(ManualInput, str(input_id))
    if row is None or not current_principal().sees(row.org_path):
        raise not_found("input")
    return row


def enter(fields: dict) -> ManualInput:
    session = db_session()
    unit = unit_in_scope(fields["unit_id"])
    rated = rule_config()["EVAL.RATED_KINDS"]
    if unit.kind not in rated:
        raise invalid("unit_id", f"inputs are entered for rated branches ({', '.join(rated)}), not a {unit.kind}")
    check_year(fields["year"], "json")
    _check_value(unit.path, fields["name"], fields["value"])
    if session.scalar(select(ManualInput.id).where(ManualInput.unit_id == unit.id, ManualInput.year == fields["year"],
                                                   ManualInput.name == fields["name"])) is not None:
        raise Problem(409, "Conflict", "this input is already entered for the branch and year; change it with PATCH",
                      kind="conflict")
    row = ManualInput(unit_id=unit.id, org_path=unit.path, year=fields["year"], name=fields["name"],
                      value=fields["value"], note=fields.get("note"), entered_by=current_principal().subject,
                      version=1)
    session.add(row)
    session.flush()
    audit("manual_input", row.id, "entered", {"unit_id": unit.id, "year": row.year, "name": row.name,
                                              "value": row.value, "note": row.note})
    return row


def change(input_id, fields: dict) -> ManualInput:
    row = if_match(get_in_scope(input_id))
    _check_value(row.org_path, row.name, fields["value"])
    before = {"value": row.value, "note": row.note, "entered_by": row.entered_by}
    row.value = fields["value"]
    row.note = fields.get("note", row.note)
    row.entered_by = current_principal().subject
    row.entered_at = utcnow()
    row.version += 1
    audit("manual_input", row.id, "changed", {k: [before[k], getattr(row, k)] for k in before})
    return row


def list_inputs(args: dict) -> dict:
    stmt = select(ManualInput).where(under_clause(ManualInput.org_path, subtree(args.get("under"))))
    if args.get("year"):
        stmt = stmt.where(ManualInput.year == args["year"])
    if args.get("name"):
        stmt = stmt.where(ManualInput.name == args["name"])
    return paginate(db_session(), stmt, [ManualInput.org_path, ManualInput.id], cursor=args.get("cursor"),
                    limit=args["limit"])
