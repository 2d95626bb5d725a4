"""Deadline reminders of training: ``training.deadline.approaching`` / ``training.deadline.overdue``.

TRAIN.NEW_SECRETARY: a seated secretary not yet in a new secretaries' (or rotation) class is due
to be trained ``new_secretary_months`` (6) after taking the post; TRAIN.NEW_MEMBER: a new member's
centralized training, ``new_member_months`` (24) after admission. The people are those the overdue
list names (``overdue.REQUIREMENTS``, the same SQL); the kit's job (``shared/reminders.py``)
reads only those whose due date falls in today's bands (a range of start dates, through the
partial indexes on them). The person's branch answers for it.
"""
from __future__ import annotations

from sqlalchemy import String, literal, select

from shared.reminders import DeadlineSource, due_after_months, reminder_job
from shared.request import rule_config

from .models import Person
from .overdue import REQUIREMENTS

KIND = {"TRAIN.NEW_SECRETARY": "new_secretary", "TRAIN.NEW_MEMBER": "new_member"}
WHAT = {
    "new_secretary": ("参加新任党支部书记培训", "attend the new secretaries' training"),
    "new_member": ("参加新党员集中培训", "attend the new members' centralized training"),
}


def _what(kind: str) -> tuple[str, str]:
    return WHAT[kind]


def _source(code: str) -> DeadlineSource:
    requirement = REQUIREMENTS[code]

    def due(session, codes, first, last):
        months = rule_config()[requirement.months_key]
        due_in_band, due_on = due_after_months(requirement.since, months, first, last)
        return (select(literal(code, String).label("code"), literal(KIND[code], String).label("kind"),
                       Person.id.label("subject_id"), Person.name.label("subject_name"), due_on.label("due_on"),
                       Person.org_path.label("org_path"), Person.unit_id.label("unit_id"),
                       Person.unit_id.label("responsible_unit_id"))
                .where(*requirement.untrained(), due_in_band))

    return DeadlineSource(KIND[code], (code,), "person", due, _what)


SOURCES = [_source("TRAIN.NEW_SECRETARY"), _source("TRAIN.NEW_MEMBER")]
#: the daily job: training.deadline.approaching / overdue, once per deadline and threshold
JOBS = [reminder_job(SOURCES)]
