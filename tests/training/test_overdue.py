"""TRAIN.NEW_SECRETARY and TRAIN.NEW_MEMBER listed when overdue (today is 2025-02-01 here)."""
from datetime import date

import pytest

from services.training import overdue
from tests.training.conftest import API

TODAY = date(2025, 2, 1)


@pytest.fixture
def dated(world, monkeypatch):
    monkeypatch.setattr(overdue, "today", lambda: TODAY)
    return world


def listed(w, rule, scope="K1", **query):
    qs = "&".join([f"rule={rule}"] + [f"{k}={v}" for k, v in query.items()])
    resp = w.client.get(f"{API}/overdue?{qs}", headers=w.headers(scope=scope))
    assert resp.status_code == 200, resp.get_json()
    return {row["name"]: row for row in resp.get_json()["items"]}


def test_new_secretaries_overdue(dated):
    w = dated
    cases = {"B1a": ("due-passed", date(2024, 7, 31)),       # due 2025-01-31: overdue by 1 day
             "B1b": ("due-today", date(2024, 8, 1)),         # due 2025-02-01: not yet
             "B1c": ("trained", date(2024, 6, 1)),
             "K1d": ("long-ago", date(2015, 1, 1)),          # before the records: outside the window
             "B2": ("other-county", date(2024, 1, 1))}
    for unit, (name, since) in cases.items():
        w.person(name, unit)
        w.committee(unit, [("secretary", name, since)])
    w.train("K1", "new_secretary_training", ["trained"], [8], first_day=date(2024, 9, 1))
    rows = listed(w, "TRAIN.NEW_SECRETARY")
    assert list(rows) == ["due-passed"]
    row = rows["due-passed"]
    assert (row["since"], row["due_on"], row["days_overdue"], row["rule"]) == ("2024-07-31", "2025-01-31", 1,
                                                                             "TRAIN.NEW_SECRETARY")
    assert "2025-01-31" in row["zh"]
    assert "2025-01-31" in row["en"]
    assert list(listed(w, "TRAIN.NEW_SECRETARY", scope="K2")) == ["other-county"]


def test_new_members_overdue(dated):
    w = dated
    w.person("late", "B1a", "full", probationary_since=date(2022, 12, 1), full_member_since=date(2023, 12, 1))
    w.person("in-time", "B1a", "probationary", probationary_since=date(2024, 5, 1))
    w.person("trained", "B1c", "full", probationary_since=date(2022, 11, 1))
    w.person("old", "B1c", "full", probationary_since=date(1990, 7, 1))
    w.train("K1", "new_member_training", ["trained"], [8], first_day=date(2023, 3, 1))
    rows = listed(w, "TRAIN.NEW_MEMBER")
    assert list(rows) == ["late"]
    assert rows["late"]["due_on"] == "2024-12-01"


def test_overdue_needs_a_known_rule(dated):
    w = dated
    assert w.client.get(f"{API}/overdue", headers=w.headers(scope="K1")).status_code == 422
    assert w.client.get(f"{API}/overdue?rule=TRAIN.MEMBER_HOURS", headers=w.headers(scope="K1")).status_code == 422
    assert w.client.get(f"{API}/overdue?rule=TRAIN.NEW_MEMBER&under={w.id('K1')}",
                        headers=w.headers(scope="K2")).status_code == 404
