"""The evaluation service's tables.

Three groups:
- indicator facts, kept from other services' events only (never typed in). They are keyed by
  the branch (``unit_id``) or the person; their org path is the kit's ``OrgUnitView`` path,
  joined in the queries, so that a moved subtree is right at once and never stale;
- what this service owns: scorecards and their versions, manual inputs, problem lists
  (each carrying the branch's path for scope checks, refreshed when the org tree moves);
- results: assessments (recomputed set-wise, replaced on each recompute) and published
  ratings (immutable; a correction is a new version).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, event)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import BigId, PathString, UTCDateTime, compare_version, new_id, utcnow
from shared.models import PerMeetingType, kit_models


class Base(DeclarativeBase):
    pass


kit = kit_models(Base, deadline_reminders=True)
OrgUnitView = kit.OrgUnitView


# ----------------------------------------------------------------------------- indicator facts (from events)

class MeetingFact(Base):
    """One meeting of organizational life (org.meeting.recorded), upserted by its id."""

    __tablename__ = "meeting_facts"
    meeting_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36))
    type: Mapped[str] = mapped_column(String(30))
    held_on: Mapped[date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)
    counts: Mapped[bool] = mapped_column(Boolean)
    #: occurred_at of the event applied: an older event never undoes a newer one
    event_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MeetingTally(PerMeetingType, Base):
    """Meetings of a branch and year that count (quorum met), per type: kept by the meeting handler so that a
    recompute reads one row per branch, not every meeting."""

    __tablename__ = "meeting_tallies"
    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)


class CommitteeFact(Base):
    """A branch's committee as it stands (org.committee.elected / changed): the latest election wins."""

    __tablename__ = "committee_facts"
    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    committee_id: Mapped[str] = mapped_column(String(36))
    elected_on: Mapped[date] = mapped_column(Date)
    term_ends_on: Mapped[date] = mapped_column(Date)
    seats: Mapped[list] = mapped_column(JSON)
    seats_total: Mapped[int] = mapped_column(Integer)
    seats_filled: Mapped[int] = mapped_column(Integer)
    secretary_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    secretary_vacant_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    committee_version: Mapped[int] = mapped_column(Integer)


class SupportFact(Base):
    """A unit's organizers, funds and venue (org.support.changed)."""

    __tablename__ = "support_facts"
    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    has_venue: Mapped[bool] = mapped_column(Boolean)
    venue_area_m2: Mapped[float | None] = mapped_column(Float, nullable=True)
    organizers: Mapped[int] = mapped_column(Integer)
    funds_total: Mapped[float] = mapped_column(Float)
    event_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PersonFact(Base):
    """A person's state as the members service last published it (event-carried state, by version)."""

    __tablename__ = "person_facts"
    __table_args__ = (Index("ix_person_facts_unit", "unit_id", "status"),)
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36))
    stage: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    probationary_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    full_member_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    person_version: Mapped[int] = mapped_column(Integer)


class ReviewFact(Base):
    """A branch's yearly democratic review of members (members.review.recorded)."""

    __tablename__ = "review_facts"
    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    excellent: Mapped[int] = mapped_column(Integer)
    qualified: Mapped[int] = mapped_column(Integer)
    basically_qualified: Mapped[int] = mapped_column(Integer)
    unqualified: Mapped[int] = mapped_column(Integer)
    event_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PointsAward(Base):
    """One award of quantified points (members.points.awarded), kept so that a repeat never counts twice."""

    __tablename__ = "points_awards"
    award_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36))
    year: Mapped[int] = mapped_column(Integer)
    points: Mapped[float] = mapped_column(Float)
    event_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PersonYear(Base):
    """A person's year: class hours, training requirements met and points (training.*, members.points.*)."""

    __tablename__ = "person_years"
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    points: Mapped[float] = mapped_column(Float, default=0.0)
    member_hours_met: Mapped[bool] = mapped_column(Boolean, default=False)
    leader_hours_met: Mapped[bool] = mapped_column(Boolean, default=False)
    rotation_met: Mapped[bool] = mapped_column(Boolean, default=False)


class HearingFact(Base):
    """A committee's hearing of a branch's work report (org.hearing.recorded, LIFE.HEARING): a newer version wins."""

    __tablename__ = "hearing_facts"
    __table_args__ = (Index("ix_hearing_facts_year_unit", "year", "unit_id"),)
    hearing_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36))
    held_on: Mapped[date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    hearing_version: Mapped[int] = mapped_column(Integer)


class ScreeningFact(Base):
    """A branch's record in its county's yearly screening (org.screening.recorded, LIFE.SCREENING)."""

    __tablename__ = "screening_facts"
    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36))
    screened_on: Mapped[date] = mapped_column(Date)
    findings: Mapped[int] = mapped_column(Integer)
    record_version: Mapped[int] = mapped_column(Integer)


class SecretaryReportFact(Base):
    """A secretary's yearly 述职评议 (org.secretary.assessed, LIFE.SECRETARY_REPORT): the assessment and by whom."""

    __tablename__ = "secretary_report_facts"
    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[str] = mapped_column(String(36))
    secretary_name: Mapped[str] = mapped_column(String(100))
    assessment: Mapped[str] = mapped_column(String(20))
    assessed_by: Mapped[str] = mapped_column(String(200))
    assessed_on: Mapped[date] = mapped_column(Date)
    report_version: Mapped[int] = mapped_column(Integer)


# ----------------------------------------------------------------------------- scorecards and manual inputs

class Scorecard(Base):
    """The scorecard template of a region: the province default, or a city's or county's own."""

    __tablename__ = "scorecards"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    region_unit_id: Mapped[str] = mapped_column(String(36), unique=True)
    region_path: Mapped[str] = mapped_column(PathString, index=True)
    region_kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    #: the number of the version in force; every change adds a version, none is rewritten
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ScorecardVersion(Base):
    """One immutable version of a scorecard: its criteria and veto items."""

    __tablename__ = "scorecard_versions"
    __table_args__ = (UniqueConstraint("scorecard_id", "number"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    scorecard_id: Mapped[str] = mapped_column(String(36), ForeignKey("scorecards.id"))
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    criteria: Mapped[list] = mapped_column(JSON)
    vetoes: Mapped[list] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ManualInput(Base):
    """A value no record holds (public satisfaction, an inspection finding), entered by hand and audited."""

    __tablename__ = "manual_inputs"
    __table_args__ = (UniqueConstraint("unit_id", "year", "name"), Index("ix_manual_inputs_year_path", "year",
                                                                         "org_path"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(40))
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    entered_by: Mapped[str] = mapped_column(String(200))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)


# ----------------------------------------------------------------------------- problem lists

class Problem(Base):
    """A problem on a branch's list (问题清单): source, measures, deadline, who answers for it."""

    __tablename__ = "problems"
    __table_args__ = (Index("ix_problems_path", "org_path", "id"), Index("ix_problems_level_path", "level_path"),
                      Index("ix_problems_unit_year", "unit_id", "year"),
                      Index("ix_problems_reference", "reference", unique=True))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    #: where a problem raised elsewhere came from (``hearing:<id>:<n>``, ``screening:<id>:<n>``): opened once
    reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    description: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(String(100))
    responsible_person_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    measures: Mapped[str | None] = mapped_column(Text, nullable=True)
    deadline: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")
    #: the unit that now answers for the problem: the branch, or a level above after escalation
    level_unit_id: Mapped[str] = mapped_column(String(36))
    level_path: Mapped[str] = mapped_column(PathString)
    escalations: Mapped[int] = mapped_column(Integer, default=0)
    in_weak_scope: Mapped[bool] = mapped_column(Boolean, default=False)
    weak_scope_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    opened_on: Mapped[date] = mapped_column(Date)
    rectified_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    verified_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ProblemComment(Base):
    """A comment on a problem, with the status change it came with, if any."""

    __tablename__ = "problem_comments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    problem_id: Mapped[str] = mapped_column(String(36), ForeignKey("problems.id"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status_from: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status_to: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Exemplar(Base):
    """A demonstration branch (示范党支部, chosen from the year's five-star advanced branches and withdrawn when it
    drops) or an advanced example (先进典型, a branch or a person, with what it is recognised for): EVAL.EXEMPLARS."""

    __tablename__ = "exemplars"
    __table_args__ = (Index("ix_exemplars_path_id", "org_path", "id"), Index("ix_exemplars_unit_year", "unit_id", "year"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))  # demonstration, advanced_example
    unit_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    year: Mapped[int] = mapped_column(Integer)
    #: the person recognised (an advanced example may be a member rather than the branch)
    subject_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    person_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    recognised_for: Mapped[str] = mapped_column(Text)
    #: the published rating a demonstration branch was chosen on
    rating_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active, withdrawn
    withdrawn_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ----------------------------------------------------------------------------- results

class Outcome:
    """What an assessment concludes and a published rating keeps: score, stars, category and their reasons."""

    score: Mapped[float] = mapped_column(Float)
    stars_by_score: Mapped[int] = mapped_column(Integer)
    stars: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(20))
    previous_stars: Mapped[int | None] = mapped_column(Integer, nullable=True)
    change: Mapped[str] = mapped_column(String(10))
    weak: Mapped[bool] = mapped_column(Boolean)
    #: {"values": [...], "points": [...]} in the order of the scorecard version's (or batch's) criteria
    breakdown: Mapped[dict] = mapped_column(JSON)
    #: manual inputs used: {name: {"id", "value", "entered_by", "entered_at"}}
    inputs: Mapped[dict] = mapped_column(JSON)
    vetoes: Mapped[list] = mapped_column(JSON)
    signs: Mapped[list] = mapped_column(JSON)
    limits: Mapped[list] = mapped_column(JSON)


class Assessment(Outcome, Base):
    """A branch's computed standing for a year: replaced by every recompute of its county."""

    __tablename__ = "assessments"
    __table_args__ = (Index("ix_assessments_year_path", "year", "org_path"),
                      Index("ix_assessments_year_region", "year", "region_id", "score"))
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    org_path: Mapped[str] = mapped_column(PathString)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64))
    #: the county (or the city / province for branches under no county) whose quota and ledger it is in
    region_id: Mapped[str] = mapped_column(String(36))
    scorecard_version_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # the figures the dashboard adds up
    members: Mapped[int] = mapped_column(Integer)
    members_trained: Mapped[int] = mapped_column(Integer)
    has_secretary: Mapped[bool] = mapped_column(Boolean)
    rotation_met: Mapped[bool] = mapped_column(Boolean)
    term_expired: Mapped[bool] = mapped_column(Boolean)
    meetings_due: Mapped[int] = mapped_column(Integer)
    meetings_missing: Mapped[int] = mapped_column(Integer)
    as_of: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RatingBatch(Base):
    """The ratings of one county (region) and year published together; a later batch corrects an earlier one."""

    __tablename__ = "rating_batches"
    __table_args__ = (UniqueConstraint("region_id", "year", "version"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    region_id: Mapped[str] = mapped_column(String(36))
    region_path: Mapped[str] = mapped_column(PathString, index=True)
    region_name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    branches: Mapped[int] = mapped_column(Integer)
    #: the scorecard as it stood (every branch of a county has the same one): a later template
    #: change never rewrites a published rating
    scorecard_version_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    scorecard_name: Mapped[str] = mapped_column(String(200))
    criteria: Mapped[list] = mapped_column(JSON)
    vetoes: Mapped[list] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    published_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Rating(Outcome, Base):
    """A published rating: immutable. ``org_path`` is the branch's path when it was published."""

    __tablename__ = "ratings"
    __table_args__ = (UniqueConstraint("unit_id", "year", "rating_version"),
                      Index("ix_ratings_year_path", "year", "org_path"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    batch_id: Mapped[str] = mapped_column(String(36), ForeignKey("rating_batches.id"), index=True)
    unit_id: Mapped[str] = mapped_column(String(36))
    year: Mapped[int] = mapped_column(Integer)
    rating_version: Mapped[int] = mapped_column(Integer)
    org_path: Mapped[str] = mapped_column(PathString)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64))
    region_id: Mapped[str] = mapped_column(String(36))
    region_name: Mapped[str] = mapped_column(String(200))
    as_of: Mapped[date] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PublishedRatingIsImmutable(Exception):
    pass


@event.listens_for(Rating, "before_update")
@event.listens_for(RatingBatch, "before_update")
def _published_is_immutable(_mapper, _connection, target):
    raise PublishedRatingIsImmutable(f"{type(target).__name__} {target.id} is published; publish a correction")
