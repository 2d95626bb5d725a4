"""Deadline reminders of training: a new secretary trained within 6 months of taking the post
(TRAIN.NEW_SECRETARY) and a new member's centralized training (TRAIN.NEW_MEMBER), reminded once per
threshold; the people are those the overdue list names."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.training import reminders
from shared.testing import reminders_on

SINCE = date(2024, 8, 31)
DUE = date(2025, 2, 28)                # Aug 31 + 6 months, clamped to February's last day


def sent(w, day, rule="TRAIN.NEW_SECRETARY"):
    return [(e.type.rsplit(".", 1)[1], e.data["days_before"], e.data["due_on"])
            for e in reminders_on(w.app, reminders.SOURCES, day, rule)]


@pytest.fixture
def secretary(world):
    world.person("new", "B1a")
    world.committee("B1a", [("secretary", "new", SINCE)])
    return world


@pytest.mark.parametrize("days_left, expected", [
    (31, []),
    (30, [("approaching", 30, "2025-02-28")]),
    (29, [("approaching", 30, "2025-02-28")]),
    (7, [("approaching", 7, "2025-02-28")]),
    (6, [("approaching", 7, "2025-02-28")]),
    (0, [("approaching", 7, "2025-02-28")]),
    (-1, [("overdue", None, "2025-02-28")]),     # the overdue list names them from this day (overdue.py)
    (-8, []),
])
def test_a_new_secretary_falling_due(secretary, days_left, expected):
    assert sent(secretary, DUE - timedelta(days=days_left)) == expected


def test_reminded_once_and_named(secretary):
    w = secretary
    [event] = reminders_on(w.app, reminders.SOURCES, DUE - timedelta(days=7), "TRAIN.NEW_SECRETARY")
    assert sent(w, DUE - timedelta(days=7)) == []
    assert sent(w, DUE - timedelta(days=2)) == []
    assert event.type == "training.deadline.approaching"
    assert event.org_path == w.units["B1a"]["path"]
    assert event.data["subject_id"] == w.id("new")
    assert event.data["unit_id"] == w.id("B1a")
    assert event.data["kind"] == "new_secretary"
    assert event.data["message_en"] == "attend the new secretaries' training: due by 2025-02-28, in 7 days"


def test_a_trained_secretary_is_not_reminded(secretary):
    secretary.train("K1", "new_secretary_training", ["new"], [8], first_day=date(2024, 10, 8))
    assert sent(secretary, DUE - timedelta(days=7)) == []
    assert sent(secretary, DUE + timedelta(days=1)) == []


def test_a_new_member_falling_due(world):
    world.person("fresh", "B1b", "probationary", probationary_since=date(2024, 5, 1))   # due 2026-05-01
    assert sent(world, date(2026, 4, 24), "TRAIN.NEW_MEMBER") == [("approaching", 7, "2026-05-01")]
    assert sent(world, date(2026, 5, 2), "TRAIN.NEW_MEMBER") == [("overdue", None, "2026-05-01")]


@pytest.mark.infra
def test_on_postgresql(make_app, pg_url):
    from .conftest import county_tree

    w = county_tree(make_app("training", database_url=pg_url("training")))
    w.person("new", "B1a")
    w.committee("B1a", [("secretary", "new", SINCE)])
    assert sent(w, DUE - timedelta(days=6)) == [("approaching", 7, "2025-02-28")]
    assert sent(w, DUE - timedelta(days=6)) == []
    assert sent(w, DUE + timedelta(days=1)) == [("overdue", None, "2025-02-28")]
