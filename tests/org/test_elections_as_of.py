"""An election is checked against the branch's roster on the election's date (not today's), and an early
election needs the upper committee's approval and advances the term by at most 1 year (ORG.TERM_EXPIRED)."""
from datetime import date

import pytest

from .test_committees_api import committee_count, elect


def convert(org, unit, person_id, on: str, version: int = 2):
    """members.stage.changed: the person became a full member on ``on``."""
    org.person(unit, stage="full", version=version, person_id=person_id, event="members.stage.changed",
               full_member_since=date.fromisoformat(on), from_stage="probationary", changed_on=date.fromisoformat(on),
               step="conversion_approval")


@pytest.mark.parametrize("converted_on, status", [("2025-03-01", 201), ("2025-03-02", 409)])
def test_a_member_converted_after_the_election_date_cannot_hold_a_seat_in_it(org, tree, converted_on, status):
    secretary = org.members(tree["branch"], 1)[0]
    deputy = org.person(tree["branch"], stage="probationary")
    convert(org, tree["branch"], deputy, converted_on)            # a full member today either way
    resp = elect(org, tree["branch"], [("secretary", secretary), ("deputy_secretary", deputy)],
                 elected_on="2025-03-01")
    assert resp.status_code == status, resp.json
    if status == 409:
        assert resp.json["code"] == "ORG.COMMITTEE_ROLES"       # a probationary member on that day
        assert committee_count(org) == 0


@pytest.mark.parametrize("converted_on, status, code", [
    ("2025-03-01", 201, None),                         # 7 full members on the day: a committee of 3
    ("2025-03-02", 409, "ORG.COMMITTEE_REQUIRED"),     # 6 on the day (7 today): no committee
])
def test_the_size_counts_the_full_members_on_the_election_date(org, tree, converted_on, status, code):
    ids = org.members(tree["branch"], 6)
    late = org.person(tree["branch"], stage="probationary")
    convert(org, tree["branch"], late, converted_on)
    assert org.refresh(tree["branch"])["full_members"] == 7
    resp = elect(org, tree["branch"], [("secretary", ids[0]), ("organization", ids[1]), ("propaganda", ids[2])],
                 elected_on="2025-03-01")
    assert resp.status_code == status, resp.json
    if code:
        assert resp.json["code"] == code
        assert committee_count(org) == 0
    else:
        assert resp.json["full_members_at_election"] == 7


def test_members_who_left_or_moved_away_since_still_count_on_the_election_date(org, tree):
    ids = org.members(tree["branch"], 7)
    org.person(tree["branch"], stage="full", status="left", version=2, person_id=ids[6], event="members.member.left",
               reason="death", left_on=date(2025, 6, 1))
    org.person(tree["other_branch"], version=2, person_id=ids[5], event="members.member.transferred",
               from_unit_id=tree["branch"]["id"], transferred_on=date(2025, 6, 1))
    assert org.refresh(tree["branch"])["full_members"] == 5           # today's roll
    resp = elect(org, tree["branch"], [("secretary", ids[0]), ("organization", ids[1]), ("propaganda", ids[2])],
                 elected_on="2025-03-01")
    assert resp.status_code == 201
    assert resp.json["full_members_at_election"] == 7


def test_a_member_transferred_in_after_the_election_date_is_not_on_its_roll(org, tree):
    secretary = org.members(tree["branch"], 1)[0]
    newcomer = org.person(tree["other_branch"])
    org.person(tree["branch"], version=2, person_id=newcomer, event="members.member.transferred",
               from_unit_id=tree["other_branch"]["id"], transferred_on=date(2025, 3, 2))
    pair = [("secretary", secretary), ("deputy_secretary", newcomer)]
    refused = elect(org, tree["branch"], pair, elected_on="2025-03-01")
    assert refused.status_code == 409
    assert refused.json["code"] == "ORG.COMMITTEE_ROLES"
    assert elect(org, tree["branch"], pair, elected_on="2025-03-02").status_code == 201


# ----------------------------------------------------------------------------- early elections

APPROVAL = {"approved_on": "2025-12-01", "approved_by": "钢山街道党工委", "reason": "与村委会换届同步"}


def school_branch(org, tree):
    """A school branch (3-year terms) elected on 2024-03-01: its term runs to 2027-03-01."""
    unit = org.unit("branch", tree["township"], domain="school")
    ids = org.members(unit, 3)
    assert elect(org, unit, [("secretary", ids[0])], elected_on="2024-03-01").json["term_ends_on"] == "2027-03-01"
    return unit, ids


def reelect(org, unit, person, on, approval=None):
    body = {"elected_on": on, "seats": [{"role": "secretary", "person_id": person}]}
    if approval is not None:
        body["early_approval"] = approval
    return org.post(f"/units/{unit['id']}/elections", body)


@pytest.mark.parametrize("on, approval, status", [
    ("2026-03-01", None, 409),                                           # early, without the approval
    ("2026-03-01", {**APPROVAL, "approved_on": "2026-02-01"}, 201),      # early by exactly 1 year, approved
    ("2026-02-28", {**APPROVAL, "approved_on": "2026-02-01"}, 409),      # by more than 1 year
    ("2026-11-30", {**APPROVAL, "approved_on": "2026-12-01"}, 422),      # approved after the election
])
def test_an_early_election_needs_the_upper_approval_and_at_most_one_year(org, tree, on, approval, status):
    unit, ids = school_branch(org, tree)
    resp = reelect(org, unit, ids[1], on, approval)
    assert resp.status_code == status, resp.json
    if status == 409:
        assert resp.json["code"] == "ORG.TERM_EXPIRED"
        assert "2027-03-01" in resp.json["detail"]
    if status == 201:
        assert resp.json["early_approved_on"] == approval["approved_on"]
        assert resp.json["early_approved_by"] == "钢山街道党工委"
        assert resp.json["term_ends_on"] == "2029-03-01"
    current = org.get(f"/units/{unit['id']}/committee").json
    assert current["elected_on"] == (on if status == 201 else "2024-03-01")


@pytest.mark.parametrize("on, status", [("2026-06-01", 201), ("2026-05-31", 409)])
def test_an_election_on_the_day_the_term_ends_is_not_early(org, tree, on, status):
    unit = org.unit("branch", tree["township"], domain="school")
    ids = org.members(unit, 2)
    elect(org, unit, [("secretary", ids[0])], elected_on="2023-06-01")              # ends 2026-06-01
    resp = reelect(org, unit, ids[1], on)
    assert resp.status_code == status, resp.json


def test_the_first_election_of_a_branch_is_never_early(org, tree):
    ids = org.members(tree["branch"], 1)
    assert reelect(org, tree["branch"], ids[0], "2025-01-01").status_code == 201
