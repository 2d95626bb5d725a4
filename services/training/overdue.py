"""Deadlines of training, listed when overdue: TRAIN.NEW_SECRETARY and TRAIN.NEW_MEMBER.

Someone is listed when the due date has passed and no qualifying class has been attended since
the post was taken (new secretaries: new-secretary training or a rotation class) or since
admission (new members: the new members' centralized training). Training attended late is
recorded as it happened, with the breach on the requirement met (never refused).
"""
from __future__ import annotations

from sqlalchemy import exists, select

from shared.request import current_principal, db_session, rule_config, unit_in_scope
from shared.dates import add_months, today
from shared.http import paginate, subtree_path, under_clause

from . import rules
from .models import Attendance, Person


def list_overdue(args: dict) -> dict:
    config = rule_config()
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    path = subtree_path(current_principal(), under_path)
    on = today()
    if args["rule"] == "TRAIN.NEW_SECRETARY":
        months, since, kinds = config["new_secretary_months"], Person.secretary_since, rules.NEW_SECRETARY_KINDS
        who = Person.category == "secretary"
        check = rules.new_secretary
    else:
        months, since, kinds = config["new_member_months"], Person.probationary_since, rules.NEW_MEMBER_KINDS
        who = Person.category.is_not(None)
        check = rules.new_member
    trained = exists().where(Attendance.person_id == Person.id, Attendance.kind.in_(kinds),
                             Attendance.attended_on >= since)
    stmt = select(Person).where(
        under_clause(Person.org_path, path), who, since.is_not(None),
        since <= rules.overdue_since_bound(on, months),
        since >= add_months(on, -(months + config["overdue_window_months"])),
        ~trained)
    page = paginate(db_session(), stmt, [Person.org_path, Person.id], cursor=args.get("cursor"),
                    limit=args["limit"])
    items = []
    for person in page["items"]:
        started = person.secretary_since if args["rule"] == "TRAIN.NEW_SECRETARY" else person.probationary_since
        violation = check(started, None, on, months)
        items.append({"person_id": person.id, "name": person.name, "unit_id": person.unit_id,
                      "org_path": person.org_path, "rule": violation.code, "since": started,
                      "due_on": violation.facts["due"], "days_overdue": violation.facts["days_overdue"],
                      "en": violation.en, "zh": violation.zh})
    return {"items": items, "next_cursor": page["next_cursor"]}
