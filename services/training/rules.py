"""The training regulations as pure functions.

Sources: 2019—2023年全国党员教育培训工作规划 ("规划": hours, rotation, new secretaries and new
members), 中国共产党党员教育管理工作条例 (2019), 中国共产党发展党员工作细则 (2014, "细则"). No database, no request, no clock: the caller passes
"today" and the *config* values (``DEFAULTS``, overridable per province through
``ZHIBU_RULES_FILE``), read from ``shared.request.rule_config()``.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from shared.dates import SHANGHAI, add_months
from shared.rulebook import Rulebook
from shared.violations import Violation

DEFAULTS = {
    #: TRAIN.MEMBER_HOURS: class hours a member needs a year (规划)
    "member_hours": 32.0,
    #: TRAIN.LEADER_HOURS: class hours a branch secretary or committee member needs a year (*config*)
    "leader_hours": 56.0,
    #: TRAIN.SECRETARY_ROTATION: the levels whose rotation classes count (county or higher)
    "rotation_levels": ["province", "city", "county"],
    #: TRAIN.NEW_SECRETARY: months after taking the post by which a new secretary is trained
    "new_secretary_months": 6,
    #: TRAIN.NEW_MEMBER: months after admission by which a new member has attended one centralized
    #: training: the probation year and the first year as a full member (规划; *config*)
    "new_member_months": 24,
    #: overdue lists show breaches whose due date lies within this many months before today
    #: (older posts and admissions predate the records and belong to past years' reports)
    "overdue_window_months": 24,
    #: MEMBERS.TARGET_TRAINING: a development target's centralized training, at least 3 days or
    #: 24 class hours (细则 art. 18); training tells members when it is reached
    "target_training_hours": 24.0,
    "target_training_days": 3,
    #: the most people one CSV or XLSX export lists (XLSX holds at most 1,048,575 rows)
    "export_max_rows": 100_000,
    #: deadline reminders (shared/reminders.py): days before a deadline that training.deadline.approaching is
    #: sent, by rule code ("default" for the others); training.deadline.overdue the day after, caught up for
    #: reminder_catch_up_days when the job did not run
    "reminder_days": {"default": [30, 7]},
    "reminder_catch_up_days": 7,
}

#: the rules training declares (docs/rules.md is generated from it: ``zhibu rules``)
RULEBOOK = Rulebook("training", DEFAULTS)
RULEBOOK.declare("TRAIN.MEMBER_HOURS", "report", "规划", "Every member at least 32 class hours a year.",
                 config=("member_hours",))
RULEBOOK.declare("TRAIN.LEADER_HOURS", "report", "规划",
                 "Branch secretaries and committee members at least 56 class hours a year, including at least one "
                 "centralized training.",
                 config=("leader_hours",))
RULEBOOK.declare("TRAIN.SECRETARY_ROTATION", ("report", "gate"), "规划",
                 "Every branch secretary attends county-level (or higher) rotation training at least once a year; "
                 "a rotation class is run by a county or higher organization department (the gate).",
                 config=("rotation_levels",))
RULEBOOK.declare("TRAIN.NEW_SECRETARY", "deadline", "规划",
                 "A new secretary is trained within 6 months of taking the post.", config=("new_secretary_months",))
RULEBOOK.declare("TRAIN.NEW_MEMBER", "deadline", "规划",
                 "Probationary and newly converted members attend one centralized training, in the probation year "
                 "or the first year after conversion.",
                 config=("new_member_months",))
RULEBOOK.declare("TRAIN.COVERAGE", "report", "规划",
                 "Every member attends centralized training each year; coverage of secretary rotation and member "
                 "training is 100%, reported per level.")
RULEBOOK.declare("TRAIN.CAPACITY", "gate", "-", "A class takes no more people than its places.")
RULEBOOK.measures("MEMBERS.TARGET_TRAINING", config=("target_training_hours", "target_training_days"))

CLASS_LEVELS = ("province", "city", "county", "township")
LEVEL_NAMES_ZH = {"province": "省级", "city": "市级", "county": "县级", "township": "乡镇（街道）级"}

#: units whose committee is a level's party committee, not a branch committee
#: (their members are not "branch secretaries and committee members" of TRAIN.LEADER_HOURS)
LEVEL_UNIT_KINDS = frozenset(CLASS_LEVELS)

MEMBER_STAGES = ("probationary", "full")
#: classes that are not a member's centralized training: a development target is not yet a member
NOT_MEMBER_TRAINING = frozenset({"target_training"})
#: what trains a new secretary (TRAIN.NEW_SECRETARY)
NEW_SECRETARY_KINDS = ("new_secretary_training", "secretary_rotation")
#: what trains a new member (TRAIN.NEW_MEMBER)
NEW_MEMBER_KINDS = ("new_member_training",)

CATEGORY_NAMES_ZH = {"secretary": "支部书记", "leader": "支部委员", "member": "党员"}

#: the gaps a person can have in a year, as coverage names them
GAP_NAMES = {
    "member_training": ("no centralized training attended this year", "本年度未参加集中培训"),
    "member_hours": ("fewer class hours than a member needs", "学时未达到党员年度要求"),
    "leader_hours": ("fewer class hours than a branch leader needs", "学时未达到支部书记、委员年度要求"),
    "secretary_rotation": ("not yet in a county-level (or higher) rotation class", "未参加县级以上轮训"),
}


# ----------------------------------------------------------------------------- who is who


def person_category(stage: str, status: str, leader_role: str | None) -> str | None:
    """Which yearly requirements a person is held to: 'secretary', 'leader', 'member' or None.

    Only an active person counts (a suspended or departed member has no requirement); a seated
    branch secretary or committee member counts as such whatever the stage on record.
    """
    if status != "active":
        return None
    if leader_role in ("secretary", "leader"):
        return leader_role
    return "member" if stage in MEMBER_STAGES else None


def leader_role(seats: list[tuple[str, str | None]]) -> str | None:
    """The branch role a person's seats give: 'secretary', 'leader' (any other seat) or None.

    ``seats`` are (role, kind of the committee's unit); seats on a province, city, county or
    township committee are not branch seats (TRAIN.LEADER_HOURS speaks of branch leaders).
    """
    branch_roles = {role for role, unit_kind in seats if unit_kind not in LEVEL_UNIT_KINDS}
    if "secretary" in branch_roles:
        return "secretary"
    return "leader" if branch_roles else None


def hours_required(category: str | None, member_hours: float, leader_hours: float) -> float | None:
    """The class hours a year a person of ``category`` needs (TRAIN.MEMBER_HOURS / TRAIN.LEADER_HOURS)."""
    if category in ("secretary", "leader"):
        return leader_hours
    if category == "member":
        return member_hours
    return None


# ----------------------------------------------------------------------------- hours and the year


def session_day(starts_at: datetime) -> date:
    """The day a session's hours count on: its start date in Asia/Shanghai.

    A session that starts on Dec 31 and ends after midnight counts wholly in the year it
    started: class hours are credited per session, never split across years.
    """
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=SHANGHAI)
    return starts_at.astimezone(SHANGHAI).date()


def member_hours(hours: float, required: float, year: int) -> Violation | None:
    """TRAIN.MEMBER_HOURS: every member at least 32 class hours a year (规划)."""
    if hours >= required:
        return None
    return Violation("TRAIN.MEMBER_HOURS",
                     en=f"{hours:g} class hours in {year}; a member needs at least {required:g}",
                     zh=f"{year}年度学时{hours:g}，党员每年应不少于{required:g}学时",
                     facts={"year": year, "hours": hours, "required": required})


def leader_hours(hours: float, required: float, year: int, centralized: bool) -> Violation | None:
    """TRAIN.LEADER_HOURS: branch secretaries and committee members at least 56 class hours a year,
    including at least one centralized training (规划; *config*)."""
    if hours >= required and centralized:
        return None
    if hours >= required:
        return Violation("TRAIN.LEADER_HOURS",
                         en=f"{hours:g} class hours in {year}, but no centralized training attended",
                         zh=f"{year}年度学时{hours:g}，但未参加集中培训",
                         facts={"year": year, "hours": hours, "required": required})
    return Violation("TRAIN.LEADER_HOURS",
                     en=f"{hours:g} class hours in {year}; a branch secretary or committee member needs "
                        f"at least {required:g}",
                     zh=f"{year}年度学时{hours:g}，支部书记和委员每年应不少于{required:g}学时",
                     facts={"year": year, "hours": hours, "required": required})


def secretary_rotation(rotated: bool, year: int) -> Violation | None:
    """TRAIN.SECRETARY_ROTATION: every branch secretary attends county-level (or higher) rotation
    training at least once a year (规划)."""
    if rotated:
        return None
    return Violation("TRAIN.SECRETARY_ROTATION",
                     en=f"no county-level (or higher) rotation class attended in {year}",
                     zh=f"{year}年度未参加县级以上党委组织部门举办的支部书记轮训",
                     facts={"year": year})


def member_training(trained: bool, year: int) -> Violation | None:
    """TRAIN.COVERAGE: every member attends centralized training each year; coverage is 100% (规划)."""
    if trained:
        return None
    return Violation("TRAIN.COVERAGE",
                     en=f"no centralized training attended in {year}",
                     zh=f"{year}年度未参加集中培训",
                     facts={"year": year})


def coverage_gaps(category: str | None, hours: float, trained: bool, rotated: bool,
                  member_required: float, leader_required: float) -> list[str]:
    """What a person still lacks this year (TRAIN.COVERAGE; the names of ``GAP_NAMES``)."""
    if category is None:
        return []
    gaps = []
    if not trained:
        gaps.append("member_training")
    if hours < member_required:
        gaps.append("member_hours")
    if category in ("secretary", "leader") and (hours < leader_required or not trained):
        gaps.append("leader_hours")
    if category == "secretary" and not rotated:
        gaps.append("secretary_rotation")
    return gaps


# ----------------------------------------------------------------------------- classes


def rotation_organizer(kind: str, level: str, rotation_levels: list[str]) -> Violation | None:
    """TRAIN.SECRETARY_ROTATION: rotation classes for branch secretaries are run at county level
    or higher; province, city and county organization departments each run their level (规划)."""
    if kind != "secretary_rotation" or level in rotation_levels:
        return None
    return Violation("TRAIN.SECRETARY_ROTATION",
                     en=f"a {level} unit cannot run secretary rotation classes; rotation is run at "
                        f"{', '.join(rotation_levels)} level",
                     zh=f"{LEVEL_NAMES_ZH.get(level, level)}党组织不能举办支部书记轮训班，轮训由县级以上党委组织部门举办",
                     facts={"level": level})


def capacity(enrolled: int, adding: int, places: int) -> Violation | None:
    """TRAIN.CAPACITY: a class takes no more people than its places."""
    if enrolled + adding <= places:
        return None
    free = max(places - enrolled, 0)
    return Violation("TRAIN.CAPACITY",
                     en=f"the class has {places} places and {enrolled} taken; {adding} more do not fit "
                        f"({free} free)",
                     zh=f"该班额定{places}人，已报名{enrolled}人，剩余{free}个名额，不能再增加{adding}人",
                     facts={"capacity": places, "enrolled": enrolled, "adding": adding, "free": free})


# ----------------------------------------------------------------------------- deadlines


def overdue_since_bound(today: date, months: int) -> date:
    """The latest start date whose deadline (start + ``months``) is already past on ``today``.

    Lists select ``start <= bound`` in SQL and stay exact where months have different lengths
    (``add_months`` never decreases as the start moves later).
    """
    day = add_months(today, -months) + timedelta(days=3)
    while add_months(day, months) >= today:
        day -= timedelta(days=1)
    return day


def new_secretary(since: date, trained_on: date | None, today: date, months: int) -> Violation | None:
    """TRAIN.NEW_SECRETARY: a new secretary is trained within half a year of taking the post (规划)."""
    due = add_months(since, months)
    if trained_on is not None and trained_on <= due:
        return None
    if trained_on is None and today <= due:
        return None
    if trained_on is not None:
        return Violation("TRAIN.NEW_SECRETARY",
                         en=f"took the secretary's post on {since}, due to be trained by {due}, trained on {trained_on}",
                         zh=f"{since}任支部书记，应于{due}前参加培训，实际于{trained_on}参加",
                         facts={"since": since, "due": due, "trained_on": trained_on})
    return Violation("TRAIN.NEW_SECRETARY",
                     en=f"took the secretary's post on {since} and was due to be trained by {due}; not yet trained",
                     zh=f"{since}任支部书记，应于{due}前参加新任书记培训，至今未参加",
                     facts={"since": since, "due": due, "days_overdue": (today - due).days})


def new_member(admitted_on: date, trained_on: date | None, today: date, months: int) -> Violation | None:
    """TRAIN.NEW_MEMBER: probationary and newly converted members attend one centralized training,
    in the probation year or the first year after conversion (规划): due ``months`` after admission."""
    due = add_months(admitted_on, months)
    if trained_on is not None and trained_on <= due:
        return None
    if trained_on is None and today <= due:
        return None
    if trained_on is not None:
        return Violation("TRAIN.NEW_MEMBER",
                         en=f"admitted on {admitted_on}, due to attend the new members' training by {due}, "
                            f"attended on {trained_on}",
                         zh=f"{admitted_on}入党，应于{due}前参加新党员集中培训，实际于{trained_on}参加",
                         facts={"admitted_on": admitted_on, "due": due, "trained_on": trained_on})
    return Violation("TRAIN.NEW_MEMBER",
                     en=f"admitted on {admitted_on} and due to attend the new members' training by {due}; "
                        "not yet attended",
                     zh=f"{admitted_on}入党，应于{due}前参加新党员集中培训，至今未参加",
                     facts={"admitted_on": admitted_on, "due": due, "days_overdue": (today - due).days})


def target_training_passed(passed: bool, hours: float, days: int, min_hours: float, min_days: int) -> bool:
    """MEMBERS.TARGET_TRAINING (fed by training): a development target's centralized training counts once
    completed and passed (结业) and at least 3 days or 24 class hours long (细则 art. 18)."""
    return passed and target_training_met(hours, days, min_hours, min_days)


def target_training_met(hours: float, days: int, min_hours: float, min_days: int) -> bool:
    """MEMBERS.TARGET_TRAINING (fed by training): a development target's centralized training
    lasts at least 3 days or 24 class hours (细则 art. 18)."""
    return hours >= min_hours or days >= min_days
