"""Events in: the roster read-model from members events (newest person_version wins) and the member
counts kept from it; seats and group places a person no longer holds; ratings from evaluation."""
import uuid
from datetime import date

from sqlalchemy import select

from services.org.models import GroupMember, RosterPerson, UnitRating
from shared.consumer import apply_event, apply_events
from shared.events import make_envelope
from shared.testing import kit_of, pending_events


def counts(org, unit):
    fresh = org.refresh(unit)
    return fresh["full_members"], fresh["probationary_members"]


def test_counts_follow_the_people(org, tree):
    branch = tree["branch"]
    full = org.members(branch, 3, probationary=2)
    org.person(branch, stage="activist")                      # not a member yet
    assert counts(org, branch) == (3, 2)
    org.person(branch, stage="full", status="left", version=2, person_id=full[0], event="members.member.left",
               reason="death", left_on=date(2026, 3, 1))
    org.person(branch, stage="full", status="suspended", version=2, person_id=full[1],
               event="members.stage.changed", from_stage="full", changed_on=date(2026, 3, 2), step="suspend")
    assert counts(org, branch) == (1, 2)


def test_a_transfer_moves_the_count_between_branches(org, tree):
    person = org.person(tree["branch"])
    org.person(tree["other_branch"], version=2, person_id=person, event="members.member.transferred",
               from_unit_id=tree["branch"]["id"], transferred_on=date(2026, 4, 1))
    assert counts(org, tree["branch"]) == (0, 0)
    assert counts(org, tree["other_branch"]) == (1, 0)


def test_an_older_version_never_wins(org, tree):
    person = org.person(tree["branch"], stage="probationary", version=1)
    org.person(tree["branch"], stage="full", version=3, person_id=person, event="members.stage.changed",
               from_stage="probationary", changed_on=date(2026, 1, 1), step="24")
    org.person(tree["branch"], stage="probationary", version=2, person_id=person, event="members.stage.changed",
               from_stage="activist", changed_on=date(2025, 1, 1), step="17")   # late, older
    assert counts(org, tree["branch"]) == (1, 0)
    with kit_of(org.app).db.Session() as session:
        assert session.get(RosterPerson, person).person_version == 3


def test_the_same_event_twice_changes_nothing(org, tree):
    kit = kit_of(org.app)
    data = {"id": str(uuid.uuid4()), "unit_id": tree["branch"]["id"], "name": "王五", "stage": "full",
            "status": "active", "full_member_since": date(2010, 1, 1), "probationary_since": None,
            "classification": None, "person_version": 1}
    envelope = make_envelope("members.person.created", data, source="members", org_path=tree["branch"]["path"])
    assert apply_event(kit.db, kit.handlers, kit.models.InboxEvent, envelope) is True
    assert apply_event(kit.db, kit.handlers, kit.models.InboxEvent, envelope) is False
    assert counts(org, tree["branch"]) == (1, 0)


def test_a_secretary_who_leaves_vacates_the_seat_and_the_group(org, tree):
    branch = tree["branch"]
    ids = org.members(branch, 3)
    assert org.post(f"/units/{branch['id']}/elections", {"elected_on": "2025-01-10", "seats": [
        {"role": "secretary", "person_id": ids[0]}, {"role": "deputy_secretary", "person_id": ids[1]}]}
    ).status_code == 201
    group = org.post(f"/units/{branch['id']}/groups", {"name": "第一党小组", "code": "G-R1",
                                                        "member_ids": [ids[0], ids[2]]}).json
    org.person(tree["other_branch"], version=2, person_id=ids[0], event="members.member.transferred",
               from_unit_id=branch["id"], transferred_on=date(2026, 2, 1))
    committee = org.get(f"/units/{branch['id']}/committee").json
    secretary = next(s for s in committee["seats"] if s["role"] == "secretary")
    assert secretary["person_id"] is None
    assert secretary["vacant_since"] == "2026-02-01"
    assert committee["secretary_vacant_since"] == "2026-02-01"
    assert committee["version"] == 2
    event = pending_events(org.app)[-1]
    assert event.type == "org.committee.changed"
    assert event.data["change"] == "vacancy"
    assert event.data["secretary_vacant_since"] == "2026-02-01"
    assert event.data["committee_version"] == 2
    with kit_of(org.app).db.Session() as session:
        assert [m.person_id for m in session.scalars(select(GroupMember))] == [ids[2]]
    assert [m["person_id"] for m in org.get(f"/units/{branch['id']}/groups").json["items"][0]["members"]] == [ids[2]]
    assert group["id"]


def test_the_roster_is_listed_per_unit(org, tree):
    org.members(tree["branch"], 2)
    roster = org.get(f"/units/{tree['branch']['id']}/roster").json["items"]
    assert len(roster) == 2
    assert all(p["stage"] == "full" for p in roster)
    county = org.as_("organizer", tree["county"]["id"])
    assert org.get(f"/units/{tree['other_branch']['id']}/roster", headers=county).status_code == 404


def rating(org, unit, year, version, stars):
    kit = kit_of(org.app)
    envelope = make_envelope("evaluation.rating.published", {
        "rating_id": str(uuid.uuid4()), "unit_id": unit["id"], "year": year, "score": 60.0 + 8 * stars,
        "stars": stars, "category": "advanced" if stars >= 4 else "middle", "rating_version": version},
        source="evaluation", org_path=unit["path"])
    apply_event(kit.db, kit.handlers, kit.models.InboxEvent, envelope)


def test_ratings_keep_the_newest_version_per_year(org, tree):
    rating(org, tree["branch"], 2025, 2, 4)
    rating(org, tree["branch"], 2025, 1, 2)   # late, older correction
    with kit_of(org.app).db.Session() as session:
        assert session.get(UnitRating, (tree["branch"]["id"], 2025)).stars == 4


def test_a_run_of_events_leaves_the_counts_a_transaction_per_event_would(org, tree):
    """The worker applies events that queue up (an import's) in one transaction; the units they touched are
    recounted once, before it commits, and come out as if each event had been applied alone."""
    kit = kit_of(org.app)
    branch, other = tree["branch"], tree["other_branch"]

    def state(person_id, unit, version, **extra):
        return {"id": person_id, "unit_id": unit["id"], "name": "王五", "stage": "full", "status": "active",
                "full_member_since": date(2010, 1, 1), "probationary_since": None, "classification": None,
                "person_version": version, **extra}

    people = [str(uuid.uuid4()) for _ in range(4)]
    run = [make_envelope("members.person.created", state(p, branch, 1), source="members", org_path=branch["path"])
           for p in people[:3]]
    run.append(make_envelope("members.person.created", state(people[3], other, 1), source="members",
                             org_path=other["path"]))
    run.append(make_envelope("members.member.transferred",
                             state(people[0], other, 2, from_unit_id=branch["id"], transferred_on=date(2026, 4, 1)),
                             source="members", org_path=other["path"]))
    run.append(make_envelope("members.member.left",
                             state(people[1], branch, 2, status="left", reason="death", left_on=date(2026, 3, 1)),
                             source="members", org_path=branch["path"]))
    assert apply_events(kit.db, kit.handlers, kit.models.InboxEvent, run) == 6
    assert counts(org, branch) == (1, 0)
    assert counts(org, other) == (2, 0)
