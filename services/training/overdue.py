"""Deadlines of training, listed when overdue: TRAIN.NEW_SECRETARY and TRAIN.NEW_MEMBER.

Someone is listed when the due date has passed and no qualifying class has been attended since
the post was taken (new secretaries: new-secretary training or a rotation class) or since
admission (new members: the new members' centralized training). Training attended late is
recorded as it happened, with the breach on the requirement met (never refused).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import exists, select

from shared.request import current_principal, db_session, rule_config, unit_in_scope
from shared.dates import add_months, today
from shared.http import paginate, subtree_path, under_clause

from . import rules
from .models import Attendance, Person


@dataclass(frozen=True)
class Requirement:
    """A training due some months after a start (taking the post, admission), and what meets it."""

    code: str
    since: object           # the column the months count from
    months_key: str         # its *config* value in rules.DEFAULTS
    kinds: tuple            # the classes that meet it
    check: Callable         # the pure rule

    def who(self):
        return Person.category == "secretary" if self.code == "TRAIN.NEW_SECRETARY" else Person.category.is_not(None)

    def untrained(self) -> tuple:
        """SQL: the people it applies to who have attended none of its classes since the start."""
        trained = exists().where(Attendance.person_id == Person.id, Attendance.kind.in_(self.kinds),
                                 Attendance.attended_on >= self.since)
        return self.who(), self.since.is_not(None), ~trained


REQUIREMENTS = {
    "TRAIN.NEW_SECRETARY": Requirement("TRAIN.NEW_SECRETARY", Person.secretary_since, "new_secretary_months",
                                       rules.NEW_SECRETARY_KINDS, rules.new_secretary),
    "TRAIN.NEW_MEMBER": Requirement("TRAIN.NEW_MEMBER", Person.probationary_since, "new_member_months",
                                    rules.NEW_MEMBER_KINDS, rules.new_member),
}


def list_overdue(args: dict) -> dict:
    config = rule_config()
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    path = subtree_path(current_principal(), under_path)
    on = today()
    requirement = REQUIREMENTS[args["rule"]]
    months, since, check = config[requirement.months_key], requirement.since, requirement.check
    stmt = select(Person).where(
        under_clause(Person.org_path, path), *requirement.untrained(),
        since <= rules.overdue_since_bound(on, months),
        since >= add_months(on, -(months + config["overdue_window_months"])))
    page = paginate(db_session(), stmt, [Person.org_path, Person.id], cursor=args.get("cursor"),
                    limit=args["limit"])
    items = []
    for person in page["items"]:
        started = getattr(person, since.key)
        violation = check(started, None, on, months)
        items.append({"person_id": person.id, "name": person.name, "unit_id": person.unit_id,
                      "org_path": person.org_path, "rule": violation.code, "since": started,
                      "due_on": violation.facts["due"], "days_overdue": violation.facts["days_overdue"],
                      "en": violation.en, "zh": violation.zh})
    return {"items": items, "next_cursor": page["next_cursor"]}
