"""Deadline reminders of evaluation: a problem not yet rectified is reminded before its due date
(its deadline, and in any case the end of its year) and the day after, once per threshold."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.evaluation import reminders
from shared.testing import reminders_on

from .test_problems import act, open_problem


@pytest.fixture
def branch(feed, tree):
    return feed.unit("branch", "一支部", tree["township"])


def sent(app, day):
    return [(e.type.rsplit(".", 1)[1], e.data["days_before"], e.data["due_on"])
            for e in reminders_on(app, reminders.SOURCES, day, "EVAL.PROBLEMS")]


@pytest.mark.parametrize("days_left, expected", [
    (31, []),
    (30, [("approaching", 30, "2025-06-30")]),
    (29, [("approaching", 30, "2025-06-30")]),
    (7, [("approaching", 7, "2025-06-30")]),
    (6, [("approaching", 7, "2025-06-30")]),
    (0, [("approaching", 7, "2025-06-30")]),
    (-1, [("overdue", None, "2025-06-30")]),
])
def test_a_problem_falling_due(evaluation, admin, branch, days_left, expected):
    open_problem(evaluation, admin, branch, year=2025, deadline="2025-06-30")
    assert sent(evaluation, date(2025, 6, 30) - timedelta(days=days_left)) == expected


def test_a_problem_is_due_by_the_end_of_its_year_at_the_latest(evaluation, admin, branch):
    open_problem(evaluation, admin, branch, year=2025, deadline="2026-03-31")
    assert sent(evaluation, date(2025, 12, 24)) == [("approaching", 7, "2025-12-31")]
    assert sent(evaluation, date(2026, 1, 1)) == [("overdue", None, "2025-12-31")]
    assert sent(evaluation, date(2026, 3, 24)) == []


def test_reminded_once_naming_who_answers_for_it(evaluation, admin, branch, tree):
    problem, _ = open_problem(evaluation, admin, branch, year=2025, deadline="2025-06-30")
    [event] = reminders_on(evaluation, reminders.SOURCES, date(2025, 6, 23), "EVAL.PROBLEMS")
    assert sent(evaluation, date(2025, 6, 23)) == []
    assert event.type == "evaluation.deadline.approaching"
    assert event.org_path == branch["path"]
    assert event.data["subject_type"] == "problem"
    assert event.data["subject_id"] == problem["id"]
    assert event.data["subject_name"] == "三会一课记录不全"
    assert event.data["responsible_unit_id"] == branch["id"]
    assert event.data["message_zh"] == "整改问题清单中的问题：应于2025-06-30前完成，还有7天"


def test_a_rectified_problem_is_not_reminded(evaluation, admin, branch):
    problem, etag = open_problem(evaluation, admin, branch, year=2025, deadline="2025-06-30")
    for status in ("in_progress", "rectified"):
        resp = act(evaluation, admin, problem["id"], etag, "/transitions", {"status": status})
        assert resp.status_code == 200, resp.get_json()
        etag = resp.headers["ETag"]
    assert sent(evaluation, date(2025, 6, 23)) == []
    assert sent(evaluation, date(2025, 7, 1)) == []


@pytest.mark.infra
def test_on_postgresql(make_app, pg_url, auth_headers):
    from .conftest import Feed

    app = make_app("evaluation", database_url=pg_url("evaluation"))
    feed = Feed(app)
    unit = feed.unit("branch", "一支部", feed.tree()["township"])
    admin = auth_headers(app, "admin")
    open_problem(app, admin, unit, year=2025, deadline="2025-06-30")
    open_problem(app, admin, unit, year=2025, deadline="2026-03-31")
    assert sent(app, date(2025, 6, 23)) == [("approaching", 7, "2025-06-30")]
    assert sent(app, date(2025, 6, 23)) == []
    assert sent(app, date(2025, 12, 24)) == [("approaching", 7, "2025-12-31")]
    assert sorted(sent(app, date(2026, 1, 1))) == [("overdue", None, "2025-12-31")]
