"""Courses: a title, topics and class hours, owned by a unit that runs classes."""
from __future__ import annotations

from sqlalchemy import select

from shared.request import audit, current_principal, db_session, unit_in_scope
from shared.errors import not_found
from shared.http import paginate, require_in_scope, subtree_path, under_clause

from . import units
from .models import Course


def get_in_scope(course_id) -> Course:
    course = db_session().get(Course, str(course_id))
    if course is None:
        raise not_found("course")
    require_in_scope(current_principal(), course.org_path, "course")
    return course


def create(fields: dict) -> Course:
    organizer = units.organizer_in_scope(fields["organizer_unit_id"])
    course = Course(organizer_unit_id=organizer.id, org_path=organizer.path, title=fields["title"],
                    topics=fields["topics"], hours=fields["hours"])
    db_session().add(course)
    db_session().flush()
    audit("course", course.id, "created", {"organizer_unit_id": organizer.id, "title": course.title,
                                           "hours": course.hours})
    return course


def list_courses(args: dict) -> dict:
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    stmt = select(Course).where(under_clause(Course.org_path, subtree_path(current_principal(), under_path)))
    return paginate(db_session(), stmt, [Course.org_path, Course.id], cursor=args.get("cursor"),
                    limit=args["limit"])
