"""The org service's tables.

Every record that belongs to an org unit carries that unit's materialized path
(``path``, byte-ordered and indexed): scope checks and subtree reports are
range scans on it, and a move rewrites every path under the old prefix in one
set-wise UPDATE per table (``units.PATH_TABLES``).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import BigId, PathString, UTCDateTime, compare_version, new_id, utcnow
from shared.models import PerMeetingType, kit_models


class Base(DeclarativeBase):
    pass


# the org service owns the units: it needs no read-model of them
kit = kit_models(Base, org_read_model=False, deadline_reminders=True, import_jobs=True)


class Unit(Base):
    """An org unit (党组织) of any level, from the province committee down to a party group."""

    __tablename__ = "units"
    __table_args__ = (
        Index("ix_units_path", "path"),
        Index("ix_units_parent", "parent_id"),
        Index("ix_units_kind_path", "kind", "path"),
    )
    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    #: this unit's own path segment (base-36 of ``seq``); ``path`` is the parent's path + key + "/"
    key: Mapped[str] = mapped_column(String(16), default="")
    path: Mapped[str] = mapped_column(PathString, default="")
    parent_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("units.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    domain: Mapped[str | None] = mapped_column(String(40), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    established_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: for a joint branch (联合党支部): how many work units it joins (at most 5, ORG.BRANCH_MIN_MEMBERS)
    covered_units: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    dissolved_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: kept from members events (the roster below): active full and probationary members of this unit itself
    full_members: Mapped[int] = mapped_column(Integer, default=0)
    probationary_members: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RosterPerson(Base):
    """The org service's copy of a person on a unit's roll, from members events (newest version wins)."""

    __tablename__ = "roster"
    __table_args__ = (Index("ix_roster_unit_status_stage", "unit_id", "status", "stage"),)
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30))
    #: the conversion date: party standing counts from it (a secretary needs 1+ year)
    full_member_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    person_version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RosterState(Base):
    """A person's state on the roll from ``effective_on`` on, one row per members event (every version, a
    late one included), so that an election's checks read the roster as of the election's date.

    ``effective_on`` is the event's own date (the stage change, the transfer, the leaving); a person's
    registration (members.person.created) holds from the start of the record, bounded by
    ``full_member_since`` for the stage; other updates from the day they were published.
    """

    __tablename__ = "roster_history"
    __table_args__ = (Index("ix_roster_history_unit_on", "unit_id", "effective_on"),)
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    effective_on: Mapped[date] = mapped_column(Date)
    unit_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(30))
    full_member_since: Mapped[date | None] = mapped_column(Date, nullable=True)


class Committee(Base):
    """A unit's elected committee (支部委员会) or, below 7 full members, its secretary and deputy.

    Each election (换届) starts a new committee; the one before is superseded.
    ``version`` is the ``committee_version`` of the events and keeps rising across
    elections of the same unit, so a consumer keyed by unit never lets an older term win.
    """

    __tablename__ = "committees"
    __table_args__ = (
        Index("ix_committees_current_unit", "unit_id", unique=True,
              sqlite_where=text("status = 'current'"), postgresql_where=text("status = 'current'")),
        Index("ix_committees_status_path", "status", "path"),
        Index("ix_committees_unit_elected", "unit_id", "elected_on"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"))
    path: Mapped[str] = mapped_column(PathString)
    elected_on: Mapped[date] = mapped_column(Date)
    term_years: Mapped[int] = mapped_column(Integer)
    term_ends_on: Mapped[date] = mapped_column(Date)
    #: the end the election set, before any approved extension
    original_term_ends_on: Mapped[date] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    extension_approved_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: an early election (before the term before it ended): the upper committee's approval (ORG.TERM_EXPIRED)
    early_approved_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    early_approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    early_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: active full members of the unit on the day of the election (it decides the committee's size)
    full_members_at_election: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="current")  # current, superseded, dissolved
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    secretary_vacant_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    #: how many seats it has and how many stand vacant (kept with every seat change, for the reports)
    seats: Mapped[int] = mapped_column(Integer, default=0)
    vacant_seats: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Seat(Base):
    """One seat of a committee: its role, its holder (none while vacant) and the upper approval."""

    __tablename__ = "seats"
    __table_args__ = (Index("ix_seats_person", "person_id"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    committee_id: Mapped[str] = mapped_column(String(36), ForeignKey("committees.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(30))
    person_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    person_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    since: Mapped[date | None] = mapped_column(Date, nullable=True)
    vacant_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    vacancy_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    #: the upper committee's approval (secretary and deputy only)
    approved_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)


class GroupMember(Base):
    """A member of a party group (党小组); the group is a unit of kind party_group under the branch."""

    __tablename__ = "group_members"
    person_id: Mapped[str] = mapped_column(String(36), primary_key=True)  # one group per person
    group_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(PathString, index=True)
    leader: Mapped[bool] = mapped_column(Boolean, default=False)
    since: Mapped[date] = mapped_column(Date)


class Meeting(Base):
    """A meeting of organizational life (三会一课, theme day, review meetings, talks)."""

    __tablename__ = "meetings"
    __table_args__ = (
        Index("ix_meetings_path_id", "path", "id"),
        Index("ix_meetings_unit_type_held", "unit_id", "type", "held_on"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"))
    path: Mapped[str] = mapped_column(PathString)
    type: Mapped[str] = mapped_column(String(30))
    held_on: Mapped[date] = mapped_column(Date)
    entitled: Mapped[int | None] = mapped_column(Integer, nullable=True)
    present: Mapped[int | None] = mapped_column(Integer, nullable=True)
    quorate: Mapped[bool] = mapped_column(Boolean)
    #: false when a quorum was required and missed: recorded, but it does not count
    counts: Mapped[bool] = mapped_column(Boolean)
    topic: Mapped[str] = mapped_column(String(300))
    lecturer: Mapped[str | None] = mapped_column(String(100), nullable=True)
    lecturer_person_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    #: a party lecture given by the unit's secretary of the day (LIFE.LECTURE: at least 1 a year)
    by_secretary: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: the ledger as officials keep it (会议记录): who chaired and who recorded, attendees by person
    #: ([{person_id, name, attendance: present|absent|leave, reason}]), the topics with their decisions
    #: ([{topic, decision}]) and follow-up items ([{item, owner, due_on}])
    chair: Mapped[str | None] = mapped_column(String(100), nullable=True)
    recorder: Mapped[str | None] = mapped_column(String(100), nullable=True)
    attendees: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    agenda: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    follow_ups: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    #: held (a record of what happened: today or earlier) or scheduled (a plan: today up to a year ahead,
    #: it counts for nothing until a PATCH records it held)
    status: Mapped[str] = mapped_column(String(20), default="held", server_default="held")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LifeYear(PerMeetingType, Base):
    """A unit's organizational life in one year, as month masks: bit 0 = January is set when at least
    one counted meeting of that type was held in that month.

    Written in the same transaction as each meeting, so a compliance report over 330,000 units reads
    one narrow row per unit and year instead of every meeting; the per-unit view reads the meetings.
    """

    __tablename__ = "life_years"
    __table_args__ = (Index("ix_life_years_year_path", "year", "path"),)
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(PathString)
    #: party lectures that year given by the unit's secretary (LIFE.LECTURE: at least 1)
    secretary_lectures: Mapped[int] = mapped_column(Integer, default=0)
    #: the standing mechanisms, as month masks too: the committee's hearings of the branch (LIFE.HEARING), the
    #: county's screening record (LIFE.SCREENING) and the secretary's 述职评议 (LIFE.SECRETARY_REPORT)
    hearing: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    screening: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    secretary_report: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class UncoveredEntity(Base):
    """An entity that should have a party organization but has none yet (ORG.UNCOVERED)."""

    __tablename__ = "uncovered_entities"
    __table_args__ = (Index("ix_uncovered_path", "path"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    #: the unit responsible for covering it (usually a township or county committee)
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(PathString)
    name: Mapped[str] = mapped_column(String(200))
    domain: Mapped[str] = mapped_column(String(40))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True, nullable=True)
    employees: Mapped[int | None] = mapped_column(Integer, nullable=True)
    party_members: Mapped[int | None] = mapped_column(Integer, nullable=True)
    instructor_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    instructor_title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    instructor_assigned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="uncovered")  # uncovered, covered, closed
    covered_by_unit_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    covered_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Leader(Base):
    """A party committee's secretary or team member (党委书记、班子成员), who keeps a liaison branch
    (ORG.LIAISON); registered at the committee's unit (province, city, county, township or a grassroots
    committee) and carrying its path."""

    __tablename__ = "leaders"
    __table_args__ = (Index("ix_leaders_path", "path"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(PathString)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(30))  # secretary, deputy_secretary, member
    #: the leader's record in the members service, when known
    person_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    since: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)


class LiaisonPoint(Base):
    """A leader's liaison branch (联系点): the leader keeps contact with this branch (ORG.LIAISON)."""

    __tablename__ = "liaison_points"
    __table_args__ = (Index("ix_liaison_path", "path"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    #: the registered leader keeping it (``leaders``); points recorded before the register name theirs only
    leader_id: Mapped[str | None] = mapped_column(String(36), ForeignKey("leaders.id"), nullable=True, index=True)
    leader_name: Mapped[str] = mapped_column(String(100))
    leader_title: Mapped[str] = mapped_column(String(200))
    #: the committee the leader serves on (county committee, township committee, ...)
    leader_unit_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(PathString)
    since: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)


class UnitRating(Base):
    """A branch's rating for a year, from evaluation.rating.published (a newer rating_version wins)."""

    __tablename__ = "unit_ratings"
    unit_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    rating_id: Mapped[str] = mapped_column(String(36))
    score: Mapped[float] = mapped_column(Numeric(6, 2))
    stars: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(20))
    rating_version: Mapped[int] = mapped_column(Integer)


class Support(Base):
    """A unit's means of work: its activity venue (the organizers and funds are listed beside)."""

    __tablename__ = "support"
    __table_args__ = (Index("ix_support_path", "path"),)
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"), primary_key=True)
    path: Mapped[str] = mapped_column(PathString)
    has_venue: Mapped[bool] = mapped_column(Boolean, default=False)
    venue_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    venue_area_m2: Mapped[Decimal | None] = mapped_column(Numeric(10, 2), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Organizer(Base):
    """A party-affairs organizer (党务工作者) of a unit."""

    __tablename__ = "organizers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    full_time: Mapped[bool] = mapped_column(Boolean, default=False)


class Fund(Base):
    """Activity funds a unit received: unit funds, fiscal allocation or party-dues subsidy."""

    __tablename__ = "funds"
    __table_args__ = (Index("ix_funds_unit_year", "unit_id", "year"), Index("ix_funds_path", "path"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"))
    path: Mapped[str] = mapped_column(PathString)
    year: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(30))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    received_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ImportRun(Base):
    """One bulk import of units: who, when, what it did (the validation report when it was refused)."""

    __tablename__ = "import_runs"
    __table_args__ = (Index("ix_import_runs_scope", "scope_path", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    scope_path: Mapped[str] = mapped_column(PathString)
    actor: Mapped[str] = mapped_column(String(200))
    format: Mapped[str] = mapped_column(String(10))
    mode: Mapped[str] = mapped_column(String(20))
    total: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    error_count: Mapped[int] = mapped_column(Integer)
    errors: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Hearing(Base):
    """The grassroots committee's hearing of a branch's work report (听取工作汇报, LIFE.HEARING): who reported and
    the points raised (``points``: [{text, problem, responsible, deadline}]; a point marked ``problem`` enters
    the branch's problem list in evaluation)."""

    __tablename__ = "hearings"
    __table_args__ = (Index("ix_hearings_path_id", "path", "id"), Index("ix_hearings_unit_held", "unit_id", "held_on"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    #: the branch heard
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"))
    path: Mapped[str] = mapped_column(PathString)
    #: the committee hearing it (a grassroots committee, or the township or county committee above the branch)
    committee_unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"))
    held_on: Mapped[date] = mapped_column(Date)
    reporter: Mapped[str] = mapped_column(String(100))
    reporter_person_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    points: Mapped[list] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScreeningCampaign(Base):
    """A county's screening of all its branches in one year (全面摸底排查, LIFE.SCREENING)."""

    __tablename__ = "screening_campaigns"
    __table_args__ = (Index("ix_screening_campaigns_unit_year", "unit_id", "year", unique=True),
                      Index("ix_screening_campaigns_path", "path"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    #: the county screening
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"))
    path: Mapped[str] = mapped_column(PathString)
    year: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScreeningRecord(Base):
    """One branch's record in a screening campaign: when it was screened and what was found (``findings``:
    [{text, problem, responsible, deadline}]; a finding marked ``problem`` enters the problem list)."""

    __tablename__ = "screening_records"
    __table_args__ = (Index("ix_screening_records_campaign_unit", "campaign_id", "unit_id", unique=True),
                      Index("ix_screening_records_path_id", "path", "id"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    campaign_id: Mapped[str] = mapped_column(String(36), ForeignKey("screening_campaigns.id"))
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"))
    path: Mapped[str] = mapped_column(PathString)
    year: Mapped[int] = mapped_column(Integer)
    screened_on: Mapped[date] = mapped_column(Date)
    screened_by: Mapped[str] = mapped_column(String(200))
    findings: Mapped[list] = mapped_column(JSON, default=list)
    conclusion: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SecretaryReport(Base):
    """A secretary's yearly report on party-building work and its assessment (述职评议, LIFE.SECRETARY_REPORT):
    好 good / 较好 fairly_good / 一般 average / 差 poor, by whom."""

    __tablename__ = "secretary_reports"
    __table_args__ = (Index("ix_secretary_reports_unit_year", "unit_id", "year", unique=True),
                      Index("ix_secretary_reports_path_id", "path", "id"))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"))
    path: Mapped[str] = mapped_column(PathString)
    year: Mapped[int] = mapped_column(Integer)
    secretary_name: Mapped[str] = mapped_column(String(100))
    secretary_person_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    report: Mapped[str] = mapped_column(Text)
    reported_on: Mapped[date] = mapped_column(Date)
    assessment: Mapped[str] = mapped_column(String(20))
    assessed_by: Mapped[str] = mapped_column(String(200))
    assessed_on: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReserveCandidate(Base):
    """A reserve candidate for a branch's secretary (后备人才, ORG.RESERVE): a full member with a year's standing,
    their training, and whether they are still in the pool (active), took the post or left it."""

    __tablename__ = "reserve_candidates"
    __table_args__ = (Index("ix_reserve_unit_status", "unit_id", "status"),
                      Index("ix_reserve_path_id", "path", "id"),
                      Index("ix_reserve_unit_person", "unit_id", "person_id", unique=True))
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    unit_id: Mapped[str] = mapped_column(String(36), ForeignKey("units.id"))
    path: Mapped[str] = mapped_column(PathString)
    person_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(100))
    full_member_since: Mapped[date | None] = mapped_column(Date, nullable=True)
    listed_on: Mapped[date] = mapped_column(Date)
    #: the training the candidate received (a class, a post, a mentor), as recorded
    training: Mapped[str | None] = mapped_column(Text, nullable=True)
    trained_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active, appointed, withdrawn
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = compare_version(version)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
