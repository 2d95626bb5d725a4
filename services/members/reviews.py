"""The yearly democratic review of members (民主评议党员, LIFE.MEMBER_REVIEW): 优秀 / 合格 / 基本合格 / 不合格,
优秀 at most a third of those graded, probationary members taking part without a grade."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from shared import dates
from shared.request import audit, current_principal, db_session, emit, rule_config, unit_in_scope
from shared.errors import Problem, not_found
from shared.http import paginate, require_in_scope, subtree_path, under_clause
from shared.violations import RuleViolation

from . import rules
from .models import Person, Review, ReviewGrade
from .people import invalid


def view(review: Review, grades: list[ReviewGrade] | None = None) -> dict:
    out = {"id": review.id, "unit_id": review.unit_id, "year": review.year, "held_on": review.held_on,
           "excellent": review.excellent, "qualified": review.qualified,
           "basically_qualified": review.basically_qualified, "unqualified": review.unqualified,
           "not_graded": review.not_graded}
    if grades is not None:
        out["grades"] = [{"person_id": g.person_id, "grade": g.grade} for g in grades]
    return out


def record(fields: dict) -> dict:
    session = db_session()
    unit = unit_in_scope(fields["unit_id"])
    year, held_on = fields["year"], fields["held_on"]
    if held_on > dates.today():
        raise invalid(held_on=["is after today"])
    if held_on.year not in (year, year + 1):
        raise invalid(held_on=[f"a review of {year} is held in {year} or early {year + 1}"])
    graded_ids = [str(g["person_id"]) for g in fields["grades"]]
    present_ids = [str(p) for p in fields["not_graded"]]
    if len(set(graded_ids + present_ids)) != len(graded_ids) + len(present_ids):
        raise invalid(grades=["a person is listed twice"])
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(graded_ids + present_ids))).all()}
    strangers = [pid for pid in graded_ids + present_ids
                 if pid not in people or people[pid].unit_id != unit.id or people[pid].status == "left"
                 or people[pid].stage not in ("probationary", "full")]
    if strangers:
        raise invalid(grades=[f"not a party member of this branch: {', '.join(strangers)}"])
    not_probationary = [pid for pid in present_ids if people[pid].stage != "probationary"]
    if not_probationary:
        raise invalid(not_graded=[f"full members are graded: {', '.join(not_probationary)}"])
    counts = Counter(g["grade"] for g in fields["grades"])
    probationary_graded = [pid for pid in graded_ids if people[pid].stage == "probationary"]
    violation = rules.review_grades(counts["excellent"], len(graded_ids), probationary_graded,
                                    tuple(rule_config()["review_excellent_share"]), year)
    if violation:
        raise RuleViolation(violation)
    if session.scalar(select(Review.id).where(Review.unit_id == unit.id, Review.year == year)):
        raise Problem(409, "Conflict", f"the {year} review of this branch is already recorded", kind="conflict")
    review = Review(unit_id=unit.id, org_path=unit.path, year=year, held_on=held_on, excellent=counts["excellent"],
                    qualified=counts["qualified"], basically_qualified=counts["basically_qualified"],
                    unqualified=counts["unqualified"], not_graded=len(present_ids))
    session.add(review)
    session.flush()
    grades = [ReviewGrade(review_id=review.id, person_id=str(g["person_id"]), grade=g["grade"])
              for g in fields["grades"]]
    session.add_all(grades)
    audit("review", review.id, "recorded", {"unit_id": unit.id, "year": year, **dict(counts)})
    emit("members.review.recorded", {"unit_id": unit.id, "year": year, "excellent": review.excellent,
                                     "qualified": review.qualified,
                                     "basically_qualified": review.basically_qualified,
                                     "unqualified": review.unqualified}, org_path=unit.path)
    return view(review, grades)


def get_in_scope(review_id) -> dict:
    session = db_session()
    review = session.get(Review, str(review_id))
    if review is None:
        raise not_found("review")
    require_in_scope(current_principal(), review.org_path, "review")
    grades = session.scalars(select(ReviewGrade).where(ReviewGrade.review_id == review.id)).all()
    return view(review, list(grades))


def list_reviews(args: dict) -> dict:
    principal = current_principal()
    under_path = unit_in_scope(args["under"]).path if args.get("under") else None
    stmt = select(Review).where(under_clause(Review.org_path, subtree_path(principal, under_path)))
    if args.get("year"):
        stmt = stmt.where(Review.year == args["year"])
    page = paginate(db_session(), stmt, [Review.org_path, Review.id], cursor=args.get("cursor"), limit=args["limit"])
    page["items"] = [view(r) for r in page["items"]]
    return page
