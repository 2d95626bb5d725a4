"""The org regulations as pure functions, one per rule code (RULES.md, "Organization setup" and
"Organizational life").

Sources: 条例 = 中国共产党支部工作条例（试行）(2018); 党章; 选举条例 = 中国共产党基层组织选举
工作条例 (2020). No database, no request, no clock: callers pass the figures, the dates and
"today" (``shared.dates.today()``), and the *config* values from ``DEFAULTS`` (overridable
through ``ZHIBU_RULES_FILE``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from shared.dates import add_months, add_years
from shared.messages import msg, plural, were
from shared.rulebook import Rulebook
from shared.violations import Violation

#: the *config* values of RULES.md for org, with the regulation's default
DEFAULTS: dict = {
    "branch_min_full_members": 3,          # ORG.BRANCH_MIN_MEMBERS
    "joint_branch_max_units": 5,           # ORG.BRANCH_MIN_MEMBERS
    "branch_max_members": 50,              # ORG.BRANCH_MAX_MEMBERS, ORG.GENERAL_BRANCH
    "grassroots_committee_members": 100,   # ORG.GRASSROOTS_COMMITTEE
    "committee_min_full_members": 7,       # ORG.COMMITTEE_REQUIRED
    "committee_seats_min": 3,
    "committee_seats_usual_max": 5,
    "committee_seats_max": 7,
    "secretary_min_standing_years": 1,     # ORG.COMMITTEE_ROLES
    "term_years_default": 3,               # ORG.TERM_LENGTH
    "term_years_by_domain": {"village": 5, "community": 5},
    "term_years_by_kind": {"general_branch": 3, "grassroots_committee": 5},
    "term_warning_days": 90,               # ORG.TERM_EXPIRED
    "term_extension_max_years": 1,
    #: how far ahead a plan may be dated (a scheduled meeting; RULES.md: a record of what happened is not
    #: future-dated, a plan is, within this horizon)
    "plan_ahead_days": 366,
    "secretary_vacancy_weak_months": 3,    # ORG.VACANCY
    #: LIFE.*: how often each type of meeting is due (month, quarter or year)
    "life_frequency": {
        "general_meeting": "quarter", "committee_meeting": "month", "group_meeting": "month",
        "party_lecture": "quarter", "theme_day": "month", "review_meeting": "year",
        "heart_to_heart_talk": "year", "member_review": "year",
    },
    "secretary_lectures_per_year": 1,      # LIFE.LECTURE
    #: deadline reminders (shared/reminders.py): days before a deadline that org.deadline.approaching is sent,
    #: by rule code ("default" for the others): a term from the 90 days' warning, a monthly meeting in the
    #: month's last week; org.deadline.overdue the day after, caught up for reminder_catch_up_days
    "reminder_days": {"default": [30, 7], "ORG.TERM_EXPIRED": [90, 30, 7], "LIFE.COMMITTEE_MEETING": [7],
                      "LIFE.GROUP_MEETING": [7], "LIFE.THEME_DAY": [7]},
    "reminder_catch_up_days": 7,
    #: the standing mechanisms (LIFE.HEARING, LIFE.SCREENING, LIFE.SECRETARY_REPORT): how often each is due
    "reports_frequency": {"hearing": "quarter", "screening": "year", "secretary_report": "year"},
    "reserve_min_candidates": 1,           # ORG.RESERVE
    "reserve_min_standing_years": 1,
}

#: the rules org declares (docs/rules.md is generated from it: ``zhibu rules``)
RULEBOOK = Rulebook("org", DEFAULTS)
RULEBOOK.declare("ORG.UNIT_NESTING", "gate", "条例 art. 5; 党章 art. 30",
                 "A unit stands only under a kind that may lead it; a unit that still leads active units is not "
                 "dissolved.")
RULEBOOK.declare("ORG.DISSOLVE_MEMBERS", "gate", "条例 art. 9",
                 "A unit with people on its roll is dissolved only together with moving them to another unit.")
RULEBOOK.declare("ORG.BRANCH_MIN_MEMBERS", "report", "条例 art. 5",
                 "A branch needs 3+ full members; fewer: a joint branch of at most 5 units.",
                 config=("branch_min_full_members", "joint_branch_max_units"))
RULEBOOK.declare("ORG.BRANCH_MAX_MEMBERS", "report", "条例 art. 5",
                 "A branch generally has at most 50 members; above: flagged for splitting or a general branch.",
                 config=("branch_max_members",))
RULEBOOK.declare("ORG.GENERAL_BRANCH", "report", "条例 art. 5",
                 "50 to 100 members call for a general branch (党总支).",
                 config=("branch_max_members", "grassroots_committee_members"))
RULEBOOK.declare("ORG.GRASSROOTS_COMMITTEE", "report", "党章 art. 30",
                 "100 or more members call for a grassroots committee (基层党委).",
                 config=("grassroots_committee_members",))
RULEBOOK.declare("ORG.COMMITTEE_REQUIRED", ("gate", "report"), "条例 art. 11",
                 "7+ full members elect a committee of 3-5 (at most 7); fewer a secretary and at most one deputy. "
                 "A gate at an election, a report on existing branches.",
                 config=("committee_min_full_members", "committee_seats_min", "committee_seats_usual_max",
                         "committee_seats_max"))
RULEBOOK.declare("ORG.COMMITTEE_ROLES", "gate", "条例 art. 11-12; 选举条例 art. 26",
                 "One secretary, at most one deputy, one seat per person, seat holders full members of the unit; a "
                 "secretary generally has 1+ year of party standing; secretary and deputy take office on approval.",
                 config=("secretary_min_standing_years",))
RULEBOOK.declare("ORG.TERM_LENGTH", "deadline", "选举条例 art. 4",
                 "A committee's term: village and community branches 5 years, other branches 3, a general branch "
                 "3, a grassroots committee 5; it sets the date of ORG.TERM_EXPIRED.",
                 config=("term_years_default", "term_years_by_domain", "term_years_by_kind"))
RULEBOOK.declare("ORG.TERM_EXPIRED", ("deadline", "gate"), "选举条例 art. 5",
                 "Re-elect when the term ends, warned 90 days before; an extension or an early election needs "
                 "upper approval and moves the term by at most 1 year (the gate).",
                 config=("term_warning_days", "term_extension_max_years"))
RULEBOOK.declare("ORG.VACANCY", "report", "条例 art. 13",
                 "An empty seat is filled by by-election; a secretary seat empty over 3 months marks the branch "
                 "weak (EVAL.WEAK).",
                 config=("secretary_vacancy_weak_months",))
RULEBOOK.declare("ORG.UNCOVERED", "report", "两个覆盖",
                 "An entity without a party organization gets a party-building instructor, tracked until a "
                 "branch is set up.")
RULEBOOK.declare("ORG.LIAISON", "report", "条例, 领导和保障",
                 "Every party committee secretary and team member keeps a liaison branch (联系点), preferably a "
                 "backward one.")
RULEBOOK.declare("LIFE.GENERAL_MEETING", "report", "条例 art. 15",
                 "A branch general meeting (支部党员大会) at least quarterly; more than half of those entitled "
                 "present, else it is recorded with the breach and does not count.",
                 config=("life_frequency",))
RULEBOOK.declare("LIFE.COMMITTEE_MEETING", "report", "条例 art. 17",
                 "A committee meeting (支委会) at least monthly; more than half of the committee present.",
                 config=("life_frequency",))
RULEBOOK.declare("LIFE.GROUP_MEETING", "report", "条例 art. 19-21",
                 "A party group meeting (党小组会) at least monthly.", config=("life_frequency",))
RULEBOOK.declare("LIFE.LECTURE", "report", "条例 art. 19",
                 "A party lecture (党课) at least quarterly; the secretary gives at least 1 a year.",
                 config=("life_frequency", "secretary_lectures_per_year"))
RULEBOOK.declare("LIFE.THEME_DAY", "report", "条例 art. 19-21", "A theme party day (主题党日) monthly.",
                 config=("life_frequency",))
RULEBOOK.declare("LIFE.REVIEW_MEETING", "report", "条例 art. 19-21",
                 "An organizational life meeting (组织生活会) at least yearly.", config=("life_frequency",))
RULEBOOK.declare("LIFE.TALKS", "report", "条例 art. 19-21", "Heart-to-heart talks (谈心谈话) at least yearly.",
                 config=("life_frequency",))
RULEBOOK.declare("LIFE.MEMBER_REVIEW", ("report", "gate"), "条例 art. 24",
                 "A democratic review of members (民主评议党员) yearly; 优秀 at most 1/3 of those graded, "
                 "probationary members take part but are not graded (the gate, in members).",
                 config=("life_frequency",))
RULEBOOK.declare("ORG.RESERVE", ("gate", "report"), "the work plan (后备人才)",
                 "Every branch keeps at least 1 reserve candidate for secretary, a full member with a year's standing "
                 "on the day listed (the gate), trained and recorded; a branch without one is listed (the report).",
                 config=("reserve_min_candidates", "reserve_min_standing_years"))
RULEBOOK.declare("LIFE.HEARING", "report", "the work plan's standing mechanisms",
                 "The grassroots committee (or the township or county committee above) hears each branch's work "
                 "report (听取工作汇报) at least once a quarter.", config=("reports_frequency",))
RULEBOOK.declare("LIFE.SCREENING", "report", "the work plan's standing mechanisms",
                 "Each county screens all of its branches once a year (全面摸底排查): a record per branch, its "
                 "findings onto the problem lists.", config=("reports_frequency",))
RULEBOOK.declare("LIFE.SECRETARY_REPORT", "report", "the work plan's standing mechanisms",
                 "Each year branch and grassroots-committee secretaries report on their party-building work and are "
                 "assessed (述职评议): 好 / 较好 / 一般 / 差; 差 is a weak-and-lax sign (EVAL.WEAK).",
                 config=("reports_frequency",))

KIND_NAMES_ZH = {
    "province": "省委", "city": "市委", "county": "县委", "township": "乡镇（街道）党（工）委",
    "grassroots_committee": "基层党委", "general_branch": "党总支", "branch": "党支部",
    "joint_branch": "联合党支部", "party_group": "党小组",
}
ROLE_NAMES_ZH = {"secretary": "书记", "deputy_secretary": "副书记", "organization": "组织委员",
                 "propaganda": "宣传委员", "discipline": "纪检委员", "other": "委员"}
MEETING_NAMES_ZH = {
    "general_meeting": "支部党员大会", "committee_meeting": "支委会", "group_meeting": "党小组会",
    "party_lecture": "党课", "theme_day": "主题党日", "review_meeting": "组织生活会",
    "heart_to_heart_talk": "谈心谈话", "member_review": "民主评议党员",
}
LIFE_CODES = {
    "general_meeting": "LIFE.GENERAL_MEETING", "committee_meeting": "LIFE.COMMITTEE_MEETING",
    "group_meeting": "LIFE.GROUP_MEETING", "party_lecture": "LIFE.LECTURE", "theme_day": "LIFE.THEME_DAY",
    "review_meeting": "LIFE.REVIEW_MEETING", "heart_to_heart_talk": "LIFE.TALKS",
    "member_review": "LIFE.MEMBER_REVIEW",
}
#: the standing mechanisms of the work plan, measured like organizational life (month masks per unit and year)
REPORT_CODES = {"hearing": "LIFE.HEARING", "screening": "LIFE.SCREENING", "secretary_report": "LIFE.SECRETARY_REPORT"}
REPORT_NAMES = {"hearing": ("听取工作汇报", "work-report hearing"), "screening": ("全面摸底排查", "screening"),
                "secretary_report": ("书记述职评议", "secretary's report and assessment")}
#: the units each mechanism measures: the branches heard and screened; the secretaries who report (branches,
#: general branches and grassroots committees)
REPORT_SUBJECTS = {"hearing": ("branch", "joint_branch"), "screening": ("branch", "joint_branch"),
                   "secretary_report": ("grassroots_committee", "general_branch", "branch", "joint_branch")}
#: the committees that hear a branch's work report: its grassroots committee, or the township or county above it
HEARING_COMMITTEE_KINDS = ("county", "township", "grassroots_committee")
#: LIFE.SECRETARY_REPORT: the four grades of 述职评议
ASSESSMENTS = {"good": "好", "fairly_good": "较好", "average": "一般", "poor": "差"}
#: meetings that need more than half of those entitled present
QUORUM_TYPES = ("general_meeting", "committee_meeting")
PERIOD_NAMES = {"month": ("month", "月"), "quarter": ("quarter", "季度"), "year": ("year", "年")}

#: units whose setup the branch rules measure
BRANCH_KINDS = ("branch", "joint_branch")
GRASSROOTS_KINDS = ("branch", "joint_branch", "general_branch")
#: units that elect a committee (or, for a small branch, a secretary)
COMMITTEE_KINDS = ("grassroots_committee", "general_branch", "branch", "joint_branch")

#: which kinds of unit may stand directly under which (党组织设置)
ALLOWED_PARENTS: dict[str, tuple[str | None, ...]] = {
    "province": (None,),
    "city": ("province",),
    "county": ("city",),
    "township": ("county",),
    "grassroots_committee": ("province", "city", "county", "township", "grassroots_committee"),
    "general_branch": ("county", "township", "grassroots_committee"),
    "branch": ("county", "township", "grassroots_committee", "general_branch"),
    "joint_branch": ("county", "township", "grassroots_committee", "general_branch"),
    "party_group": ("branch", "joint_branch"),
}


# ----------------------------------------------------------------------------- the tree

def unit_nesting(kind: str, parent_kind: str | None) -> Violation | None:
    """ORG.UNIT_NESTING: a unit stands only under a kind that may lead it (条例 art. 5; 党章 art. 30)."""
    if parent_kind in ALLOWED_PARENTS[kind]:
        return None
    allowed = [p for p in ALLOWED_PARENTS[kind] if p]
    if parent_kind is None:
        return Violation("ORG.UNIT_NESTING",
                         en=f"a {kind} needs a parent unit ({', '.join(allowed)})",
                         zh=f"{KIND_NAMES_ZH[kind]}须隶属于上级党组织",
                         facts={"kind": kind})
    return Violation(
        "ORG.UNIT_NESTING",
        en=f"a {kind} cannot stand under a {parent_kind}; its parent must be one of: {', '.join(allowed) or 'none'}",
        zh=f"{KIND_NAMES_ZH[kind]}不能设在{KIND_NAMES_ZH[parent_kind]}之下",
        facts={"kind": kind, "parent_kind": parent_kind},
    )


def dissolve_with_sub_units(kind: str, active_sub_units: int) -> Violation | None:
    """ORG.UNIT_NESTING: a unit that still leads active units cannot be dissolved (条例 art. 5)."""
    if active_sub_units == 0:
        return None
    return Violation("ORG.UNIT_NESTING",
                     en=f"this {kind} still leads {plural(active_sub_units, 'active unit')}; move or dissolve them first",
                     zh=f"该{KIND_NAMES_ZH[kind]}下仍有{active_sub_units}个党组织，须先调整隶属关系或撤销",
                     facts={"active_sub_units": active_sub_units})


def dissolve_members(people_on_roll: int, moved_to: str | None) -> Violation | None:
    """ORG.DISSOLVE_MEMBERS: a unit with people on its roll is dissolved only together with
    moving them to another unit in the same act (条例 art. 9: the upper committee decides)."""
    if people_on_roll == 0 or moved_to is not None:
        return None
    return Violation("ORG.DISSOLVE_MEMBERS",
                     en=f"{people_on_roll} people are still on this unit's roll; name the unit they move to "
                        "(members_moved_to) in the same request",
                     zh=f"该党组织仍有{people_on_roll}名党员（含入党申请人等），撤销时须同时明确其组织关系转入的党组织",
                     facts={"people_on_roll": people_on_roll})


# ----------------------------------------------------------------------------- setup thresholds

def branch_min_members(kind: str, full_members: int, covered_units: int | None = None, *,
                       minimum: int = 3, joint_max_units: int = 5) -> Violation | None:
    """ORG.BRANCH_MIN_MEMBERS: a branch needs 3+ full members, else a joint branch of at most
    5 units (条例 art. 5)."""
    if kind == "branch" and full_members < minimum:
        return Violation("ORG.BRANCH_MIN_MEMBERS",
                         en=f"the branch has {full_members} full members; with fewer than {minimum} it should "
                            "join a joint branch",
                         zh=f"该党支部正式党员{full_members}名，不足{minimum}名，应成立联合党支部",
                         facts={"full_members": full_members, "minimum": minimum})
    if kind == "joint_branch" and covered_units is not None and covered_units > joint_max_units:
        return Violation("ORG.BRANCH_MIN_MEMBERS",
                         en=f"the joint branch joins {covered_units} units; at most {joint_max_units} are allowed",
                         zh=f"该联合党支部覆盖{covered_units}个单位，一般不超过{joint_max_units}个",
                         facts={"covered_units": covered_units, "maximum": joint_max_units})
    return None


def branch_max_members(kind: str, members: int, *, maximum: int = 50) -> Violation | None:
    """ORG.BRANCH_MAX_MEMBERS: a branch generally has at most 50 members (条例 art. 5)."""
    if kind in BRANCH_KINDS and members > maximum:
        return Violation("ORG.BRANCH_MAX_MEMBERS",
                         en=f"the branch has {members} members, more than {maximum}: split it or set up a "
                            "general branch",
                         zh=f"该党支部有党员{members}名，超过{maximum}名，应分设党支部或成立党总支",
                         facts={"members": members, "maximum": maximum})
    return None


def general_branch(kind: str, members: int, *, branch_max: int = 50, committee_min: int = 100
                   ) -> Violation | None:
    """ORG.GENERAL_BRANCH: more than 50 (and fewer than 100) members call for a general branch
    (党总支, 条例 art. 5)."""
    if kind in BRANCH_KINDS and branch_max < members < committee_min:
        return Violation("ORG.GENERAL_BRANCH",
                         en=f"the unit has {members} members (more than {branch_max}): it should be a general "
                            "branch",
                         zh=f"该党组织有党员{members}名，超过{branch_max}名，应设立党总支",
                         facts={"members": members, "branch_max": branch_max})
    return None


def grassroots_committee(kind: str, members: int, *, committee_min: int = 100) -> Violation | None:
    """ORG.GRASSROOTS_COMMITTEE: 100 or more members call for a grassroots committee
    (基层党委, 党章 art. 30)."""
    if kind in GRASSROOTS_KINDS and members >= committee_min:
        return Violation("ORG.GRASSROOTS_COMMITTEE",
                         en=f"the unit has {members} members ({committee_min} or more): it should be a grassroots "
                            "committee",
                         zh=f"该党组织有党员{members}名，达到{committee_min}名以上，应设立基层党委",
                         facts={"members": members, "minimum": committee_min})
    return None


# ----------------------------------------------------------------------------- committees and terms

def committee_size(full_members: int, roles: list[str], *, threshold: int = 7, seats_min: int = 3,
                   seats_usual_max: int = 5, seats_max: int = 7) -> Violation | None:
    """ORG.COMMITTEE_REQUIRED: 7+ full members elect a committee of 3-5 (at most 7); fewer elect a
    secretary and at most one deputy, no committee (条例 art. 11)."""
    seats = len(roles)
    if full_members >= threshold:
        if seats_min <= seats <= seats_max:
            return None
        return Violation("ORG.COMMITTEE_REQUIRED",
                         en=f"with {full_members} full members the branch elects a committee of {seats_min}-"
                            f"{seats_usual_max} (at most {seats_max}) members; {plural(seats, 'seat')} given",
                         zh=f"正式党员{full_members}名（{threshold}名以上）应设支部委员会，委员{seats_min}至"
                            f"{seats_usual_max}人，最多不超过{seats_max}人；本次为{seats}人",
                         facts={"full_members": full_members, "seats": seats, "seats_min": seats_min,
                                "seats_max": seats_max})
    others = [r for r in roles if r not in ("secretary", "deputy_secretary")]
    if others or seats > 2:
        return Violation("ORG.COMMITTEE_REQUIRED",
                         en=f"with {full_members} full members (fewer than {threshold}) the branch has no committee: "
                            "elect a secretary and, if needed, one deputy",
                         zh=f"正式党员{full_members}名，不足{threshold}名，不设支部委员会，只设书记1名，必要时设副书记1名",
                         facts={"full_members": full_members, "seats": seats, "threshold": threshold})
    return None


def committee_required(kind: str, full_members: int, seats: int | None, *, threshold: int = 7,
                       seats_min: int = 3) -> Violation | None:
    """ORG.COMMITTEE_REQUIRED (report): every branch has an elected secretary; 7+ full members have
    a committee of at least 3 (条例 art. 11)."""
    if kind not in BRANCH_KINDS:
        return None
    if seats is None:
        return Violation("ORG.COMMITTEE_REQUIRED",
                         en="no committee or secretary has been elected",
                         zh="未选举产生支部委员会或书记",
                         facts={"full_members": full_members, "seats": 0})
    if full_members >= threshold and seats < seats_min:
        return Violation("ORG.COMMITTEE_REQUIRED",
                         en=f"{full_members} full members but only {plural(seats, 'seat')}: elect a committee of at least "
                            f"{seats_min}",
                         zh=f"正式党员{full_members}名，应设支部委员会（至少{seats_min}人），现仅{seats}人",
                         facts={"full_members": full_members, "seats": seats, "seats_min": seats_min})
    return None


def committee_roles(seats: list[tuple[str, str | None]]) -> Violation | None:
    """ORG.COMMITTEE_ROLES: one secretary, at most one deputy, one seat per person (条例 art. 11)."""
    roles = [role for role, _ in seats]
    if roles.count("secretary") != 1:
        return Violation("ORG.COMMITTEE_ROLES",
                         en=f"a committee has exactly one secretary; {were(roles.count('secretary'), 'given')}",
                         zh="须设书记1名", facts={"secretaries": roles.count("secretary")})
    if roles.count("deputy_secretary") > 1:
        return Violation("ORG.COMMITTEE_ROLES",
                         en=f"a committee has at most one deputy secretary; "
                            f"{were(roles.count('deputy_secretary'), 'given')}",
                         zh="副书记最多设1名", facts={"deputies": roles.count("deputy_secretary")})
    people = [p for _, p in seats if p is not None]
    if len(people) != len(set(people)):
        return Violation("ORG.COMMITTEE_ROLES", en="a person holds one seat only",
                         zh="同一人只能担任一个委员职务", facts={})
    return None


@dataclass(frozen=True)
class Holder:
    """What the roster knows of a seat's candidate."""

    name: str
    stage: str
    status: str
    belongs: bool  # on the roll of the unit (or, for a general branch or committee, of its subtree)
    full_member_since: date | None


def seat_holder(role: str, holder: Holder | None, on: date, *, min_standing_years: int = 1
                ) -> Violation | None:
    """ORG.COMMITTEE_ROLES: seat holders are full members of the unit; a secretary generally has
    at least 1 year of party standing (条例 art. 12; standing counts from conversion)."""
    role_zh = ROLE_NAMES_ZH[role]
    if holder is not None and holder.full_member_since is not None and holder.full_member_since > on:
        m = msg("org-full-member-after-election", name=holder.name, since=holder.full_member_since, on=on,
                role=role, role_zh=role_zh)
        return Violation("ORG.COMMITTEE_ROLES", en=m.en, zh=m.zh,
                         facts={"role": role, "full_member_since": holder.full_member_since, "on": on})
    if holder is None or not holder.belongs or holder.status != "active" or holder.stage != "full":
        name = holder.name if holder else "this person"
        return Violation("ORG.COMMITTEE_ROLES",
                         en=f"{name} is not an active full member of this unit, so cannot be elected {role}",
                         zh=f"{holder.name if holder else '该人员'}不是本党组织的正式党员，不能当选{role_zh}",
                         facts={"role": role})
    if role == "secretary":
        standing_from = holder.full_member_since
        needed = add_years(standing_from, min_standing_years) if standing_from else None
        if needed is None or on < needed:
            return Violation("ORG.COMMITTEE_ROLES",
                             en=f"a secretary needs {plural(min_standing_years, 'year')} of party standing; {holder.name} "
                                f"became a full member on {standing_from} and reaches it on {needed}",
                             zh=f"书记一般应具有{min_standing_years}年以上党龄；{holder.name}于{standing_from}转为正式党员，"
                                f"{needed}方满{min_standing_years}年",
                             facts={"role": role, "full_member_since": standing_from, "standing_reached_on": needed,
                                    "on": on})
    return None


def full_member_on(belongs: bool, stage: str, status: str, full_member_since: date | None, on: date) -> bool:
    """ORG.COMMITTEE_REQUIRED: who counts towards the committee's size: an active full member of the unit on
    the election's date (条例 art. 11; party standing counts from conversion)."""
    return (belongs and status == "active" and stage == "full"
            and (full_member_since is None or full_member_since <= on))


def term_years(kind: str, domain: str | None, *, by_kind: dict, by_domain: dict, default: int) -> int:
    """ORG.TERM_LENGTH: village and community branches 5 years, other branches 3; a general branch 3,
    a grassroots committee 5 (选举条例 art. 4; *config*)."""
    if kind in by_kind:
        return int(by_kind[kind])
    return int(by_domain.get(domain, default))


def term_ends(elected_on: date, years: int) -> date:
    """ORG.TERM_LENGTH: the term ends on the corresponding day ``years`` later (RULES.md, Counting dates)."""
    return add_years(elected_on, years)


def term_state(term_ends_on: date, today: date, *, warning_days: int = 90) -> Violation | None:
    """ORG.TERM_EXPIRED (deadline): re-elect when the term ends; warn 90 days before (选举条例 art. 5).

    The term runs through ``term_ends_on``: on that day it is still due (expiring), the day after expired.
    """
    if today > term_ends_on:
        days = (today - term_ends_on).days
        return Violation("ORG.TERM_EXPIRED",
                         en=f"the committee's term ended on {term_ends_on} ({days} days ago): hold the election",
                         zh=f"该届委员会任期已于{term_ends_on}届满（已超期{days}天），应按期换届",
                         facts={"state": "expired", "term_ends_on": term_ends_on, "days_overdue": days})
    if today >= term_ends_on - timedelta(days=warning_days):
        days = (term_ends_on - today).days
        return Violation("ORG.TERM_EXPIRED",
                         en=f"the committee's term ends on {term_ends_on} (in {days} days): prepare the election",
                         zh=f"该届委员会任期将于{term_ends_on}届满（还有{days}天），应做好换届准备",
                         facts={"state": "expiring", "term_ends_on": term_ends_on, "days_left": days})
    return None


def term_extension(original_end: date, new_end: date, *, max_years: int = 1) -> Violation | None:
    """ORG.TERM_EXPIRED (gate on the extension): with upper approval a term is extended by at most
    1 year (选举条例 art. 5)."""
    latest = add_years(original_end, max_years)
    if original_end < new_end <= latest:
        return None
    return Violation("ORG.TERM_EXPIRED",
                     en=f"a term that ends on {original_end} can be extended to a date after it and no later than "
                        f"{latest}; {new_end} was asked",
                     zh=f"任期于{original_end}届满，经批准延期不得超过{max_years}年（最迟至{latest}），申请延至{new_end}",
                     facts={"term_ends_on": original_end, "latest": latest, "asked": new_end})


def early_election(term_ends_on: date, elected_on: date, approved_on: date | None, *, max_years: int = 1
                   ) -> Violation | None:
    """ORG.TERM_EXPIRED (gate on an early election): re-electing before the term ends needs the upper
    committee's approval, and advances the term by at most 1 year (选举条例 art. 5)."""
    if elected_on >= term_ends_on:
        return None
    earliest = add_years(term_ends_on, -max_years)
    facts = {"term_ends_on": term_ends_on, "elected_on": elected_on, "earliest": earliest,
             "approved_on": approved_on}
    if elected_on < earliest:
        m = msg("org-early-election-too-early", term_ends_on=term_ends_on, elected_on=elected_on, earliest=earliest,
                years=max_years)
        return Violation("ORG.TERM_EXPIRED", en=m.en, zh=m.zh, facts=facts)
    if approved_on is None:
        m = msg("org-early-election-unapproved", term_ends_on=term_ends_on, elected_on=elected_on)
        return Violation("ORG.TERM_EXPIRED", en=m.en, zh=m.zh, facts=facts)
    return None


def vacancy(vacant_roles: list[str], secretary_vacant_since: date | None, today: date, *,
            weak_months: int = 3) -> Violation | None:
    """ORG.VACANCY: an empty seat is filled by by-election; a secretary seat empty over 3 months
    marks the branch weak (条例 art. 13; EVAL.WEAK)."""
    if not vacant_roles:
        return None
    weak_from = add_months(secretary_vacant_since, weak_months) if secretary_vacant_since else None
    weak = weak_from is not None and today > weak_from
    roles_zh = "、".join(ROLE_NAMES_ZH[r] for r in vacant_roles)
    en = f"{'vacant seat' if len(vacant_roles) == 1 else 'vacant seats'}: {', '.join(vacant_roles)}; fill " \
         f"{'it' if len(vacant_roles) == 1 else 'them'} by by-election"
    zh = f"{roles_zh}空缺，应及时补选"
    if secretary_vacant_since:
        en += f"; the secretary's seat has been empty since {secretary_vacant_since}"
        zh += f"；书记自{secretary_vacant_since}空缺"
        if weak:
            en += f", more than {weak_months} months (weak and lax)"
            zh += f"，超过{weak_months}个月（软弱涣散情形）"
    return Violation("ORG.VACANCY", en=en, zh=zh,
                     facts={"vacant_roles": vacant_roles, "secretary_vacant_since": secretary_vacant_since,
                            "weak": weak})


def approval_needed(role: str) -> bool:
    """ORG.COMMITTEE_ROLES: the secretary and deputy take office once the upper committee approves
    (选举条例 art. 26)."""
    return role in ("secretary", "deputy_secretary")


# ----------------------------------------------------------------------------- uncovered entities

def uncovered(status: str, instructor_name: str | None) -> Violation | None:
    """ORG.UNCOVERED: an entity without an organization gets a party-building instructor, tracked until
    a branch is set up (两个覆盖)."""
    if status != "uncovered" or instructor_name:
        return None
    return Violation("ORG.UNCOVERED", en="no party-building instructor is assigned to this uncovered entity",
                     zh="该单位尚未建立党组织，且未选派党建工作指导员", facts={})


# ----------------------------------------------------------------------------- liaison points

#: units whose secretary and team members (党委书记、班子成员) each keep a liaison branch
LEADER_KINDS = ("province", "city", "county", "township", "grassroots_committee")
LEADER_ROLES = {"secretary": "书记", "deputy_secretary": "副书记", "member": "班子成员"}


def liaison(role: str, active_points: int) -> Violation | None:
    """ORG.LIAISON: every party committee secretary and team member keeps a liaison branch (联系点),
    preferably a backward one (条例, 领导和保障)."""
    if active_points > 0:
        return None
    return Violation("ORG.LIAISON", en=f"this {role.replace('_', ' ')} keeps no liaison branch",
                     zh=f"该{LEADER_ROLES.get(role, '班子成员')}未建立党支部工作联系点",
                     facts={"role": role, "liaison_points": active_points})


# ----------------------------------------------------------------------------- organizational life

def record_date(status: str, on: date, today: date, *, ahead_days: int = 366) -> tuple[str, dict] | None:
    """Which records may be future-dated: a record of what happened (a meeting held) is dated today or
    earlier; a plan (a meeting scheduled) from today up to ``ahead_days`` ahead. Returns the catalog's
    message key and its parameters when ``on`` is not allowed (a 422, not a rule breach)."""
    if status == "held" and on > today:
        return "org-held-in-future", {"on": on, "today": today}
    if status == "scheduled" and not today <= on <= today + timedelta(days=ahead_days):
        return "org-scheduled-out-of-range", {"on": on, "today": today, "latest": today + timedelta(days=ahead_days)}
    return None


def ledger_headcount(attendees: list[dict]) -> tuple[int, int]:
    """LIFE.GENERAL_MEETING / LIFE.COMMITTEE_MEETING: a ledger lists everyone entitled, present, absent or on
    leave; ``(entitled, present)`` for the quorum (条例 art. 15, 17)."""
    return len(attendees), sum(1 for a in attendees if a["attendance"] == "present")


def quorum(meeting_type: str, entitled: int | None, present: int | None) -> Violation | None:
    """LIFE.GENERAL_MEETING / LIFE.COMMITTEE_MEETING: more than half of those entitled present
    (条例 art. 15, 17). A meeting without quorum is recorded with this breach and does not count."""
    if meeting_type not in QUORUM_TYPES:
        return None
    needed = entitled // 2 + 1
    if present >= needed:
        return None
    name_zh = MEETING_NAMES_ZH[meeting_type]
    return Violation(LIFE_CODES[meeting_type],
                     en=f"{present} of {entitled} present: a {meeting_type.replace('_', ' ')} needs more than half "
                        f"({needed}); it is recorded but does not count",
                     zh=f"应到{entitled}人，实到{present}人，未超过半数（至少{needed}人），{name_zh}记录在案但不计入次数",
                     facts={"entitled": entitled, "present": present, "needed": needed})


@dataclass(frozen=True)
class Period:
    label: str
    first: date
    last: date


def whole_periods(frequency: str, start: date, end: date) -> list[Period]:
    """The calendar months, quarters or years that lie wholly inside [start, end]: each must hold one."""
    step = {"month": 1, "quarter": 3, "year": 12}[frequency]
    month0 = {"month": start.month, "quarter": 3 * ((start.month - 1) // 3) + 1, "year": 1}[frequency]
    first = date(start.year, month0, 1)
    if first < start:
        first = add_months(first, step)
    periods = []
    while True:
        nxt = add_months(first, step)
        last = date(nxt.year, nxt.month, 1) - timedelta(days=1)
        if last > end:
            return periods
        periods.append(Period(_label(frequency, first), first, last))
        first = nxt


def _label(frequency: str, first: date) -> str:
    if frequency == "month":
        return f"{first.year}-{first.month:02d}"
    if frequency == "quarter":
        return f"{first.year}-Q{(first.month - 1) // 3 + 1}"
    return str(first.year)


def life_frequency(meeting_type: str, frequency: str, required: int, held: int, missed: list[str]
                   ) -> Violation | None:
    """LIFE.*: at least one counted meeting in every whole period of the rule's frequency (条例 art. 19:
    三会一课, theme day monthly, organizational life meeting and democratic review yearly)."""
    if not missed:
        return None
    unit_en, unit_zh = PERIOD_NAMES[frequency]
    name_zh = MEETING_NAMES_ZH[meeting_type]
    return Violation(LIFE_CODES[meeting_type],
                     en=f"{meeting_type.replace('_', ' ')}: due once a {unit_en}, {required} due, {held} held; "
                        f"none in {', '.join(missed)}",
                     zh=f"{name_zh}应每{unit_zh}至少1次：应开{required}次，实开{held}次，{'、'.join(missed)}未开",
                     facts={"frequency": frequency, "required": required, "held": held, "missed": missed})


def secretary_lectures(years: list[int], by_secretary: dict[int, int], *, per_year: int = 1
                       ) -> Violation | None:
    """LIFE.LECTURE: the secretary gives at least 1 party lecture a year (条例 art. 19)."""
    short = [y for y in years if by_secretary.get(y, 0) < per_year]
    if not short:
        return None
    return Violation("LIFE.LECTURE",
                     en=f"the secretary gave fewer than {plural(per_year, 'party lecture')} in {', '.join(map(str, short))}",
                     zh=f"书记{'、'.join(map(str, short))}年讲党课少于{per_year}次",
                     facts={"years": short, "per_year": per_year})


# ----------------------------------------------------------------------------- the standing mechanisms

def standing_mechanism(mechanism: str, frequency: str, required: int, held: int, missed: list[str]
                       ) -> Violation | None:
    """LIFE.HEARING (the committee hears each branch's work report at least once a quarter), LIFE.SCREENING (each
    county screens every branch once a year), LIFE.SECRETARY_REPORT (each secretary reports and is assessed once a
    year): one in every whole period of the rule's frequency (the work plan's standing mechanisms)."""
    if not missed:
        return None
    unit_en, unit_zh = PERIOD_NAMES[frequency]
    name_zh, name_en = REPORT_NAMES[mechanism]
    m = msg("org-mechanism-missed", name_zh=name_zh, name_en=name_en, unit_zh=unit_zh, unit_en=unit_en,
            required=required, held=held, missed_zh="、".join(missed), missed_en=", ".join(missed))
    return Violation(REPORT_CODES[mechanism], en=m.en, zh=m.zh,
                     facts={"frequency": frequency, "required": required, "held": held, "missed": missed})


def secretary_assessed_poor(assessment: str | None, year: int) -> Violation | None:
    """LIFE.SECRETARY_REPORT: a secretary assessed 差 (poor) in the year's 述职评议 is listed (and is a weak-and-lax
    sign in evaluation, EVAL.WEAK)."""
    if assessment != "poor":
        return None
    m = msg("org-secretary-assessed-poor", year=year)
    return Violation("LIFE.SECRETARY_REPORT", en=m.en, zh=m.zh, facts={"year": year, "assessment": assessment})


def reserve_pool(active_candidates: int, *, minimum: int = 1) -> Violation | None:
    """ORG.RESERVE: every branch keeps at least ``minimum`` reserve candidate(s) for secretary (后备人才, *config*);
    a branch with fewer is listed."""
    if active_candidates >= minimum:
        return None
    m = msg("org-reserve-short", candidates=active_candidates, minimum=minimum)
    return Violation("ORG.RESERVE", en=m.en, zh=m.zh, facts={"candidates": active_candidates, "minimum": minimum})


def reserve_candidate(holder: Holder | None, on: date, *, min_standing_years: int = 1) -> Violation | None:
    """ORG.RESERVE (gate on listing a candidate): a full member of the branch with at least a year's party
    standing on the day listed (standing counts from conversion)."""
    name = holder.name if holder else "?"
    if holder is None or not holder.belongs or holder.status != "active" or holder.stage != "full":
        m = msg("org-reserve-not-member", name=name)
        return Violation("ORG.RESERVE", en=m.en, zh=m.zh, facts={"on": on})
    reached = add_years(holder.full_member_since, min_standing_years) if holder.full_member_since else None
    if reached is None or on < reached:
        m = msg("org-reserve-standing", name=name, since=holder.full_member_since, reached=reached,
                years=min_standing_years)
        return Violation("ORG.RESERVE", en=m.en, zh=m.zh,
                         facts={"full_member_since": holder.full_member_since, "standing_reached_on": reached,
                                "on": on})
    return None
RULEBOOK.declare("STATS.ORGANIZATIONS", "report", "党内统计年报",
                 "Grassroots organizations at year end by kind and sector; branches with and without a committee; "
                 "committees whose term ended in the year and how many re-elected on time.")
