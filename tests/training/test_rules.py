"""The training rules, table-driven at their boundaries."""
from datetime import date, datetime, timedelta, timezone

import pytest

from services.training import rules
from shared.dates import SHANGHAI, add_months

MEMBER, LEADER = rules.DEFAULTS["member_hours"], rules.DEFAULTS["leader_hours"]


@pytest.mark.parametrize("hours, broken", [
    (0.0, "TRAIN.MEMBER_HOURS"),
    (31.5, "TRAIN.MEMBER_HOURS"),
    (32.0, None),
    (32.5, None),
])
def test_member_hours(hours, broken):
    violation = rules.member_hours(hours, MEMBER, 2025)
    assert (violation.code if violation else None) == broken
    if violation:
        assert "2025" in violation.en
        assert "32" in violation.zh


@pytest.mark.parametrize("hours, centralized, broken", [
    (55.0, True, "TRAIN.LEADER_HOURS"),
    (55.5, True, "TRAIN.LEADER_HOURS"),
    (56.0, True, None),
    (56.0, False, "TRAIN.LEADER_HOURS"),   # at least one centralized training
    (80.0, True, None),
])
def test_leader_hours(hours, centralized, broken):
    violation = rules.leader_hours(hours, LEADER, 2025, centralized)
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("category, expected", [
    ("member", 32.0), ("leader", 56.0), ("secretary", 56.0), (None, None),
])
def test_hours_required(category, expected):
    assert rules.hours_required(category, MEMBER, LEADER) == expected


@pytest.mark.parametrize("starts_at, day", [
    # a session crossing midnight of Dec 31 counts wholly in the year it started
    (datetime(2025, 12, 31, 22, 0, tzinfo=SHANGHAI), date(2025, 12, 31)),
    (datetime(2025, 12, 31, 23, 59, 59, tzinfo=SHANGHAI), date(2025, 12, 31)),
    (datetime(2026, 1, 1, 0, 0, tzinfo=SHANGHAI), date(2026, 1, 1)),
    # the day is Shanghai's whatever the offset given: 16:30 UTC on Dec 31 is 00:30 on Jan 1 there
    (datetime(2025, 12, 31, 16, 30, tzinfo=timezone.utc), date(2026, 1, 1)),
    (datetime(2025, 12, 31, 15, 59, tzinfo=timezone.utc), date(2025, 12, 31)),
    (datetime(2025, 12, 31, 23, 0), date(2025, 12, 31)),  # no offset: Shanghai
])
def test_session_day(starts_at, day):
    assert rules.session_day(starts_at) == day


@pytest.mark.parametrize("stage, status, role, category", [
    ("full", "active", None, "member"),
    ("probationary", "active", None, "member"),
    ("target", "active", None, None),
    ("applicant", "active", None, None),
    ("full", "suspended", None, None),
    ("full", "left", "secretary", None),
    ("full", "active", "leader", "leader"),
    ("full", "active", "secretary", "secretary"),
])
def test_person_category(stage, status, role, category):
    assert rules.person_category(stage, status, role) == category


@pytest.mark.parametrize("seats, role", [
    ([], None),
    ([("organization", "branch")], "leader"),
    ([("secretary", "branch"), ("propaganda", "general_branch")], "secretary"),
    ([("secretary", "township")], None),              # a township committee is not a branch committee
    ([("secretary", "county"), ("deputy_secretary", "branch")], "leader"),
    ([("secretary", None)], "secretary"),             # unit not known yet: counted as a branch
])
def test_leader_role(seats, role):
    assert rules.leader_role(seats) == role


@pytest.mark.parametrize("kind, level, broken", [
    ("secretary_rotation", "county", None),
    ("secretary_rotation", "city", None),
    ("secretary_rotation", "province", None),
    ("secretary_rotation", "township", "TRAIN.SECRETARY_ROTATION"),
    ("member_training", "township", None),
])
def test_rotation_organizer(kind, level, broken):
    violation = rules.rotation_organizer(kind, level, rules.DEFAULTS["rotation_levels"])
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("enrolled, adding, places, broken", [
    (29, 1, 30, None),
    (30, 0, 30, None),
    (30, 1, 30, "TRAIN.CAPACITY"),
    (0, 31, 30, "TRAIN.CAPACITY"),
    (31, 0, 30, "TRAIN.CAPACITY"),  # lowering capacity below the enrolled
])
def test_capacity(enrolled, adding, places, broken):
    violation = rules.capacity(enrolled, adding, places)
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("since, trained_on, today, broken", [
    ("2025-01-31", None, "2025-07-31", None),                     # due Jul 31: not yet overdue on the day
    ("2025-01-31", None, "2025-08-01", "TRAIN.NEW_SECRETARY"),
    ("2025-08-31", None, "2026-02-28", None),                     # Aug 31 + 6 months = Feb 28
    ("2025-08-31", None, "2026-03-01", "TRAIN.NEW_SECRETARY"),
    ("2025-08-31", "2026-02-28", "2026-05-01", None),             # trained on the last day
    ("2025-08-31", "2026-03-01", "2026-05-01", "TRAIN.NEW_SECRETARY"),  # late: recorded with the breach
])
def test_new_secretary(since, trained_on, today, broken):
    violation = rules.new_secretary(date.fromisoformat(since), trained_on and date.fromisoformat(trained_on),
                                    date.fromisoformat(today), 6)
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("admitted, trained_on, today, broken", [
    ("2024-02-29", None, "2026-02-28", None),                     # leap day + 24 months = Feb 28
    ("2024-02-29", None, "2026-03-01", "TRAIN.NEW_MEMBER"),
    ("2024-02-29", "2026-02-28", "2026-06-01", None),
])
def test_new_member(admitted, trained_on, today, broken):
    violation = rules.new_member(date.fromisoformat(admitted), trained_on and date.fromisoformat(trained_on),
                                 date.fromisoformat(today), 24)
    assert (violation.code if violation else None) == broken


@pytest.mark.parametrize("today", ["2026-02-28", "2026-03-01", "2026-03-31", "2026-08-31", "2026-12-31",
                                   "2028-02-29", "2026-01-01"])
@pytest.mark.parametrize("months", [6, 12, 24])
def test_overdue_bound_is_exact(today, months):
    """Every start up to the bound is overdue on ``today``; the day after it is not."""
    today = date.fromisoformat(today)
    bound = rules.overdue_since_bound(today, months)
    assert add_months(bound, months) < today
    assert add_months(bound + timedelta(days=1), months) >= today


@pytest.mark.parametrize("hours, days, met", [
    (23.5, 2, False),
    (24.0, 2, True),     # 24 class hours
    (12.0, 3, True),     # or 3 days
    (0.0, 0, False),
])
def test_target_training_met(hours, days, met):
    assert rules.target_training_met(hours, days, 24.0, 3) is met


@pytest.mark.parametrize("category, hours, trained, rotated, gaps", [
    ("member", 32.0, True, False, []),
    ("member", 31.5, True, False, ["member_hours"]),
    ("member", 0.0, False, False, ["member_training", "member_hours"]),
    ("leader", 55.0, True, False, ["leader_hours"]),
    ("leader", 56.0, True, False, []),
    ("secretary", 56.0, True, False, ["secretary_rotation"]),
    ("secretary", 56.0, True, True, []),
    (None, 0.0, False, False, []),
])
def test_coverage_gaps(category, hours, trained, rotated, gaps):
    assert rules.coverage_gaps(category, hours, trained, rotated, MEMBER, LEADER) == gaps


@pytest.mark.parametrize("trained, broken", [(True, None), (False, "TRAIN.COVERAGE")])
def test_train_coverage_every_member_yearly(trained, broken):
    """TRAIN.COVERAGE: a member without a centralized training in the year breaks the 100% target."""
    violation = rules.member_training(trained, 2025)
    assert (violation.code if violation else None) == broken
    if violation:
        assert "2025" in violation.en
        assert "2025" in violation.zh


@pytest.mark.parametrize("passed, hours, days, counts", [
    (True, 12.0, 3, True),       # 结业 and 3 days
    (True, 24.0, 1, True),       # 结业 and 24 class hours
    (True, 23.5, 2, False),
    (False, 40.0, 5, False),     # attended in full, not passed: no 结业
])
def test_target_training_passed(passed, hours, days, counts):
    assert rules.target_training_passed(passed, hours, days, 24.0, 3) is counts
