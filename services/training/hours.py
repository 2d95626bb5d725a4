"""A person's class hours in a year, checked against what the person's category requires."""
from __future__ import annotations

from sqlalchemy import and_, select

from shared.request import current_principal, db_session, rule_config, unit_in_scope
from shared.dates import today
from shared.http import paginate, subtree_path, under_clause

from . import people, rules
from .models import Attendance, OrgUnitView, Person, PersonYearHours, TrainingClass


def person_row(person_id: str, name: str, unit_id: str, unit_name: str | None, org_path: str,
               category: str | None, year: int, hours: float | None, trained, rotated) -> dict:
    """One person's year as lists and exports show it: hours, what is required, what is missing."""
    config = rule_config()
    hours = float(hours or 0.0)
    trained, rotated = bool(trained), bool(rotated)
    return {"person_id": person_id, "name": name, "unit_id": unit_id, "unit_name": unit_name, "org_path": org_path,
            "category": category, "year": year, "hours": hours,
            "required_hours": rules.hours_required(category, config["member_hours"], config["leader_hours"]),
            "trained": trained, "rotated": rotated,
            "gaps": rules.coverage_gaps(category, hours, trained, rotated, config["member_hours"],
                                        config["leader_hours"])}


def people_with_hours(year: int):
    """People, their unit's name and their hours row for ``year`` (absent = no hours yet)."""
    return (select(Person.id, Person.name, Person.unit_id, OrgUnitView.name.label("unit_name"), Person.org_path,
                   Person.category, PersonYearHours.hours, PersonYearHours.trained, PersonYearHours.rotated)
            .outerjoin(PersonYearHours, and_(PersonYearHours.person_id == Person.id, PersonYearHours.year == year))
            .outerjoin(OrgUnitView, OrgUnitView.id == Person.unit_id))


def row_out(row, year: int) -> dict:
    return person_row(row.id, row.name, row.unit_id, row.unit_name, row.org_path, row.category, year, row.hours,
                      row.trained, row.rotated)


def person_year(person_id, year: int | None) -> dict:
    person = people.get_in_scope(person_id)
    year = year or today().year
    session = db_session()
    row = session.execute(people_with_hours(year).where(Person.id == person.id)).one()
    out = row_out(row, year)
    config = rule_config()
    checks = []
    if person.category is not None:
        checks.append(rules.member_training(out["trained"], year))
        checks.append(rules.member_hours(out["hours"], config["member_hours"], year))
    if person.category in ("secretary", "leader"):
        checks.append(rules.leader_hours(out["hours"], config["leader_hours"], year, out["trained"]))
    if person.category == "secretary":
        checks.append(rules.secretary_rotation(out["rotated"], year))
    out["violations"] = [v.as_dict() for v in checks if v is not None]
    attended = session.execute(
        select(Attendance, TrainingClass.title).join(TrainingClass, TrainingClass.id == Attendance.class_id)
        .where(Attendance.person_id == person.id, Attendance.year == year)
        .order_by(Attendance.attended_on, Attendance.id)).all()
    out["attended"] = [{"class_id": a.class_id, "class_title": title, "kind": a.kind, "session_id": a.session_id,
                        "attended_on": a.attended_on, "hours": a.hours} for a, title in attended]
    return out


def list_people(args: dict) -> dict:
    """People in the subtree with their hours for the year (TRAIN.MEMBER_HOURS / TRAIN.LEADER_HOURS)."""
    year = args.get("year") or today().year
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    stmt = people_with_hours(year).where(under_clause(Person.org_path, subtree_path(current_principal(), under_path)))
    if args.get("category"):
        stmt = stmt.where(Person.category == args["category"])
    else:
        stmt = stmt.where(Person.category.is_not(None))
    page = paginate(db_session(), stmt, [Person.org_path, Person.id], cursor=args.get("cursor"),
                    limit=args["limit"], row_key=lambda r: (r.org_path, r.id))
    return {"items": [row_out(r, year) for r in page["items"]], "next_cursor": page["next_cursor"]}

