"""The events the training service consumes.

- members.person.created / stage.changed / member.transferred / member.left: the person's whole
  state, upserted by ``person_version`` (an older event never wins);
- org.committee.elected / changed: a committee's full seats; who is a branch secretary or
  committee member, and since when;
- org.unit.*: the kit keeps the org tree (``OrgUnitView``) and runs first; these handlers then
  let people, hours rows, classes and plans follow their units' paths.
"""
from __future__ import annotations

from shared.consumer import Handlers

from . import people

handlers = Handlers()


@handlers.on("members.person.created", "members.person.updated", "members.stage.changed",
             "members.member.transferred", "members.member.left")
def person_state(session, event):
    """Who a person is and where: stage, status, unit (transfers move the year's hours along)."""
    people.apply_person_state(session, event.loaded(), event.org_path)


@handlers.on("org.committee.elected", "org.committee.changed")
def committee_seats(session, event):
    """Branch secretaries and committee members (TRAIN.LEADER_HOURS, TRAIN.NEW_SECRETARY)."""
    people.apply_committee(session, event.loaded())


@handlers.on("org.unit.created")
def unit_created(session, event):
    people.unit_known(session, event.data["id"])


@handlers.on("org.unit.moved")
def unit_moved(session, event):
    people.subtree_moved(session, event.data["id"])


@handlers.on("org.unit.dissolved")
def unit_dissolved(session, event):
    people.unit_dissolved(session, event.data["id"], event.data.get("members_moved_to"))
