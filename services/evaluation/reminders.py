"""Deadline reminders of evaluation: ``evaluation.deadline.approaching`` / ``evaluation.deadline.overdue``.

EVAL.PROBLEMS: a problem not yet rectified is due by its deadline, and in any case by the end of its
year (``rules.problem_due``; ``problems.due_between`` is its SQL, next to the overdue list's). The
problem is the subject, on its branch's path; the unit that now answers for it (``level_unit_id``,
one level up after an escalation) is the responsible unit.
"""
from __future__ import annotations

from sqlalchemy import String, func, literal, select

from shared.reminders import DeadlineSource, reminder_job

from .models import Problem
from .problems import UNRECTIFIED, due_between

WHAT = {"problem": ("整改问题清单中的问题", "rectify the problem on the list")}


def _what(kind: str) -> tuple[str, str]:
    return WHAT[kind]


def _problems(session, codes, first, last):
    due_in_band, due_on = due_between(first, last)
    return (select(literal("EVAL.PROBLEMS", String).label("code"), literal("problem", String).label("kind"),
                   Problem.id.label("subject_id"), func.substr(Problem.description, 1, 200).label("subject_name"),
                   due_on.label("due_on"), Problem.org_path.label("org_path"), Problem.unit_id.label("unit_id"),
                   Problem.level_unit_id.label("responsible_unit_id"))
            .where(Problem.status.in_(UNRECTIFIED), due_in_band))


SOURCES = [DeadlineSource("problems", ("EVAL.PROBLEMS",), "problem", _problems, _what)]
#: the daily job: evaluation.deadline.approaching / overdue, once per deadline and threshold
JOBS = [reminder_job(SOURCES)]
