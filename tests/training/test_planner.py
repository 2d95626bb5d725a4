"""The rotation planner, a pure function: capacity, townships together, overflow, determinism."""
from collections import Counter
from datetime import date

import pytest

from services.training.planner import RotationClass, Secretary, plan_rotation

TODAY = date(2026, 2, 1)


def secretaries(**groups: int) -> list[Secretary]:
    return [Secretary(f"{g}-{i:03d}", g, sort_key=f"{g}/{i:03d}") for g, n in groups.items() for i in range(n)]


def classes(*frees: int, year: int = 2026) -> list[RotationClass]:
    return [RotationClass(f"class-{i}", date(year, 3 + i // 4, 1 + 7 * (i % 4)), date(year, 3 + i // 4, 5 + 7 * (i % 4)),
                          free) for i, free in enumerate(frees)]


def placed(plan) -> dict[str, str]:
    return dict(plan.assignments)


def group_classes(plan) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for person_id, class_id in plan.assignments:
        out.setdefault(person_id.split("-")[0], set()).add(class_id)
    return out


def test_capacity_exactly_full_keeps_townships_together():
    plan = plan_rotation(secretaries(A=12, B=8, C=10, D=10), classes(20, 20), year=2026, today=TODAY)
    assert plan.overflow == ()
    assert len(plan.assignments) == 40
    assert Counter(placed(plan).values()) == {"class-0": 20, "class-1": 20}
    assert all(len(c) == 1 for c in group_classes(plan).values())
    assert plan.split_groups == ()


def test_more_secretaries_than_seats_reports_the_overflow():
    people = secretaries(A=15, B=10, C=7)
    plan = plan_rotation(people, classes(12, 10), year=2026, today=TODAY)
    assert len(plan.assignments) == 22
    assert len(plan.overflow) == 32 - 22
    everyone = {s.person_id for s in people}
    assert set(placed(plan)) | set(plan.overflow) == everyone          # nobody dropped
    assert not set(placed(plan)) & set(plan.overflow)                 # nobody twice
    assert Counter(placed(plan).values()) == {"class-0": 12, "class-1": 10}


def test_a_group_too_big_for_any_class_is_split_and_named():
    plan = plan_rotation(secretaries(A=25), classes(20, 20), year=2026, today=TODAY)
    assert plan.overflow == ()
    assert plan.split_groups == ("A",)
    assert Counter(placed(plan).values()) == {"class-0": 20, "class-1": 5}


def test_best_fit_leaves_room_for_a_big_group():
    """The small group takes the tight class, so the big one still fits whole."""
    plan = plan_rotation(secretaries(A=18, B=5), classes(6, 20), year=2026, today=TODAY)
    assert group_classes(plan) == {"A": {"class-1"}, "B": {"class-0"}}


def test_a_rerun_gives_the_same_plan_whatever_the_input_order():
    people = secretaries(A=7, B=7, C=3, D=9)
    first = plan_rotation(people, classes(10, 10), year=2026, today=TODAY)
    again = plan_rotation(list(reversed(people)), list(reversed(classes(10, 10))), year=2026, today=TODAY)
    assert again.digest == first.digest
    assert sorted(again.assignments) == sorted(first.assignments)
    assert again.overflow == first.overflow


@pytest.mark.parametrize("starts_on, usable", [
    (date(2026, 2, 1), True),     # starts today: still open
    (date(2026, 1, 31), False),   # began yesterday
    (date(2027, 3, 1), False),    # another year's class
])
def test_only_classes_of_the_year_not_yet_begun(starts_on, usable):
    plan = plan_rotation(secretaries(A=2), [RotationClass("c", starts_on, starts_on, 5)], year=2026, today=TODAY)
    assert (len(plan.assignments) == 2) is usable
    assert (len(plan.overflow) == 0) is usable


def test_no_class_at_all_puts_everyone_in_the_overflow_together():
    plan = plan_rotation(secretaries(A=3, B=2), [], year=2026, today=TODAY)
    assert len(plan.overflow) == 5
    assert plan.assignments == ()
    assert plan.split_groups == ()


def test_two_thousand_secretaries():
    people = secretaries(**{f"T{i:02d}": 40 + (i % 30) for i in range(40)})
    plan = plan_rotation(people, classes(*([120] * 20)), year=2026, today=TODAY)
    assert len(people) == sum(40 + (i % 30) for i in range(40))
    assert plan.overflow == ()
    assert len(plan.assignments) == len(people)
    assert sum(1 for c in group_classes(plan).values() if len(c) > 1) == len(plan.split_groups)
