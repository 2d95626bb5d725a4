"""The training service's tables.

Two kinds of table live here:
- what training owns: courses, classes and their sessions, enrolments, attendance, the yearly
  hours per person, the requirements met, rotation plans;
- read-models fed by events: people (members events) with the committee roles they hold
  (org committee events), and the org tree (the kit's ``OrgUnitView``).

Coverage for a province must be a scan, not a join of 7 million rows with 7 million rows:
``person_year_hours`` therefore carries a copy of the person's place and category
(``org_path``, ``unit_id``, ``category``), kept in step with ``people`` by the handlers, so that
the covered counts are one GROUP BY over it and the totals one GROUP BY over ``people``.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import BigId, PathString, UTCDateTime, compare_version, new_id, utcnow
from shared.models import kit_models


class Base(DeclarativeBase):
    pass


kit = kit_models(Base, deadline_reminders=True)
OrgUnitView = kit.OrgUnitView
#: coverage reports per unit directly below a subtree's root: its children, found by parent
Index("ix_training_org_unit_view_parent", OrgUnitView.parent_id)


# ----------------------------------------------------------------------------- read-models


class Person(Base):
    """A person as the members service last described them (event-carried state), with the
    committee role org events give them.

    ``category`` is what the training requirements see: ``secretary`` (a seated branch secretary),
    ``leader`` (another seated committee member), ``member`` (a probationary or full member), or
    NULL (not yet a member, suspended, or left). Only an active person has a category.
    """

    __tablename__ = "people"
    #: subtree lists page by (org_path, id); coverage counts categories per path range from
    #: this index alone on PostgreSQL (``category`` included: an index-only scan)
    __table_args__ = (
        Index("ix_people_org_path_id", "org_path", "id", postgresql_include=["category"]),
        #: TRAIN.NEW_SECRETARY and TRAIN.NEW_MEMBER: the daily reminders read a range of start dates
        Index("ix_people_secretary_since", "secretary_since", sqlite_where=text("category = 'secretary'"),
              postgresql_where=text("category = 'secretary'")),
        Index("ix_people_probationary_since", "probationary_since", sqlite_where=text("category IS NOT NULL"),
              postgresql_where=text("category IS NOT NULL")),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36), index=True)
    #: the path of the person's unit now: a person who moves takes the year's hours along
    org_path: Mapped[str] = mapped_column(PathString)
    name: Mapped[str] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    full_member_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    probationary_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: from the seats of org committee events: "secretary", "leader" or NULL
    leader_role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    #: the day the person took the secretary's post (TRAIN.NEW_SECRETARY counts from it)
    secretary_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    category: Mapped[str | None] = mapped_column(String(20), nullable=True)
    #: the members service's version of the last event applied: an older event never wins
    person_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Committee(Base):
    """The committee a unit has now (one per unit): which election and version its seats come from."""

    __tablename__ = "committees"
    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    committee_id: Mapped[str] = mapped_column(String(36))
    #: the unit's kind when the committee was elected; committees of the four levels are not
    #: branch committees and give no TRAIN.LEADER_HOURS role (NULL = unit not yet known: counted)
    unit_kind: Mapped[str | None] = mapped_column(String(40), nullable=True)
    elected_on: Mapped[date] = mapped_column(Date)
    committee_version: Mapped[int] = mapped_column(Integer)


class Seat(Base):
    """A filled seat of a unit's current committee. Read by person only (never listed), so it
    carries no path of its own: the person's place is in ``people``."""

    __tablename__ = "committee_seats"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("committees.unit_id"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    #: the day this person took this role in this unit, kept across re-elections
    since: Mapped[date | None] = mapped_column(Date, nullable=True)


# ----------------------------------------------------------------------------- what training owns


class Course(Base):
    """A course: a title, its topics and its class hours, owned by an organizing unit."""

    __tablename__ = "courses"
    __table_args__ = (Index("ix_courses_org_path_id", "org_path", "id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    organizer_unit_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    title: Mapped[str] = mapped_column(String(200))
    topics: Mapped[list] = mapped_column(JSON, default=list)
    hours: Mapped[float] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingClass(Base):
    """A class (培训班) of one kind, run by a province, city, county or township unit."""

    __tablename__ = "classes"
    __table_args__ = (
        Index("ix_classes_org_path_id", "org_path", "id"),
        Index("ix_classes_kind_starts", "kind", "starts_on"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    course_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("courses.id"), nullable=True)
    organizer_unit_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    #: the organizer's level: province, city, county or township
    level: Mapped[str] = mapped_column(String(20))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    capacity: Mapped[int] = mapped_column(Integer)
    #: people enrolled now (kept with every enrolment and withdrawal, checked against capacity)
    enrolled: Mapped[int] = mapped_column(Integer, default=0)
    place: Mapped[str | None] = mapped_column(String(200), nullable=True)
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sessions: Mapped[list["ClassSession"]] = relationship(order_by="ClassSession.starts_at", lazy="selectin")

    @property
    def hours(self) -> float:
        return sum(s.hours for s in self.sessions)


class ClassSession(Base):
    """One session of a class, worth ``hours`` class hours to each person who attends.

    ``held_on`` is the session's start date in Asia/Shanghai; its ``year`` is the year the hours
    count in (a session that crosses midnight of Dec 31 counts in the year it started).
    """

    __tablename__ = "class_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    class_id: Mapped[str] = mapped_column(String(36), ForeignKey("classes.id"), index=True)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    held_on: Mapped[date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)
    hours: Mapped[float] = mapped_column(Float)


class Enrollment(Base):
    """A person's place in a class; a withdrawal keeps the row (status ``withdrawn``)."""

    __tablename__ = "enrollments"
    class_id: Mapped[str] = mapped_column(String(36), ForeignKey("classes.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    unit_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(20), default="enrolled")
    #: "manual" (POST /classes/{id}/enrollments) or "plan" (a confirmed rotation plan)
    source: Mapped[str] = mapped_column(String(20), default="manual")
    plan_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Attendance(Base):
    """A person attended a session: the session's class hours are credited once, and only once
    (the unique key makes a repeated or concurrent write a no-op)."""

    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("session_id", "person_id", name="uq_attendance_session_person"),
        Index("ix_attendance_person_kind_on", "person_id", "kind", "attended_on"),
        Index("ix_attendance_class", "class_id", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(36), ForeignKey("class_sessions.id"))
    class_id: Mapped[str] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(36))
    attended_on: Mapped[date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)
    hours: Mapped[float] = mapped_column(Float)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Completion(Base):
    """A person completed a class (结业) with its assessment (结业考核): ``passed`` or ``failed``.

    One row per class and person; a make-up assessment replaces it (the audit log keeps the one before).
    A development target's centralized training counts for MEMBERS.TARGET_TRAINING only once passed.
    """

    __tablename__ = "completions"
    __table_args__ = (Index("ix_completions_person", "person_id", "kind"),)
    class_id: Mapped[str] = mapped_column(String(36), ForeignKey("classes.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    unit_id: Mapped[str] = mapped_column(String(36))
    completed_on: Mapped[date] = mapped_column(Date)
    assessment: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(500), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PersonYearHours(Base):
    """A person's class hours in one year, added to with every attendance (never recomputed from
    scratch), with the facts coverage counts: trained (a centralized class attended), rotated
    (a secretary rotation class attended). ``org_path``, ``unit_id`` and ``category`` copy the
    person's row so that coverage scans this table alone."""

    __tablename__ = "person_year_hours"
    #: coverage counts a year's rows per path range from this index alone on PostgreSQL
    __table_args__ = (Index("ix_person_year_hours_year_path", "year", "org_path",
                            postgresql_include=["category", "hours", "trained", "rotated"]),)
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    category: Mapped[str | None] = mapped_column(String(20), nullable=True)
    hours: Mapped[float] = mapped_column(Float, default=0.0)
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    trained: Mapped[bool] = mapped_column(Boolean, default=False)
    rotated: Mapped[bool] = mapped_column(Boolean, default=False)


class RequirementMet(Base):
    """A requirement a person met, once per ``period`` (a year for the yearly ones, ``once`` for
    development-target and new-member training, the post's start for a new secretary).
    Its row is the guard that publishes training.requirement.met exactly once."""

    __tablename__ = "requirements_met"
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    requirement: Mapped[str] = mapped_column(String(30), primary_key=True)
    period: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    met_on: Mapped[date] = mapped_column(Date)
    hours: Mapped[float] = mapped_column(Float)
    days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: for a deadline rule: the date it was due, and the rule code when it was met late
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    breach: Mapped[str | None] = mapped_column(String(40), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RotationPlan(Base):
    """A county's proposal for a year: which secretary goes to which rotation class.

    ``proposed`` until confirmed (then its people are enrolled); a re-run of the planner updates
    the open proposal only when the answer differs, so running it twice changes nothing.
    """

    __tablename__ = "rotation_plans"
    __table_args__ = (
        #: one open proposal per county and year (two planners at once: the second gets a 409)
        Index("uq_rotation_plans_open", "county_id", "year", unique=True,
              sqlite_where=text("status = 'proposed'"), postgresql_where=text("status = 'proposed'")),
        Index("ix_rotation_plans_org_path", "org_path", "id"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    county_id: Mapped[str] = mapped_column(String(36))
    org_path: Mapped[str] = mapped_column(PathString)
    year: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    assigned: Mapped[int] = mapped_column(Integer, default=0)
    overflow: Mapped[int] = mapped_column(Integer, default=0)
    #: townships whose secretaries could not all sit in one class
    split_groups: Mapped[list] = mapped_column(JSON, default=list)
    #: the planner's answer in short (a digest); equal digests = nothing to change
    digest: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class RotationPlanItem(Base):
    """One secretary in a plan: the class proposed, or none (overflow: reported, never dropped)."""

    __tablename__ = "rotation_plan_items"
    __table_args__ = (Index("ix_rotation_plan_items_plan", "plan_id", "position"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_id: Mapped[str] = mapped_column(String(36), ForeignKey("rotation_plans.id"))
    position: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[str] = mapped_column(String(36))
    unit_id: Mapped[str] = mapped_column(String(36))
    group_key: Mapped[str] = mapped_column(String(512))
    class_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    #: proposed, overflow (no place), enrolled (on confirmation), skipped (covered or gone meanwhile)
    outcome: Mapped[str] = mapped_column(String(20))
