"""Deadline reminders of members: ``members.deadline.approaching`` / ``members.deadline.overdue``.

The deadlines are the open rows of ``deadlines`` (``deadlines.open_deadlines``, the alerts' own
query): the talk within a month (MEMBERS.TALK_DEADLINE), the six-monthly assessments
(MEMBERS.SPONSORS), the approval within 3 months (MEMBERS.APPROVAL_DEADLINE), the oath
(MEMBERS.OATH), the end of probation (MEMBERS.PROBATION), the approval of the conversion
(MEMBERS.CONVERSION) and the management deadlines (out of contact, correction, transfer). The
kit's job (``shared/reminders.py``) reads today's bands of due dates through ``ix_deadlines_open_due``.

The person's branch answers for a deadline, except an approval: the upper committee that approves
(the nearest unit above the branch allowed to approve, ``rules.approving_level``).
"""
from __future__ import annotations

from sqlalchemy import select

from shared.reminders import DeadlineSource, reminder_job
from shared.request import rule_config

from . import deadlines, rules
from .models import Deadline, OrgUnitView, Person

#: deadlines the upper committee answers for
APPROVALS = ("approval", "conversion_approval")


def _due(session, codes, first, last):
    return deadlines.open_deadlines(
        Deadline.code.label("code"), Deadline.kind.label("kind"), Deadline.person_id.label("subject_id"),
        Person.name.label("subject_name"), Deadline.due_on.label("due_on"), Deadline.org_path.label("org_path"),
        Person.unit_id.label("unit_id"), Person.unit_id.label("responsible_unit_id"),
    ).where(Deadline.code.in_(codes), Deadline.due_on.between(first, last))


def _ancestors(path: str) -> list[str]:
    """The paths above ``path``, nearest first: ``/p/c/a/`` -> ``/p/c/``, ``/p/``."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) + "/" for i in range(len(parts) - 1, 0, -1)]


def _approving_units(session, rows: list[dict]) -> list[dict]:
    """An approval's responsible unit: the nearest unit above the branch that may approve."""
    waiting = [row for row in rows if row["kind"] in APPROVALS]
    paths = {above for row in waiting for above in _ancestors(row["org_path"])}
    if not paths:
        return rows
    units = {}
    ordered = sorted(paths)
    for i in range(0, len(ordered), 500):
        units.update({u.path: u for u in session.scalars(
            select(OrgUnitView).where(OrgUnitView.path.in_(ordered[i:i + 500])))})
    kinds = rule_config()["approving_unit_kinds"]
    for row in waiting:
        above = [units.get(path) for path in _ancestors(row["org_path"])]
        for unit, parent in zip(above, above[1:] + [None]):
            if unit is not None and rules.approving_level(unit.kind, parent.kind if parent else None, True,
                                                          kinds) is None:
                row["responsible_unit_id"] = unit.id
                break
    return rows


SOURCES = [DeadlineSource("deadlines", tuple(dict.fromkeys(code for code, _, _ in deadlines.KINDS.values())),
                          "person", _due, deadlines.what, _approving_units)]
#: the daily job: members.deadline.approaching / overdue, once per deadline and threshold
JOBS = [reminder_job(SOURCES)]
