"""Rotation planning (TRAIN.SECRETARY_ROTATION): which secretary sits in which rotation class.

A pure function of its inputs (no SQL, no clock): the same secretaries and classes always give
the same plan, which is what makes a re-run change nothing.

How it places people:
1. Only classes of the year that have not started by ``today`` and have free places are used.
2. A township's secretaries (a *group*) go into one class whole where one has room: groups
   are taken largest first, each into the class with the fewest free places that still holds
   it (best fit, earlier class on a tie), which keeps the big gaps for the big groups.
3. A group that fits whole nowhere is split over the classes with the most free places
   (largest pieces first), and is named in ``split_groups``; a group that finds no place at
   all stays together in the overflow.
4. Whoever finds no place is in ``overflow``: reported, never dropped. Overflow happens only
   when the secretaries outnumber the free places, and then it is exactly the difference.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Secretary:
    person_id: str
    #: the township (the county's child unit) whose secretaries should sit together
    group: str
    #: the order within a group (the branch's path, say); ties are broken by person id
    sort_key: str = ""


@dataclass(frozen=True)
class RotationClass:
    class_id: str
    starts_on: date
    ends_on: date
    #: places left (capacity minus people already enrolled)
    free: int


@dataclass(frozen=True)
class Plan:
    #: (person_id, class_id) in the order they were placed
    assignments: tuple[tuple[str, str], ...]
    #: secretaries with no place (more secretaries than free places)
    overflow: tuple[str, ...]
    #: groups whose secretaries were spread over several classes (or partly over the overflow)
    split_groups: tuple[str, ...]

    @property
    def digest(self) -> str:
        """A fingerprint of the answer: two plans with the same digest place everyone alike."""
        h = hashlib.sha256()
        for person_id, class_id in sorted(self.assignments):
            h.update(f"{person_id}>{class_id};".encode())
        for person_id in sorted(self.overflow):
            h.update(f"{person_id}>-;".encode())
        return h.hexdigest()


def usable_classes(classes: list[RotationClass], *, year: int, today: date) -> list[RotationClass]:
    """The year's classes one can still join: not started by ``today``, with a free place."""
    return sorted((c for c in classes if c.starts_on.year == year and c.starts_on >= today and c.free > 0),
                  key=lambda c: (c.starts_on, c.class_id))


def plan_rotation(secretaries: list[Secretary], classes: list[RotationClass], *, year: int,
                  today: date) -> Plan:
    """Place every secretary in one of the year's rotation classes, townships together where room allows."""
    open_classes = usable_classes(classes, year=year, today=today)
    order = {c.class_id: i for i, c in enumerate(open_classes)}
    free = {c.class_id: c.free for c in open_classes}

    groups: dict[str, list[Secretary]] = {}
    for secretary in secretaries:
        groups.setdefault(secretary.group, []).append(secretary)
    ordered_groups = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))

    assignments: list[tuple[str, str]] = []
    deferred: list[tuple[str, list[Secretary]]] = []
    for group, members in ordered_groups:
        members.sort(key=lambda s: (s.sort_key, s.person_id))
        fitting = [cid for cid in free if free[cid] >= len(members)]
        if not fitting:
            deferred.append((group, members))
            continue
        best = min(fitting, key=lambda cid: (free[cid], order[cid]))
        free[best] -= len(members)
        assignments.extend((s.person_id, best) for s in members)

    overflow: list[str] = []
    split_groups: list[str] = []
    for group, members in deferred:
        remaining = list(members)
        while remaining:
            roomy = [cid for cid in free if free[cid] > 0]
            if not roomy:
                overflow.extend(s.person_id for s in remaining)
                break
            target = max(roomy, key=lambda cid: (free[cid], -order[cid]))
            take = min(free[target], len(remaining))
            assignments.extend((s.person_id, target) for s in remaining[:take])
            free[target] -= take
            remaining = remaining[take:]
        if len(remaining) < len(members):  # some placed, and not all in one class
            split_groups.append(group)
    return Plan(tuple(assignments), tuple(overflow), tuple(split_groups))
