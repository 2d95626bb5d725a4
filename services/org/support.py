"""Support for a unit's work: its organizers, its activity funds by source, its venue."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, select

from shared.request import audit, db_session, emit
from shared.dates import today
from shared.errors import invalid
from shared.http import if_match

from .models import Fund, Organizer, Support, Unit
from .units import get_in_scope, require_active


def current(unit: Unit) -> Support | None:
    return db_session().get(Support, unit.id)


def version_of(unit: Unit) -> int:
    """The ETag's version: 0 until the support record is first written."""
    record = current(unit)
    return record.version if record else 0


def view(unit: Unit) -> dict:
    session = db_session()
    record = current(unit)
    organizers = session.scalars(select(Organizer).where(Organizer.unit_id == unit.id)
                                 .order_by(Organizer.position)).all()
    funds = session.scalars(select(Fund).where(Fund.unit_id == unit.id)
                            .order_by(Fund.year, Fund.received_on, Fund.id)).all()
    by_year: dict[str, dict] = {}
    for fund in funds:
        year = by_year.setdefault(str(fund.year), {"total": 0.0})
        year[fund.source] = round(year.get(fund.source, 0.0) + float(fund.amount), 2)
        year["total"] = round(year["total"] + float(fund.amount), 2)
    return {"unit_id": unit.id, "has_venue": record.has_venue if record else False,
            "venue_name": record.venue_name if record else None,
            "venue_area_m2": float(record.venue_area_m2) if record and record.venue_area_m2 is not None else None,
            "organizers": organizers, "funds": funds, "funds_by_year": by_year,
            "version": record.version if record else 0}


def event_data(session, unit: Unit, year: int) -> dict:
    """``org.support.changed``'s data: the venue, the organizers and the funds of ``year``."""
    record = session.get(Support, unit.id)
    organizers = len(session.scalars(select(Organizer.id).where(Organizer.unit_id == unit.id)).all())
    amounts = session.scalars(select(Fund.amount).where(Fund.unit_id == unit.id, Fund.year == year)).all()
    return {"unit_id": unit.id, "has_venue": bool(record and record.has_venue),
            "venue_area_m2": float(record.venue_area_m2) if record and record.venue_area_m2 is not None else None,
            "organizers": organizers, "funds_total": float(sum(amounts, Decimal(0))), "funds_year": year}


def _emit(unit: Unit, year: int) -> None:
    emit("org.support.changed", event_data(db_session(), unit, year), org_path=unit.path)


def _add_fund(session, unit: Unit, fund: Fund) -> None:
    """The fund and the support record's new version (created at 0 when the unit had none)."""
    session.add(fund)
    record = session.get(Support, unit.id)
    if record is None:
        record = Support(unit_id=unit.id, path=unit.path, version=0)
        session.add(record)
    record.version += 1
    session.flush()


def record_dues_subsidy(session, data: dict) -> tuple[Unit, Fund] | None:
    """DUES.SUBSIDY, from ``members.dues.subsidized``: the subsidy is the unit's support funds of source
    ``dues_subsidy`` (the fund keeps the subsidy's id: a second delivery finds it and adds nothing).
    None when it is already recorded, or the unit is not (or no longer) here."""
    subsidy_id = str(data["subsidy_id"])
    if session.get(Fund, subsidy_id) is not None:
        return None
    unit = session.scalar(select(Unit).where(Unit.id == str(data["unit_id"])))
    if unit is None:
        return None
    fund = Fund(id=subsidy_id, unit_id=unit.id, path=unit.path, year=data["year"], source="dues_subsidy",
                amount=Decimal(str(data["amount"])), received_on=data["granted_on"], note=data.get("note"))
    _add_fund(session, unit, fund)
    return unit, fund


def replace(unit_id, fields: dict) -> dict:
    """Set the venue and the list of organizers (the whole list: PUT semantics; If-Match on the unit's
    support ETag, whose version is the support record's)."""
    unit = if_match(get_in_scope(unit_id), version_of=version_of)
    session = db_session()
    require_active(unit)
    record = current(unit)
    if record is None:
        record = Support(unit_id=unit.id, path=unit.path, version=0)
        session.add(record)
    before = {"has_venue": record.has_venue, "venue_name": record.venue_name,
              "venue_area_m2": record.venue_area_m2}
    record.has_venue = fields["has_venue"]
    record.venue_name = fields.get("venue_name")
    record.venue_area_m2 = fields.get("venue_area_m2")
    record.version += 1
    session.execute(delete(Organizer).where(Organizer.unit_id == unit.id))
    for position, organizer in enumerate(fields["organizers"]):
        session.add(Organizer(unit_id=unit.id, position=position, **organizer))
    session.flush()
    audit("support", unit.id, "replaced", {"before": before, "has_venue": record.has_venue,
                                           "venue_area_m2": record.venue_area_m2,
                                           "organizers": [o["name"] for o in fields["organizers"]]})
    _emit(unit, today().year)
    return view(unit)


def add_fund(unit: Unit, fields: dict) -> dict:
    session = db_session()
    require_active(unit)
    if fields["received_on"] > today():
        raise invalid("received_on", "a date in the future: record the funds once received")
    fund = Fund(unit_id=unit.id, path=unit.path, **fields)
    _add_fund(session, unit, fund)
    audit("fund", fund.id, "recorded", {"unit_id": unit.id, **fields})
    _emit(unit, fields["year"])
    return view(unit)

