"""The events the evaluation service consumes: every indicator fact comes from here, never from a form.

Org units arrive through the kit's read-model handlers (``OrgUnitView``). Each handler upserts,
and a late, older event never undoes a newer one: persons by ``person_version``, committees by
(election date, ``committee_version``), meetings, support and reviews by the event's
``occurred_at``. Training hours only grow and requirements once met stay met, so their order
does not matter.
"""
from __future__ import annotations

import functools

from sqlalchemy import select, update

from shared.consumer import Handlers
from shared.db import dialect_insert
from shared.http import under_clause

from .models import (Assessment, CommitteeFact, Exemplar, HearingFact, ManualInput, MeetingFact, MeetingTally,
                     OrgUnitView, PersonFact, PersonYear, PointsAward, Problem, ReviewFact, Scorecard, ScreeningFact,
                     SecretaryReportFact, SupportFact)
from .problems import open_raised

handlers = Handlers()


def _newer(stored_at, event) -> bool:
    return stored_at is None or event.occurred > stored_at


@handlers.on("org.meeting.recorded")
def meeting_recorded(session, event):
    """Meetings held per type and year: the meeting itself, and its branch's tally if it counts (quorum met)."""
    data = event.loaded()
    row = session.get(MeetingFact, str(data["meeting_id"]))
    if row is not None and not _newer(row.event_at, event):
        return
    values = dict(unit_id=str(data["unit_id"]), type=data["type"], held_on=data["held_on"],
                  year=data["held_on"].year, counts=data["counts"], event_at=event.occurred)
    if row is None:
        session.add(MeetingFact(meeting_id=str(data["meeting_id"]), **values))
    else:
        if row.counts:
            _tally(session, row.unit_id, row.year, row.type, -1)
        for key, value in values.items():
            setattr(row, key, value)
    if values["counts"]:
        _tally(session, values["unit_id"], values["year"], values["type"], +1)


def _tally(session, unit_id: str, year: int, meeting_type: str, delta: int) -> None:
    """Add ``delta`` to a branch-year's count of one meeting type (an atomic UPDATE; a concurrent first
    insert fails on the key and the kit retries the event)."""
    column = getattr(MeetingTally, meeting_type)
    changed = session.execute(update(MeetingTally).where(MeetingTally.unit_id == unit_id, MeetingTally.year == year)
                              .values({column: column + delta}).execution_options(synchronize_session=False))
    if changed.rowcount == 0:
        session.add(MeetingTally(unit_id=unit_id, year=year, **{meeting_type: delta}))
        session.flush()


@handlers.on("org.committee.elected", "org.committee.changed")
def committee_changed(session, event):
    """The committee as it stands: seats filled, the secretary, the vacancy date, the term."""
    data = event.loaded()
    unit_id = str(data["unit_id"])
    row = session.get(CommitteeFact, unit_id)
    order = (data["elected_on"], data["committee_version"])
    if row is not None and (row.elected_on, row.committee_version) >= order:
        return
    seats = data["seats"]
    secretary = next((s for s in seats if s["role"] == "secretary"), None)
    values = dict(
        committee_id=str(data["committee_id"]), elected_on=data["elected_on"], term_ends_on=data["term_ends_on"],
        seats=[{"role": s["role"], "person_id": str(s["person_id"]) if s.get("person_id") else None,
                "since": s["since"].isoformat() if s.get("since") else None} for s in seats],
        seats_total=len(seats), seats_filled=sum(1 for s in seats if s.get("person_id")),
        secretary_id=str(secretary["person_id"]) if secretary and secretary.get("person_id") else None,
        secretary_vacant_since=data.get("secretary_vacant_since"), committee_version=data["committee_version"])
    if row is None:
        session.add(CommitteeFact(unit_id=unit_id, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)


@handlers.on("org.support.changed")
def support_changed(session, event):
    """The branch's venue, organizers and funds."""
    data = event.loaded()
    unit_id = str(data["unit_id"])
    row = session.get(SupportFact, unit_id)
    if row is not None and not _newer(row.event_at, event):
        return
    values = dict(has_venue=data["has_venue"], venue_area_m2=data.get("venue_area_m2"),
                  organizers=data["organizers"], funds_total=data["funds_total"], event_at=event.occurred)
    if row is None:
        session.add(SupportFact(unit_id=unit_id, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)


@handlers.on("members.person.created", "members.person.updated", "members.stage.changed",
             "members.member.transferred", "members.member.left")
def person_state(session, event):
    """The per-person read-model: stage counts and members developed are derived from it. One statement: the
    person inserted, or updated unless the row holds this version or a newer one."""
    data = event.loaded()
    session.execute(_person_upsert(session.get_bind().dialect.name), {
        "person_id": str(data["id"]), "unit_id": str(data["unit_id"]), "stage": data["stage"],
        "status": data["status"], "probationary_since": data.get("probationary_since"),
        "full_member_since": data.get("full_member_since"), "person_version": data["person_version"]})


PERSON_COLUMNS = ("unit_id", "stage", "status", "probationary_since", "full_member_since", "person_version")


@functools.lru_cache(maxsize=None)
def _person_upsert(dialect: str):
    """Built once per dialect (building a statement costs more than running it): it runs for every person event."""
    table = PersonFact.__table__
    stmt = dialect_insert(dialect, table)
    return stmt.on_conflict_do_update(index_elements=[table.c.person_id],
                                      set_={name: stmt.excluded[name] for name in PERSON_COLUMNS},
                                      where=table.c.person_version < stmt.excluded.person_version)


@handlers.on("members.review.recorded")
def review_recorded(session, event):
    """The year's democratic review of members is done."""
    data = event.loaded()
    key = (str(data["unit_id"]), data["year"])
    row = session.get(ReviewFact, key)
    if row is not None and not _newer(row.event_at, event):
        return
    values = dict(excellent=data["excellent"], qualified=data["qualified"],
                  basically_qualified=data["basically_qualified"], unqualified=data["unqualified"],
                  event_at=event.occurred)
    if row is None:
        session.add(ReviewFact(unit_id=key[0], year=key[1], **values))
    else:
        for k, value in values.items():
            setattr(row, k, value)


def _person_year(session, person_id: str, year: int) -> PersonYear:
    row = session.get(PersonYear, (person_id, year))
    if row is None:
        row = PersonYear(person_id=person_id, year=year, hours=0.0, points=0.0, member_hours_met=False,
                         leader_hours_met=False, rotation_met=False)
        session.add(row)
    return row


@handlers.on("members.points.awarded")
def points_awarded(session, event):
    """A member's points for the year; an award seen again in a newer event replaces its earlier amount."""
    data = event.loaded()
    award_id = str(data["award_id"])
    award = session.get(PointsAward, award_id)
    person_id = str(data["person_id"])
    if award is not None:
        if not _newer(award.event_at, event):
            return
        old = _person_year(session, award.person_id, award.year)
        old.points -= award.points
        award.person_id, award.year, award.points = person_id, data["year"], data["points"]
        award.event_at = event.occurred
    else:
        session.add(PointsAward(award_id=award_id, person_id=person_id, year=data["year"], points=data["points"],
                                event_at=event.occurred))
    session.flush()
    _person_year(session, person_id, data["year"]).points += data["points"]


@handlers.on("training.attendance.recorded")
def attendance_recorded(session, event):
    """Class hours of the year: ``year_hours`` is the person's total after this session, so the largest wins."""
    data = event.loaded()
    row = _person_year(session, str(data["person_id"]), data["year"])
    row.hours = max(row.hours or 0.0, data["year_hours"])


REQUIREMENT_COLUMNS = {"member_hours": "member_hours_met", "leader_hours": "leader_hours_met",
                       "secretary_rotation": "rotation_met"}


@handlers.on("training.requirement.met")
def requirement_met(session, event):
    """Hours met, leader hours met, secretary rotation met: once met, met for the year."""
    data = event.loaded()
    column = REQUIREMENT_COLUMNS.get(data["requirement"])
    if column is None:
        return  # target, new-member and new-secretary training do not enter a branch's indicators
    setattr(_person_year(session, str(data["person_id"]), data["year"]), column, True)


def _raised(session, data: dict, points: list[dict], *, source: str, key: str, year: int, on, by: str) -> None:
    """The points marked ``problem`` onto the branch's problem list (EVAL.PROBLEMS), each once."""
    for n, point in enumerate(points):
        if point["problem"]:
            open_raised(session, unit_id=str(data["unit_id"]), year=year, source=source, reference=f"{source}:{key}:{n}",
                        description=point["text"], responsible=point.get("responsible") or by,
                        deadline=point.get("deadline"), opened_on=on, origin=f"event:org.{source}.recorded")


@handlers.on("org.hearing.recorded")
def hearing_recorded(session, event):
    """LIFE.HEARING: the quarter the branch was heard in (a newer version of the hearing wins); its points marked
    ``problem`` enter the branch's problem list (source ``hearing``)."""
    data = event.loaded()
    hearing_id = str(data["hearing_id"])
    row = session.get(HearingFact, hearing_id)
    if row is not None and row.hearing_version >= data["hearing_version"]:
        return
    held_on = data["held_on"]
    values = dict(unit_id=str(data["unit_id"]), held_on=held_on, year=held_on.year, quarter=(held_on.month - 1) // 3 + 1,
                  hearing_version=data["hearing_version"])
    if row is None:
        session.add(HearingFact(hearing_id=hearing_id, **values))
    else:
        for key, value in values.items():
            setattr(row, key, value)
    _raised(session, data, data["points"], source="hearing", key=hearing_id, year=held_on.year, on=held_on,
            by=data["reporter"])


@handlers.on("org.screening.recorded")
def screening_recorded(session, event):
    """LIFE.SCREENING: the branch screened in the year; its findings marked ``problem`` enter its problem list
    (source ``screening``)."""
    data = event.loaded()
    key = (str(data["unit_id"]), data["year"])
    row = session.get(ScreeningFact, key)
    if row is not None and row.record_id == str(data["record_id"]) and row.record_version >= data["record_version"]:
        return
    values = dict(record_id=str(data["record_id"]), screened_on=data["screened_on"], findings=len(data["findings"]),
                  record_version=data["record_version"])
    if row is None:
        session.add(ScreeningFact(unit_id=key[0], year=key[1], **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    _raised(session, data, data["findings"], source="screening", key=str(data["record_id"]), year=data["year"],
            on=data["screened_on"], by=data["screened_by"])


@handlers.on("org.secretary.assessed")
def secretary_assessed(session, event):
    """LIFE.SECRETARY_REPORT: the year's 述职评议 and its assessment (a newer version wins)."""
    data = event.loaded()
    key = (str(data["unit_id"]), data["year"])
    row = session.get(SecretaryReportFact, key)
    if row is not None and row.report_version >= data["report_version"]:
        return
    values = dict(report_id=str(data["report_id"]), secretary_name=data["secretary_name"],
                  assessment=data["assessment"], assessed_by=data["assessed_by"], assessed_on=data["assessed_on"],
                  report_version=data["report_version"])
    if row is None:
        session.add(SecretaryReportFact(unit_id=key[0], year=key[1], **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)


@handlers.on("org.unit.moved")
def unit_moved(session, event):
    """Keep the paths this service's own records carry in step with the moved subtree (the kit has
    already moved ``OrgUnitView``). Published ratings keep the path they were published under."""
    moved_path = session.scalar(select(OrgUnitView.path).where(OrgUnitView.id == str(event.data["id"])))
    if moved_path is None:
        return
    in_moved = select(OrgUnitView.id).where(under_clause(OrgUnitView.path, moved_path))

    def path_of(column):
        return select(OrgUnitView.path).where(OrgUnitView.id == column).scalar_subquery()

    for model, id_column, path_column in ((Problem, "unit_id", "org_path"), (Problem, "level_unit_id", "level_path"),
                                          (Exemplar, "unit_id", "org_path"),
                                          (ManualInput, "unit_id", "org_path"),
                                          (Assessment, "unit_id", "org_path"),
                                          (Scorecard, "region_unit_id", "region_path")):
        ids = getattr(model, id_column)
        session.execute(update(model).where(ids.in_(in_moved)).values({path_column: path_of(ids)})
                        .execution_options(synchronize_session=False))
