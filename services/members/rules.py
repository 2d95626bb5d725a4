"""The members regulations as pure functions, one per rule code (RULES.md, "Member development").

Sources: 细则 = 中国共产党发展党员工作细则 (2014); 党章; 条例 = 中国共产党支部工作条例（试行）(2018);
管理条例 = 党员教育管理工作条例 (2019); 处置办法 = 不合格党员组织处置办法 (2024).

No database, no request, no clock: the caller passes "today" and the *config* values of
``DEFAULTS`` (read from ``shared.request.rule_config()``). A rule returns a ``Violation`` or None.
Gates are refused by the caller (409); deadlines are recorded with the breach attached.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from shared.dates import (CalendarNotPublished, add_months, add_working_days, add_years, age_on,
                          birthday_reached, next_working_day)
from shared.messages import msg, plural, were, zh_value
from shared.rulebook import Rulebook
from shared.violations import Violation

#: the *config* values of RULES.md for the members service, with the regulation's defaults.
#: An operator overrides them in ZHIBU_RULES_FILE under "members" (key by key).
DEFAULTS: dict = {
    "min_age": 18,                                   # MEMBERS.MIN_AGE (党章 art. 1)
    "feb29_birthday": "feb28",                       # Counting dates: a Feb 29 birthday in a common year
    "talk_months": 1,                                # MEMBERS.TALK_DEADLINE (细则 art. 7)
    "assessment_months": 6,                          # MEMBERS.SPONSORS: assessment every 6 months (细则 art. 12)
    "sponsors_min": 1,                               # MEMBERS.SPONSORS: 1-2 full-member sponsors (细则 art. 11)
    "sponsors_max": 2,
    "cultivation_years": 1,                          # MEMBERS.CULTIVATION_PERIOD (细则 art. 13)
    "notice_working_days": 5,                        # MEMBERS.PUBLIC_NOTICE
    "introducers": 2,                                # MEMBERS.INTRODUCERS (细则 art. 15)
    "joint_review_departments": ["discipline_inspection", "public_security", "procuratorate", "court"],
    "target_training_days": 3,                       # MEMBERS.TARGET_TRAINING (细则 art. 18)
    "target_training_hours": 24,
    "pre_review_leaving_months": 3,                  # MEMBERS.PRE_REVIEW (细则 art. 19)
    "approval_months": 3,                            # MEMBERS.APPROVAL_DEADLINE (细则 art. 25)
    "approval_special_months": 6,
    "approving_unit_kinds": ["province", "city", "county", "township"],
    "probation_years": 1,                            # MEMBERS.PROBATION (党章 art. 7)
    "oath_months": 1,                                # MEMBERS.OATH
    "conversion_approval_months": 3,                 # MEMBERS.CONVERSION (细则 art. 33)
    "extension_min_months": 6,
    "extension_max_months": 12,
    "extensions_allowed": 1,
    "no_development_years": 3,                       # MEMBERS.NO_DEVELOPMENT
    "out_of_contact_months": 6,                      # MEMBERS.OUT_OF_CONTACT (管理条例 art. 31)
    "suspension_removal_years": 2,
    "correction_max_months": 12,                     # MEMBERS.UNQUALIFIED (处置办法)
    "no_party_life_months": 6,
    "transfer_away_months": 6,                       # MEMBERS.TRANSFER (管理条例 art. 25)
    "review_excellent_share": [1, 3],                # LIFE.MEMBER_REVIEW: at most 1/3 优秀
    #: MEMBERS.POINTS: a scheme per city, keyed by the city unit's code; "default" elsewhere
    "points_schemes": {
        "default": {
            "caps": {"base": 20, "tasks": 70, "bonus": 10},
            "sources": {"base": "base", "attendance": "tasks", "training": "tasks",
                        "volunteer_service": "tasks", "commitment": "tasks", "bonus": "bonus"},
            #: points for each class hour credited by the training service (0: awarded by hand only)
            "training_points_per_hour": 0.25,
            #: points for each meeting of organizational life a member is listed present at in org's ledger
            #: (0: the city's scheme does not count attendance)
            "meeting_attendance_points": 0.5,
        },
    },
    #: Counting dates: a deadline on a holiday moves to the next working day only if this is on
    "deadlines_move_off_holidays": False,
    "alert_horizon_days": 30,
    #: deadline reminders (shared/reminders.py): days before a deadline that members.deadline.approaching is
    #: sent, by rule code ("default" for the others); members.deadline.overdue goes the day after, caught up
    #: for reminder_catch_up_days when the job did not run
    "reminder_days": {"default": [30, 7]},
    "reminder_catch_up_days": 7,
}

# ----------------------------------------------------------------------------- the 25 steps

@dataclass(frozen=True)
class StepKind:
    number: int | None        # 1..25; None for a side record (public notices, extra reviews)
    kind: str
    zh: str
    en: str
    repeatable: bool = False


STEPS: tuple[StepKind, ...] = (
    StepKind(1, "application", "递交入党申请书", "application"),
    StepKind(2, "talk", "党组织派人谈话", "talk with the applicant"),
    StepKind(3, "activist", "推荐和确定入党积极分子", "recommend and decide the activist"),
    StepKind(4, "activist_filed", "入党积极分子报上级党委备案", "file the activist upward"),
    StepKind(5, "sponsors", "指定培养联系人", "assign sponsors"),
    StepKind(6, "assessment", "培养教育考察", "training and assessment", repeatable=True),
    StepKind(7, "target", "确定发展对象", "decide the development target"),
    StepKind(8, "target_filed", "发展对象报上级党委备案", "file the target upward"),
    StepKind(9, "introducers", "确定入党介绍人", "two introducers"),
    StepKind(10, "political_review", "进行政治审查", "political review"),
    StepKind(11, "training", "开展集中培训", "centralized training"),
    StepKind(12, "committee_review", "支部委员会审查", "committee review"),
    StepKind(13, "pre_review", "上级党委预审", "pre-review by the upper committee"),
    StepKind(14, "application_form", "填写入党志愿书", "application form"),
    StepKind(15, "admission_vote", "支部党员大会讨论", "general meeting vote"),
    StepKind(16, "upper_talk", "上级党委派人谈话", "talk by the upper committee"),
    StepKind(17, "approval", "上级党委审批", "approval"),
    StepKind(18, "approval_filed", "再上一级党委组织部门备案", "file the approval upward"),
    StepKind(19, "placement", "编入党支部和党小组", "assign to branch and group"),
    StepKind(20, "oath", "入党宣誓", "oath"),
    StepKind(21, "probation_assessment", "继续教育考察", "continued assessment", repeatable=True),
    StepKind(22, "conversion_application", "提出转正申请", "conversion application"),
    StepKind(23, "conversion_vote", "支部党员大会讨论转正", "conversion vote"),
    StepKind(24, "conversion_approval", "上级党委审批转正", "conversion approval"),
    StepKind(25, "archive", "材料归档", "archive"),
    # side records: they keep their place in the order but move no step forward
    StepKind(None, "target_notice", "发展对象公示", "public notice before the target decision"),
    StepKind(None, "relative_review", "近亲属入党审查", "review of a leader's near relative"),
    StepKind(None, "joint_review", "政审联审", "joint review"),
    StepKind(None, "admission_notice", "拟接收预备党员公示", "public notice before admission"),
)
STEP_BY_KIND = {s.kind: s for s in STEPS}
STEP_BY_NUMBER = {s.number: s for s in STEPS if s.number}
#: where each side record may be recorded: (lowest, highest) last step reached
SIDE_WINDOWS = {"target_notice": (4, 6), "relative_review": (10, 14), "joint_review": (10, 14),
                "admission_notice": (13, 14)}
#: where a timeline shows each side record: after this step
SIDE_SHOWN_AFTER = {"target_notice": 6, "relative_review": 10, "joint_review": 10, "admission_notice": 13}
#: registering someone already on the way: the last step reached by default for each stage, and the range
#: a caller may state (a vote, approval or conversion in progress is finished on the old platform first)
STAGE_DEFAULT_REACHED = {"applicant": 1, "activist": 4, "target": 8, "probationary": 20, "full": 25}
STAGE_STEP_RANGE = {"applicant": (0, 2), "activist": (3, 6), "target": (7, 14), "probationary": (17, 22),
                    "full": (24, 25)}


def allowed_next(reached: int) -> list[str]:
    """The spine steps that may come after ``reached`` (the last step done)."""
    if reached >= 25:
        return []
    kinds = []
    step = STEP_BY_NUMBER.get(reached)
    if step is not None and step.repeatable:
        kinds.append(step.kind)
    nxt = STEP_BY_NUMBER[reached + 1]
    kinds.append(nxt.kind)
    return kinds


def step_order(kind: str, reached: int, status: str, stage: str) -> Violation | None:
    """MEMBERS.STEP_ORDER: the 25 steps are recorded in their order (细则 art. 5 and its procedure chart)."""
    step = STEP_BY_KIND[kind]
    if status != "active":
        return Violation("MEMBERS.STEP_ORDER",
                         en=f"the person's status is {status}: no step of the procedure can be recorded",
                         zh="该同志当前不是正常状态（已停止党籍或已离开），不能记录发展程序步骤",
                         facts={"status": status})
    if step.number is None:
        low, high = SIDE_WINDOWS[kind]
        if low <= reached <= high:
            return None
        first = STEP_BY_NUMBER[low] if low > reached else None
        when = (f"after step {low} ({first.en})" if first else
                f"before step {high + 1} ({STEP_BY_NUMBER[high + 1].en})")
        when_zh = (f"第{low}步（{first.zh}）之后" if first else f"第{high + 1}步（{STEP_BY_NUMBER[high + 1].zh}）之前")
        return Violation("MEMBERS.STEP_ORDER", en=f"the {step.en} belongs {when}; the last step done is {reached}",
                         zh=f"{step.zh}应在{when_zh}进行，目前已完成到第{reached}步",
                         facts={"kind": kind, "reached": reached})
    expected = allowed_next(reached)
    if kind in expected:
        return None
    if not expected:
        return Violation("MEMBERS.STEP_ORDER", en="the procedure is complete: every step is recorded",
                         zh="发展程序已全部完成", facts={"reached": reached})
    nxt = STEP_BY_KIND[expected[-1]]
    return Violation(
        "MEMBERS.STEP_ORDER",
        en=f"step {step.number} ({step.en}) cannot be recorded now: the last step done is {reached}, "
           f"the next is step {nxt.number} ({nxt.en})",
        zh=f"不能记录第{step.number}步（{step.zh}）：目前已完成到第{reached}步，下一步应为第{nxt.number}步（{nxt.zh}）",
        facts={"kind": kind, "reached": reached, "next": nxt.kind})


def reversal_order(is_latest: bool, kind: str) -> Violation | None:
    """MEMBERS.STEP_ORDER: a mistaken record is reversed last-first, so that the order stays true."""
    if is_latest:
        return None
    return Violation("MEMBERS.STEP_ORDER",
                     en=f"only the latest record can be reversed; reverse the records after this {kind} first",
                     zh="只能撤销最近一条记录，请先撤销其后的记录", facts={"kind": kind})


# ----------------------------------------------------------------------------- counting helpers

def due(day: date, move_off_holidays: bool) -> date:
    """A deadline's last day; moved to the next working day only when configured (Counting dates)."""
    if not move_off_holidays:
        return day
    try:
        return next_working_day(day)
    except CalendarNotPublished:
        return day  # the year's holidays are not published: the calendar day stands


def _late(days: int) -> str:
    return f"{days} day{'s' if days != 1 else ''}"


def _deadline(code: str, what_en: str, what_zh: str, from_en: str, from_zh: str, base: date,
              due_on: date, done_on: date) -> Violation | None:
    if done_on <= due_on:
        return None
    late = (done_on - due_on).days
    return Violation(code,
                     en=f"{what_en} was due by {due_on} ({from_en} {base}); it happened on {done_on}, "
                        f"{_late(late)} late",
                     zh=f"{what_zh}应在{due_on}前完成（{from_zh}{base}），实际于{done_on}完成，逾期{late}天",
                     facts={"base": base, "due_on": due_on, "done_on": done_on, "days_late": late})


# ----------------------------------------------------------------------------- stage 1: applicant

def min_age(birth: date, applied_on: date, years: int, feb29: str) -> Violation | None:
    """MEMBERS.MIN_AGE: an applicant is 18 or older on the application date (党章 art. 1)."""
    if age_on(birth, applied_on, feb29) >= years:
        return None
    reached = birthday_reached(birth, years, feb29)
    return Violation("MEMBERS.MIN_AGE",
                     en=f"the applicant turns {years} on {reached}; an application can be accepted from then "
                        f"(it is dated {applied_on})",
                     zh=f"申请人于{reached}年满{years}周岁，此后方可递交入党申请（申请日期为{applied_on}）",
                     facts={"birth_date": birth, "applied_on": applied_on, "reaches_age_on": reached})


def talk_due(applied_on: date, months: int, move: bool = False) -> date:
    return due(add_months(applied_on, months), move)


def talk_deadline(applied_on: date, talked_on: date, months: int, move: bool = False) -> Violation | None:
    """MEMBERS.TALK_DEADLINE: the branch talks with the applicant within 1 month of the application (细则 art. 7)."""
    return _deadline("MEMBERS.TALK_DEADLINE", "the talk with the applicant", "与入党申请人谈话",
                     "1 month after the application of", "入党申请日", applied_on,
                     talk_due(applied_on, months, move), talked_on)


# ----------------------------------------------------------------------------- stage 2: activist

ACTIVIST_SOURCES = ("member_recommendation", "league_recommendation", "mass_organization_recommendation")
ACTIVIST_DECIDERS = ("branch_committee", "branch_general_meeting")


def activist_source(source: str, decided_by: str, recommenders: list[str]) -> Violation | None:
    """MEMBERS.ACTIVIST_SOURCE: chosen by member or league / mass-organization recommendation (推优), decided by
    the committee (细则 art. 9)."""
    if source not in ACTIVIST_SOURCES:
        return Violation("MEMBERS.ACTIVIST_SOURCE",
                         en="an activist is chosen on recommendation by party members or by the league or a mass "
                            f"organization (推优); '{source}' is not one of them",
                         zh="入党积极分子须经党员推荐或群团组织推优产生",
                         facts={"source": source})
    if source == "member_recommendation" and not recommenders:
        return Violation("MEMBERS.ACTIVIST_SOURCE",
                         en="a recommendation by party members names the members who recommend",
                         zh="党员推荐须写明推荐党员", facts={"source": source})
    if decided_by not in ACTIVIST_DECIDERS:
        return Violation("MEMBERS.ACTIVIST_SOURCE",
                         en="the branch committee (or, without a committee, the general meeting) decides an "
                            f"activist; '{decided_by}' cannot",
                         zh="入党积极分子须经支部委员会（不设支委会的由支部党员大会）研究决定",
                         facts={"decided_by": decided_by})
    return None


@dataclass(frozen=True)
class MemberFacts:
    """What a rule needs to know of a party member named in a step (sponsor, introducer, voter)."""
    id: str
    name: str
    stage: str | None           # None: not a person known here
    status: str | None
    full_member_since: date | None = None
    party_probation_since: date | None = None   # 留党察看
    rights_restored_on: date | None = None

    def full_on(self, on: date) -> bool:
        return (self.stage == "full" and self.status == "active"
                and (self.full_member_since is None or self.full_member_since <= on))

    def under_party_probation(self, on: date) -> bool:
        if self.party_probation_since is None or self.party_probation_since > on:
            return False
        return self.rights_restored_on is None or self.rights_restored_on > on


def sponsors(people: list[MemberFacts], on: date, least: int, most: int) -> Violation | None:
    """MEMBERS.SPONSORS (gate): 1-2 full members sponsor each activist (培养联系人, 细则 art. 11)."""
    named = len({p.id for p in people})
    if not least <= named <= most or named != len(people):
        return Violation("MEMBERS.SPONSORS",
                         en=f"an activist has {least} to {most} different sponsors; {were(named, 'named')}",
                         zh=f"应指定{least}至{most}名正式党员作培养联系人，现为{named}名",
                         facts={"named": named})
    for p in people:
        if not p.full_on(on):
            return Violation("MEMBERS.SPONSORS",
                             en=f"sponsor {p.name or p.id} is not a full party member in good standing on {on}",
                             zh=f"培养联系人{p.name or p.id}在{on}不是正式党员", facts={"sponsor": p.id})
    return None


def assessment_due(last_on: date, months: int, move: bool = False) -> date:
    return due(add_months(last_on, months), move)


def assessment_deadline(last_on: date, assessed_on: date, months: int, move: bool = False) -> Violation | None:
    """MEMBERS.SPONSORS (deadline): the activist is assessed every 6 months (细则 art. 12)."""
    return _deadline("MEMBERS.SPONSORS", "the six-monthly assessment", "半年一次的培养考察",
                     "6 months after", "上次考察或确定积极分子之日", last_on,
                     assessment_due(last_on, months, move), assessed_on)


def cultivation_ends(activist_since: date, years: int) -> date:
    return add_years(activist_since, years)


def cultivation_period(activist_since: date, decided_on: date, years: int) -> Violation | None:
    """MEMBERS.CULTIVATION_PERIOD: at least 1 year as activist before becoming a target (细则 art. 13)."""
    ends = cultivation_ends(activist_since, years)
    if decided_on >= ends:
        return None
    return Violation("MEMBERS.CULTIVATION_PERIOD",
                     en=f"the activist period ends on {ends}; a development target can be decided from then "
                        f"(activist since {activist_since})",
                     zh=f"入党积极分子培养期至{ends}届满（{activist_since}确定为积极分子），届满后方可确定为发展对象",
                     facts={"activist_since": activist_since, "ends_on": ends, "decided_on": decided_on})


def notice_ends(starts_on: date, working_days: int) -> date:
    """The earliest last day of a notice of ``working_days`` working days (raises CalendarNotPublished)."""
    return add_working_days(starts_on, working_days)


def public_notice_length(starts_on: date, ends_on: date, working_days: int) -> Violation | None:
    """MEMBERS.PUBLIC_NOTICE: a public notice (公示) lasts at least 5 working days (*config*)."""
    earliest = notice_ends(starts_on, working_days)
    if ends_on >= earliest:
        return None
    return Violation("MEMBERS.PUBLIC_NOTICE",
                     en=f"a public notice from {starts_on} lasts {working_days} working days, until {earliest} "
                        f"at the earliest; this one ends on {ends_on}",
                     zh=f"自{starts_on}起公示{working_days}个工作日，应至少公示至{earliest}，本次公示于{ends_on}结束",
                     facts={"starts_on": starts_on, "ends_on": ends_on, "earliest_end": earliest})


def notice_before(step_en: str, step_zh: str, notice_ends_on: date | None, step_on: date,
                  objections: bool = False) -> Violation | None:
    """MEMBERS.PUBLIC_NOTICE: the notice is over, and raised no objections left uncleared, before the target
    decision and before admission."""
    if notice_ends_on is None:
        return Violation("MEMBERS.PUBLIC_NOTICE",
                         en=f"a public notice of at least the configured working days comes before the {step_en}; "
                            "none is recorded",
                         zh=f"{step_zh}前须进行公示，尚无公示记录", facts={})
    if objections:
        return Violation("MEMBERS.PUBLIC_NOTICE",
                         en=f"the public notice ending {notice_ends_on} raised objections; clear them and "
                            f"publish the notice again before the {step_en}",
                         zh=f"公示（至{notice_ends_on}）期间有异议未查清，须查清后重新公示", facts={})
    if step_on > notice_ends_on:
        return None
    can = notice_ends_on + timedelta(days=1)
    return Violation("MEMBERS.PUBLIC_NOTICE",
                     en=f"the public notice runs until {notice_ends_on}; the {step_en} can happen from {can}",
                     zh=f"公示期至{notice_ends_on}结束，{step_zh}应在{can}及以后进行",
                     facts={"notice_ends_on": notice_ends_on, "can_happen_from": can, "step_on": step_on})


# ----------------------------------------------------------------------------- stage 3: target

def introducers(people: list[MemberFacts], on: date, count: int, person_id: str) -> Violation | None:
    """MEMBERS.INTRODUCERS: two full members introduce; none under 留党察看 without restored rights (党章 art. 5)."""
    ids = {p.id for p in people}
    if len(people) != count or len(ids) != count:
        return Violation("MEMBERS.INTRODUCERS",
                         en=f"{count} different full members introduce a candidate; {were(len(ids), 'named')}",
                         zh=f"须有{count}名正式党员作入党介绍人，现为{len(ids)}名", facts={"named": len(ids)})
    for p in people:
        if p.id == person_id:
            return Violation("MEMBERS.INTRODUCERS", en="a candidate cannot introduce themself",
                             zh="本人不能作自己的入党介绍人", facts={"introducer": p.id})
        if p.under_party_probation(on):
            return Violation("MEMBERS.INTRODUCERS",
                             en=f"introducer {p.name} is under 留党察看 (probation within the party, since "
                                f"{p.party_probation_since}) and has not had rights restored",
                             zh=f"入党介绍人{p.name}正在留党察看期间（自{p.party_probation_since}），未恢复党员权利，不能作入党介绍人",
                             facts={"introducer": p.id, "since": p.party_probation_since})
        if not p.full_on(on):
            return Violation("MEMBERS.INTRODUCERS",
                             en=f"introducer {p.name or p.id} is not a full party member on {on}",
                             zh=f"入党介绍人{p.name or p.id}在{on}不是正式党员", facts={"introducer": p.id})
    return None


def political_review(conclusion: str, covers_person: bool, covers_relatives: bool) -> Violation | None:
    """MEMBERS.POLITICAL_REVIEW: a written conclusion on the person and close relatives before admission
    (细则 art. 16-17)."""
    if not (covers_person and covers_relatives):
        return Violation("MEMBERS.POLITICAL_REVIEW",
                         en="the political review covers the person and the close relatives (parents, spouse, "
                            "children, and those in close contact)",
                         zh="政治审查应包括本人及其直系亲属和与本人关系密切的主要社会关系",
                         facts={"covers_person": covers_person, "covers_relatives": covers_relatives})
    if conclusion != "qualified":
        return Violation("MEMBERS.POLITICAL_REVIEW",
                         en="the political review did not conclude 'qualified': the person cannot be developed",
                         zh="政治审查结论不合格的，不能发展入党", facts={"conclusion": conclusion})
    return None


def relative_review(needed: bool, recorded_conclusion: str | None, leader_ids: set[str], introducer_ids: set[str],
                    recused: set[str] | None, voting_leader_ids: set[str]) -> Violation | None:
    """MEMBERS.RELATIVE_REVIEW: a near relative of a grassroots leader needs the extra review (近亲属入党审查)
    before admission; that leader neither introduces nor votes on the case."""
    if not needed:
        return None
    if recorded_conclusion is None:
        return Violation("MEMBERS.RELATIVE_REVIEW",
                         en="the candidate is a near relative of a grassroots leader: the extra review "
                            "(近亲属入党审查) is recorded before admission",
                         zh="发展对象系基层干部近亲属，接收前须进行近亲属入党审查", facts={})
    if recorded_conclusion != "approved":
        return Violation("MEMBERS.RELATIVE_REVIEW", en="the review of the leader's near relative did not approve",
                         zh="近亲属入党审查未通过", facts={"conclusion": recorded_conclusion})
    both = leader_ids & introducer_ids
    if both:
        return Violation("MEMBERS.RELATIVE_REVIEW",
                         en="a related leader cannot be the candidate's introducer",
                         zh="相关基层干部不能担任其近亲属的入党介绍人", facts={"leaders": sorted(both)})
    if recused is not None:
        voting = voting_leader_ids - recused
        if voting:
            return Violation("MEMBERS.RELATIVE_REVIEW",
                             en="a related leader who belongs to the branch stands aside from the vote; list them "
                                "in 'recused'",
                             zh="相关基层干部应回避表决", facts={"leaders": sorted(voting)})
    return None


def joint_review(conclusions: dict[str, str], departments: list[str]) -> Violation | None:
    """MEMBERS.JOINT_REVIEW: discipline and law-enforcement departments review jointly (政审联审, *config*)."""
    missing = [d for d in departments if d not in conclusions]
    if missing:
        return Violation("MEMBERS.JOINT_REVIEW",
                         en=f"the joint review lacks the opinion of: {', '.join(missing)}",
                         zh=f"政审联审缺少以下部门意见：{'、'.join(zh_value(d) for d in missing)}",
                         facts={"missing": missing})
    objecting = [d for d in departments if conclusions[d] != "no_objection"]
    if objecting:
        return Violation("MEMBERS.JOINT_REVIEW",
                         en=f"the joint review found objections from: {', '.join(objecting)}",
                         zh=f"政审联审中以下部门提出异议：{'、'.join(zh_value(d) for d in objecting)}",
                         facts={"objecting": objecting})
    return None


def target_training(days: float | None, hours: float | None, min_days: int, min_hours: float, *,
                    assessment: str | None) -> Violation | None:
    """MEMBERS.TARGET_TRAINING: centralized training of at least 3 days or 24 class hours, completed and passed
    (结业: its assessment passed) before admission (细则 art. 18)."""
    if assessment != "passed":
        m = msg("members-training-not-passed", assessment=assessment or "none")
        return Violation("MEMBERS.TARGET_TRAINING", en=m.en, zh=m.zh, facts={"assessment": assessment})
    if (days or 0) >= min_days or (hours or 0) >= min_hours:
        return None
    return Violation("MEMBERS.TARGET_TRAINING",
                     en=f"centralized training lasts at least {min_days} days or {min_hours:g} class hours; "
                        f"{days or 0} days and {hours or 0:g} hours are recorded",
                     zh=f"集中培训时间一般不少于{min_days}天（不少于{min_hours:g}个学时），现记录{days or 0}天、{hours or 0:g}学时",
                     facts={"days": days or 0, "hours": hours or 0})


def no_training_known() -> Violation:
    """MEMBERS.TARGET_TRAINING: nothing known from the training service."""
    return Violation("MEMBERS.TARGET_TRAINING",
                     en="no centralized training is known from the training service for this person; record it by "
                        "hand with its evidence",
                     zh="培训服务尚未报送该同志的集中培训记录，可凭证明材料手工登记", facts={})


def pre_review(passed: bool, reviewed_on: date, leaving_on: date | None, months: int) -> Violation | None:
    """MEMBERS.PRE_REVIEW: the upper committee pre-reviews before the vote; not if leaving within 3 months
    (细则 art. 19)."""
    if leaving_on is not None and leaving_on <= add_months(reviewed_on, months):
        return Violation("MEMBERS.PRE_REVIEW",
                         en=f"the candidate leaves the unit on {leaving_on}, within {months} months of the "
                            f"pre-review on {reviewed_on}: the case is not processed",
                         zh=f"发展对象将于{leaving_on}离开工作、学习单位，在预审后{months}个月内，暂不办理",
                         facts={"leaving_on": leaving_on, "reviewed_on": reviewed_on})
    if not passed:
        return Violation("MEMBERS.PRE_REVIEW", en="the upper committee's pre-review did not pass",
                         zh="上级党委预审未通过", facts={})
    return None


# ----------------------------------------------------------------------------- votes and approvals

def general_meeting_vote(code: str, entitled: int, present: int, yes: int, written_yes: int,
                         candidates: int) -> Violation | None:
    """MEMBERS.ADMISSION_VOTE / MEMBERS.CONVERSION: one candidate a vote; quorum more than half of the entitled;
    passes when yes-votes (absent members' written opinions counted) exceed half of the entitled (细则 art. 22)."""
    if candidates != 1:
        return Violation(code, en=f"the general meeting votes on one candidate at a time; this vote had {candidates}",
                         zh=f"支部党员大会讨论应逐个进行表决，本次为{candidates}人", facts={"candidates": candidates})
    if present * 2 <= entitled:
        return Violation(code,
                         en=f"{present} of {entitled} entitled members were present; more than half must be "
                            "present for the meeting to vote",
                         zh=f"应到会有表决权的党员{entitled}人，实到{present}人，未超过半数，不能进行表决",
                         facts={"entitled": entitled, "present": present})
    total_yes = yes + written_yes
    if total_yes * 2 <= entitled:
        return Violation(code,
                         en=f"{total_yes} of {entitled} entitled members voted yes (written opinions included); "
                            "more than half of the entitled must vote yes",
                         zh=f"赞成人数{total_yes}人（含书面意见），未超过应到会有表决权党员{entitled}人的半数，未能通过",
                         facts={"entitled": entitled, "yes": total_yes})
    return None


def approving_level(kind: str | None, parent_kind: str | None, is_upper: bool,
                    kinds: list[str]) -> Violation | None:
    """MEMBERS.APPROVAL_DEADLINE (the approving level is a gate): the upper committee approves; committees under a
    township may not (细则 art. 24)."""
    if kind is None:
        return Violation("MEMBERS.APPROVAL_DEADLINE", en="the approving unit is not a unit known here",
                         zh="审批单位不存在", facts={})
    allowed = kind in kinds or (kind == "grassroots_committee" and parent_kind in kinds and parent_kind != "township")
    if not allowed:
        return Violation("MEMBERS.APPROVAL_DEADLINE",
                         en=f"a {kind.replace('_', ' ')} cannot approve admission: the approving committee is at "
                            "township level or above",
                         zh="乡镇（街道）以下的党组织无权审批发展党员", facts={"kind": kind, "parent_kind": parent_kind})
    if not is_upper:
        return Violation("MEMBERS.APPROVAL_DEADLINE",
                         en="the approving committee must be one of the upper committees of the person's branch",
                         zh="审批单位应为该同志所在党支部的上级党委", facts={"kind": kind})
    return None


def approval_due(voted_on: date, months: int, move: bool = False) -> date:
    return due(add_months(voted_on, months), move)


def approval_deadline(voted_on: date, approved_on: date, special: bool, months: int, special_months: int,
                      move: bool = False) -> Violation | None:
    """MEMBERS.APPROVAL_DEADLINE: the upper committee approves within 3 months of the vote, up to 6 in special
    cases (细则 art. 25)."""
    limit = special_months if special else months
    what = f"approval ({'special case, ' if special else ''}within {limit} months of the vote)"
    return _deadline("MEMBERS.APPROVAL_DEADLINE", what, f"上级党委审批（{limit}个月内）",
                     "the general meeting voted on", "支部党员大会讨论日", voted_on,
                     approval_due(voted_on, limit, move), approved_on)


def probation_ends(voted_on: date, years: int, extension_months: int = 0) -> date:
    """MEMBERS.PROBATION: probation is 1 year from the admission vote (党章 art. 7), plus any extension."""
    return add_months(add_years(voted_on, years), extension_months)


def probation(ends_on: date, voted_on: date) -> Violation | None:
    """MEMBERS.PROBATION: the conversion is discussed when the probation ends, not before (细则 art. 32)."""
    if voted_on >= ends_on:
        return None
    return Violation("MEMBERS.PROBATION",
                     en=f"the probation ends on {ends_on}; the conversion vote can happen from then",
                     zh=f"预备期至{ends_on}届满，届满后方可讨论转正", facts={"ends_on": ends_on, "voted_on": voted_on})


def oath_due(approved_on: date, months: int, move: bool = False) -> date:
    return due(add_months(approved_on, months), move)


def oath_deadline(approved_on: date, oath_on: date, months: int, move: bool = False) -> Violation | None:
    """MEMBERS.OATH: the oath within 1 month of the approval (*config*)."""
    return _deadline("MEMBERS.OATH", "the oath", "入党宣誓", f"{plural(months, 'month')} after the approval of",
                     "上级党委批准日", approved_on, oath_due(approved_on, months, move), oath_on)


def extension(months: int, used: int, least: int, most: int, allowed: int) -> Violation | None:
    """MEMBERS.CONVERSION: the probation may be extended once, by 6 to 12 months (党章 art. 7)."""
    if used >= allowed:
        return Violation("MEMBERS.CONVERSION",
                         en="the probation was already extended once; it cannot be extended again: convert or cancel",
                         zh="预备期只能延长一次，已延长过的应转正或取消预备党员资格", facts={"extensions": used})
    if not least <= months <= most:
        return Violation("MEMBERS.CONVERSION",
                         en=f"an extension of the probation is {least} to {most} months; {plural(months, 'month')} "
                            "proposed",
                         zh=f"延长预备期的时间为{least}至{most}个月，现为{months}个月", facts={"months": months})
    return None


def conversion_approval_due(voted_on: date, months: int, move: bool = False) -> date:
    return due(add_months(voted_on, months), move)


def conversion_approval_deadline(voted_on: date, approved_on: date, months: int,
                                 move: bool = False) -> Violation | None:
    """MEMBERS.CONVERSION (deadline): the upper committee approves the conversion within 3 months of the vote."""
    return _deadline("MEMBERS.CONVERSION", "the conversion approval", "转正审批", "the conversion vote of",
                     "支部党员大会讨论转正日", voted_on, conversion_approval_due(voted_on, months, move), approved_on)


# ----------------------------------------------------------------------------- management

def party_member(code: str, stage: str) -> Violation | None:
    """MEMBERS.OUT_OF_CONTACT / MEMBERS.UNQUALIFIED: suspension, removal and their steps apply to party members
    (probationary or full) only (管理条例 art. 31; 处置办法)."""
    if stage in ("probationary", "full"):
        return None
    return Violation(code, en="this applies to party members (probationary or full)",
                     zh="此项仅适用于党员（含预备党员）", facts={"stage": stage})


def out_of_contact_suspension(since: date | None, on: date, months: int) -> Violation | None:
    """MEMBERS.OUT_OF_CONTACT: a member out of contact for 6+ months is suspended (停止党籍, 管理条例 art. 31)."""
    if since is None:
        return Violation("MEMBERS.OUT_OF_CONTACT", en="the member is not recorded as out of contact",
                         zh="该党员未登记为失联党员", facts={})
    can = add_months(since, months)
    if on >= can:
        return None
    return Violation("MEMBERS.OUT_OF_CONTACT",
                     en=f"out of contact since {since}: the membership can be suspended from {can}",
                     zh=f"该党员自{since}失去联系，满{months}个月（{can}）后方可停止党籍",
                     facts={"since": since, "can_happen_from": can})


def out_of_contact_removal(suspended_on: date | None, on: date, years: int) -> Violation | None:
    """MEMBERS.OUT_OF_CONTACT: after 2 years suspended without contact, the member is removed (除名)."""
    if suspended_on is None:
        return Violation("MEMBERS.OUT_OF_CONTACT", en="the membership was never suspended for lost contact",
                         zh="该党员未被停止党籍", facts={})
    can = add_years(suspended_on, years)
    if on >= can:
        return None
    return Violation("MEMBERS.OUT_OF_CONTACT",
                     en=f"suspended since {suspended_on}: removal can be decided from {can}",
                     zh=f"该党员自{suspended_on}停止党籍，满{years}年（{can}）后仍无法取得联系的方可除名",
                     facts={"suspended_on": suspended_on, "can_happen_from": can})


def correction_period(starts_on: date, until: date, most_months: int) -> Violation | None:
    """MEMBERS.UNQUALIFIED: correction within a deadline (限期改正) of at most 1 year (处置办法)."""
    latest = add_months(starts_on, most_months)
    if starts_on < until <= latest:
        return None
    return Violation("MEMBERS.UNQUALIFIED",
                     en=f"a correction period starting {starts_on} ends after it and by {latest} at the latest; "
                        f"{until} was given",
                     zh=f"限期改正期限最长{most_months}个月，自{starts_on}起应不晚于{latest}，现为{until}",
                     facts={"starts_on": starts_on, "until": until, "latest": latest})


def removal_ground(ground: str, on: date, since: date | None, correction_until: date | None,
                   persuasion_refused: bool, months: int) -> Violation | None:
    """MEMBERS.UNQUALIFIED: removal (除名) on a ground the rules name: 6 months without party life, dues or work;
    a correction that failed; persuasion to withdraw refused (党章 art. 9)."""
    if ground == "no_party_life":
        if since is None:
            return Violation("MEMBERS.UNQUALIFIED", en="give the date since which the member has had no party life, "
                             "paid no dues and done no assigned work", zh="请注明不参加组织生活、不交纳党费、不做党所分配工作的起始日期",
                             facts={})
        can = add_months(since, months)
        if on >= can:
            return None
        return Violation("MEMBERS.UNQUALIFIED",
                         en=f"without party life since {since}: the {months} months are complete on {can}; removal "
                            "can be decided from then",
                         zh=f"自{since}起连续{months}个月（至{can}）不参加组织生活、不交纳党费或不做分配工作的，方可除名",
                         facts={"since": since, "can_happen_from": can})
    if ground == "correction_failed":
        if correction_until is None:
            return Violation("MEMBERS.UNQUALIFIED", en="no correction period (限期改正) is recorded for this member",
                             zh="该党员没有限期改正记录", facts={})
        if on > correction_until:
            return None
        return Violation("MEMBERS.UNQUALIFIED",
                         en=f"the correction period runs until {correction_until}; removal can be decided after it",
                         zh=f"限期改正期至{correction_until}，期满仍无转变的方可除名", facts={"until": correction_until})
    if ground == "persuasion_refused":
        if persuasion_refused:
            return None
        return Violation("MEMBERS.UNQUALIFIED", en="no refused persuasion to withdraw (劝退) is recorded",
                         zh="没有劝而不退的记录", facts={})
    return Violation("MEMBERS.UNQUALIFIED", en=f"'{ground}' is not a ground for removal", zh="除名理由不成立",
                     facts={"ground": ground})


def transfer_eligible(stage: str, status: str, open_transfer: bool) -> Violation | None:
    """MEMBERS.TRANSFER: a member's organizational relationship (组织关系) moves by transfer, one at a time."""
    if stage not in ("probationary", "full") or status != "active":
        return Violation("MEMBERS.TRANSFER",
                         en="only a party member (probationary or full) in good standing transfers an "
                            "organizational relationship",
                         zh="只有正常状态的党员（含预备党员）办理组织关系转接", facts={"stage": stage, "status": status})
    if open_transfer:
        return Violation("MEMBERS.TRANSFER", en="a transfer of this member is already under way; finish it first",
                         zh="该党员已有正在办理的组织关系转接", facts={})
    return None


def transfer_due(away_since: date, months: int) -> date:
    """MEMBERS.TRANSFER: a member away 6+ months at a fixed place transfers (管理条例 art. 25)."""
    return add_months(away_since, months)


def review_grades(excellent: int, graded: int, probationary_graded: list[str], share: tuple[int, int],
                  year: int) -> Violation | None:
    """LIFE.MEMBER_REVIEW: 优秀 at most 1/3 of the members graded; probationary members are not graded (条例 art. 24)."""
    if probationary_graded:
        return Violation("LIFE.MEMBER_REVIEW",
                         en="probationary members take part in the democratic review but are not graded",
                         zh="预备党员参加民主评议，但不确定等次", facts={"people": probationary_graded})
    num, den = share
    if excellent * den > graded * num:
        most = graded * num // den
        return Violation("LIFE.MEMBER_REVIEW",
                         en=f"at most {num}/{den} of the members graded may be 优秀 (excellent): {most} of {graded} "
                            f"in {year}; {were(excellent, 'given')}",
                         zh=f"评为优秀的党员不超过参评党员的{num}/{den}：{year}年参评{graded}人，最多{most}人，现为{excellent}人",
                         facts={"excellent": excellent, "graded": graded, "most": most})
    return None


def points_cap(category: str, already: float, points: float, cap: float | None, year: int,
               source: str) -> Violation | None:
    """MEMBERS.POINTS: quantified points (量化积分) follow the city's scheme, each part within its cap (*config*)."""
    if cap is None:
        return Violation("MEMBERS.POINTS", en=f"the city's points scheme has no source '{source}'",
                         zh=f"本市积分方案没有“{source}”积分项", facts={"source": source})
    if already + points <= cap + 1e-9:
        return None
    return Violation("MEMBERS.POINTS",
                     en=f"the {category} part of the points scheme is capped at {cap:g} a year; {already:g} are "
                        f"already awarded in {year}, {points:g} more would exceed it",
                     zh=f"积分方案中{category}部分每年最高{cap:g}分，{year}年已得{already:g}分，再加{points:g}分将超出上限",
                     facts={"category": category, "cap": cap, "already": already, "points": points})


def points_within_cap(points: float, already: float, cap: float | None) -> float:
    """MEMBERS.POINTS: what an automatic award may add, the year's cap of its part not exceeded (*config*)."""
    if cap is None:
        return 0.0
    return round(max(0.0, min(points, cap - already)), 2)


def member_for_points(stage: str, status: str) -> Violation | None:
    """MEMBERS.POINTS: points are kept for party members (probationary and full) on the roll."""
    if stage in ("probationary", "full") and status != "left":
        return None
    return Violation("MEMBERS.POINTS", en="quantified points are kept for party members on the roll",
                     zh="量化积分仅适用于在册党员", facts={"stage": stage, "status": status})


def no_development(last_admitted_on: date | None, today: date, years: int) -> Violation | None:
    """MEMBERS.NO_DEVELOPMENT (report): a village with no new member in 3+ years is flagged (the plan)."""
    since = add_years(today, -years)
    if last_admitted_on is not None and last_admitted_on > since:
        return None
    return Violation("MEMBERS.NO_DEVELOPMENT",
                     en=(f"no new member since {last_admitted_on}" if last_admitted_on else "no new member on record")
                        + f": none in the {years} years since {since}",
                     zh=(f"自{last_admitted_on}以来" if last_admitted_on else "") + f"连续{years}年以上未发展党员",
                     facts={"last_admitted_on": last_admitted_on, "since": since})


def party_standing_years(full_member_since: date | None, today: date) -> int | None:
    """Party standing (党龄) counts from the conversion (党章 art. 7)."""
    if full_member_since is None or full_member_since > today:
        return None
    return age_on(full_member_since, today)


# ----------------------------------------------------------------------------- party dues (DUES.*)
# 规定 = 关于中国共产党党费收缴、使用和管理的规定 (2008), part 一 "党费的收缴" (items 1-10); 党章 art. 9.
# Amounts are Decimal (never float), in yuan, rounded to the fen half up; the *config* values are text
# ("0.005") so that a rules file in JSON cannot turn them into binary fractions.

DEFAULTS.update({
    #: DUES.RATE (规定 一.2): employed, the whole base at the rate of its bracket, each inclusive at its top
    "dues_employed_brackets": [["3000.00", "0.005"], ["5000.00", "0.01"], ["10000.00", "0.015"], [None, "0.02"]],
    #: DUES.RATE (规定 一.3): retired, on the pension actually received
    "dues_retired_brackets": [["5000.00", "0.005"], [None, "0.01"]],
    #: DUES.RATE (规定 一.5): students, unemployed members, members on minimum living support: a flat amount
    "dues_flat_amounts": {"student": "0.20", "unemployed": "0.20", "minimum_living": "0.20"},
    #: DUES.RATE (规定 一.4): farmers pay 0.2 to 1 yuan a month (the branch sets it; the lower bound by default)
    "dues_farmer_range": ["0.20", "1.00"],
    #: DUES.MONTHLY (规定 一.8): paid in advance at most this many months after the month of payment
    "dues_advance_months": 12,
    #: DUES.ARREARS (党章 art. 9): the branch is warned at 3 months unpaid; 6 are a ground (自行脱党)
    "dues_arrears_alert_months": 3,
    "dues_arrears_ground_months": 6,
})

#: the rules members declares (docs/rules.md is generated from it: ``zhibu rules``)
RULEBOOK = Rulebook("members", DEFAULTS)
RULEBOOK.declare("MEMBERS.STEP_ORDER", "gate", "细则 art. 5",
                 "The 25 steps are recorded in their order; a mistaken record is reversed last-first.")
RULEBOOK.declare("MEMBERS.MIN_AGE", "gate", "党章 art. 1",
                 "An applicant is 18 or older on the application date.", config=("min_age", "feb29_birthday"))
RULEBOOK.declare("MEMBERS.TALK_DEADLINE", "deadline", "细则 art. 7",
                 "The branch talks with the applicant within 1 month of the application.", config=("talk_months",))
RULEBOOK.declare("MEMBERS.ACTIVIST_SOURCE", "gate", "细则 art. 9",
                 "An activist is chosen by member or league / mass-organization recommendation (推优), decided by "
                 "the committee, filed upward.")
RULEBOOK.declare("MEMBERS.SPONSORS", ("gate", "deadline"), "细则 art. 11-12",
                 "1-2 full members sponsor each activist (the gate); the activist is assessed every 6 months (the "
                 "deadline).",
                 config=("sponsors_min", "sponsors_max", "assessment_months"))
RULEBOOK.declare("MEMBERS.CULTIVATION_PERIOD", "gate", "细则 art. 13",
                 "At least 1 year as activist before becoming a development target.", config=("cultivation_years",))
RULEBOOK.declare("MEMBERS.PUBLIC_NOTICE", "gate", "细则",
                 "A public notice (公示) of at least 5 working days, without objections left uncleared, before "
                 "the target decision and before admission.",
                 config=("notice_working_days",))
RULEBOOK.declare("MEMBERS.INTRODUCERS", "gate", "党章 art. 5; 细则 art. 15",
                 "Two full members introduce; none under 留党察看 without restored rights.", config=("introducers",))
RULEBOOK.declare("MEMBERS.POLITICAL_REVIEW", "gate", "细则 art. 16-17",
                 "A written political-review conclusion on the person and close relatives before admission.")
RULEBOOK.declare("MEMBERS.RELATIVE_REVIEW", "gate", "近亲属入党审查",
                 "A near relative of a grassroots leader needs the extra review before admission; that leader "
                 "neither introduces nor votes on the case.")
RULEBOOK.declare("MEMBERS.JOINT_REVIEW", "gate", "政审联审",
                 "Discipline and law-enforcement departments review jointly before admission.",
                 config=("joint_review_departments",))
RULEBOOK.declare("MEMBERS.TARGET_TRAINING", "gate", "细则 art. 18",
                 "Centralized training of at least 3 days or 24 class hours, completed and passed, before "
                 "admission (the training service reports it).",
                 config=("target_training_days", "target_training_hours"))
RULEBOOK.declare("MEMBERS.PRE_REVIEW", "gate", "细则 art. 19",
                 "The upper committee pre-reviews before the vote; not for someone leaving the unit within 3 "
                 "months.",
                 config=("pre_review_leaving_months",))
RULEBOOK.declare("MEMBERS.ADMISSION_VOTE", "gate", "细则 art. 22",
                 "One candidate a vote; quorum more than half of the entitled; passes when yes-votes (absent "
                 "members' written opinions counted) exceed half of the entitled full members.")
RULEBOOK.declare("MEMBERS.APPROVAL_DEADLINE", ("deadline", "gate"), "细则 art. 24-25",
                 "The upper committee talks, then approves within 3 months of the vote (6 in special cases); "
                 "committees under a township may not approve (the gate).",
                 config=("approval_months", "approval_special_months", "approving_unit_kinds"))
RULEBOOK.declare("MEMBERS.PROBATION", "gate", "党章 art. 7; 细则 art. 32",
                 "Probation is 1 year from the admission vote (plus any extension); the conversion is discussed "
                 "when it ends, not before.",
                 config=("probation_years",))
RULEBOOK.declare("MEMBERS.OATH", "deadline", "细则",
                 "The oath within 1 month of the approval.", config=("oath_months",))
RULEBOOK.declare("MEMBERS.CONVERSION", ("gate", "deadline"), "党章 art. 7; 细则 art. 33",
                 "The conversion vote at the end of probation and one extension of 6-12 months (gates); the "
                 "upper committee approves within 3 months of the vote (the deadline).",
                 config=("conversion_approval_months", "extension_min_months", "extension_max_months",
                         "extensions_allowed"))
RULEBOOK.declare("MEMBERS.NO_DEVELOPMENT", "report", "the plan",
                 "A village with no new member in 3+ years is flagged.", config=("no_development_years",))
RULEBOOK.declare("MEMBERS.TRANSFER", ("gate", "report"), "管理条例 art. 25",
                 "A member away 6+ months at a fixed place transfers the organizational relationship (组织关系), "
                 "one transfer at a time; both branches see it until it completes.",
                 config=("transfer_away_months",))
RULEBOOK.declare("MEMBERS.OUT_OF_CONTACT", ("gate", "deadline"), "管理条例 art. 31",
                 "Out of contact 6+ months: suspended (停止党籍); after 2 years suspended: removed; for party "
                 "members only.",
                 config=("out_of_contact_months", "suspension_removal_years"))
RULEBOOK.declare("MEMBERS.UNQUALIFIED", "gate", "党章 art. 9; 处置办法",
                 "Correction within a deadline of at most 1 year (限期改正), persuasion to withdraw (劝退), removal "
                 "(除名) on a ground the rules name: 6 months without party life, dues or work, a failed "
                 "correction, a refused persuasion.",
                 config=("correction_max_months", "no_party_life_months"))
RULEBOOK.declare("MEMBERS.POINTS", "gate", "量化积分",
                 "Points follow the city's scheme (e.g. base 20 + tasks 70 + bonus 10), each part within its cap, "
                 "for party members on the roll.",
                 config=("points_schemes",))
RULEBOOK.declare("DUES.BASE", "gate", "规定 一.1",
                 "The dues base: monthly salary income less individual income tax, pension, medical and "
                 "unemployment insurance and the housing fund, set yearly and recorded with what it came from.")
RULEBOOK.declare("DUES.RATE", "gate", "规定 一.2-5",
                 "Employed ≤3,000 0.5%, ≤5,000 1%, ≤10,000 1.5%, above 2%; retired ≤5,000 0.5%, above 1%; "
                 "students, unemployed, minimum living support 0.2 a month; farmers 0.2-1; to the fen.",
                 config=("dues_employed_brackets", "dues_retired_brackets", "dues_flat_amounts",
                         "dues_farmer_range"))
RULEBOOK.declare("DUES.MONTHLY", "gate", "规定 一.6-8",
                 "Dues are paid monthly; quarterly or in advance (up to a year) with the branch's consent; "
                 "arrears paid later are recorded as such; a probationary member pays from the month of "
                 "admission.",
                 config=("dues_advance_months",))
RULEBOOK.declare("DUES.ARREARS", "deadline", "党章 art. 9",
                 "Six consecutive months unpaid without a valid reason are a ground of MEMBERS.UNQUALIFIED "
                 "(自行脱党); the branch is warned at three.",
                 config=("dues_arrears_alert_months", "dues_arrears_ground_months"))
RULEBOOK.measures("LIFE.MEMBER_REVIEW", config=("review_excellent_share",))

FEN = Decimal("0.01")
DUES_CATEGORIES = ("employed", "retired", "farmer", "student", "unemployed", "minimum_living")
#: the categories whose dues are a share of a base (the others pay a flat amount)
DUES_BASED = ("employed", "retired")
#: what DUES.BASE deducts from the salary income
DUES_DEDUCTIONS = ("income_tax", "pension", "medical", "unemployment", "housing_fund")
DUES_CATEGORY_ZH = {"employed": "在职", "retired": "离退休", "farmer": "农民", "student": "学生",
                    "unemployed": "下岗失业", "minimum_living": "最低生活保障"}


def fen(amount: Decimal) -> Decimal:
    """An amount rounded to the fen (分), half up, as the finance rules round."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def _decimal(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def month_of(day: date) -> date:
    return day.replace(day=1)


def _month_text(month: date) -> str:
    return f"{month.year}-{month.month:02d}"


@dataclass(frozen=True)
class DuesAmount:
    """The monthly dues of one member: the amount, and the rate and base it came from (None for a flat one)."""

    amount: Decimal
    rate: Decimal | None = None
    base: Decimal | None = None


def dues_base(income: list[Decimal], deductions: list[Decimal]) -> tuple[Decimal, Violation | None]:
    """DUES.BASE: the monthly salary income less individual income tax, pension, medical and unemployment
    insurance and the housing fund, recorded with what it was derived from (规定 一.1)."""
    gross = sum((_decimal(v) for v in income), Decimal("0"))
    taken = sum((_decimal(v) for v in deductions), Decimal("0"))
    base = fen(gross - taken)
    if not income:
        return base, Violation("DUES.BASE", en="the dues base is derived from the income: give at least one item",
                               zh="党费计算基数须根据收入项目核定，请至少填写一项收入", facts={})
    if base < 0:
        return base, Violation("DUES.BASE",
                               en=f"the deductions ({fen(taken)}) exceed the income ({fen(gross)})",
                               zh=f"扣除项合计（{fen(taken)}元）超过收入合计（{fen(gross)}元）",
                               facts={"income": str(fen(gross)), "deductions": str(fen(taken))})
    return base, None


def _bracket_rate(base: Decimal, brackets: list) -> Decimal:
    for top, rate in brackets:
        if top is None or base <= _decimal(top):
            return _decimal(rate)
    return _decimal(brackets[-1][1])


def dues_rate(category: str, base: Decimal | None, farmer_amount: Decimal | None,
              cfg: dict) -> DuesAmount | Violation:
    """DUES.RATE: employed ≤3,000 0.5%, ≤5,000 1%, ≤10,000 1.5%, above 2%; retired ≤5,000 0.5%, above 1%;
    students, unemployed, minimum living support 0.2; farmers 0.2-1 (*config*); to the fen (规定 一.2-5)."""
    if category in DUES_BASED:
        if base is None:
            return Violation("DUES.RATE", en=f"a {category} member's dues are a share of the base: give the base",
                             zh=f"{DUES_CATEGORY_ZH[category]}党员按计算基数的比例交纳党费，须有计算基数",
                             facts={"category": category})
        base = _decimal(base)
        rate = _bracket_rate(base, cfg[f"dues_{category}_brackets"])
        return DuesAmount(fen(base * rate), rate, base)
    if category == "farmer":
        low, high = (_decimal(v) for v in cfg["dues_farmer_range"])
        amount = low if farmer_amount is None else _decimal(farmer_amount)
        if not low <= amount <= high:
            return Violation("DUES.RATE", en=f"a farmer pays {low} to {high} yuan a month; {amount} was given",
                             zh=f"农民党员每月交纳党费{low}元至{high}元，填写的是{amount}元",
                             facts={"amount": str(amount), "least": str(low), "most": str(high)})
        return DuesAmount(fen(amount))
    return DuesAmount(fen(_decimal(cfg["dues_flat_amounts"][category])))


def dues_payable_from(stage: str, probationary_since: date | None) -> date | None:
    """DUES.MONTHLY: a probationary member pays from the month of admission (规定 一.7); None: no limit known."""
    if stage == "probationary" and probationary_since is not None:
        return month_of(probationary_since)
    return None


def dues_payment_kind(first: date, last: date, paid_on: date) -> str:
    """DUES.MONTHLY: what a payment of the months ``first``..``last`` made on ``paid_on`` is (规定 一.8):
    ``quarterly`` (a calendar quarter paid within it), ``arrears`` (months before the month of payment, paid
    later), ``advance`` (months after it) or ``monthly``."""
    paid = month_of(paid_on)
    quarter = date(first.year, (first.month - 1) // 3 * 3 + 1, 1)
    if first == quarter and last == add_months(quarter, 2) and first <= paid <= last:
        return "quarterly"
    if first < paid:
        return "arrears"
    if last > paid:
        return "advance"
    return "monthly"


def dues_months(first: date, last: date, paid_on: date, payable_from: date | None,
                advance_months: int) -> Violation | None:
    """DUES.MONTHLY: dues are paid monthly; quarterly or in advance (up to a year, *config*) with the branch's
    consent; arrears may be paid later; a probationary member pays from the month of admission (规定 一.7-8)."""
    if last < first:
        return Violation("DUES.MONTHLY", en=f"the months paid end ({_month_text(last)}) before they begin "
                         f"({_month_text(first)})", zh="交纳党费的截止月份早于起始月份",
                         facts={"from": _month_text(first), "to": _month_text(last)})
    if payable_from is not None and first < payable_from:
        return Violation("DUES.MONTHLY",
                         en=f"a probationary member pays dues from the month of admission ({_month_text(payable_from)})",
                         zh=f"预备党员从被接收为预备党员的当月（{_month_text(payable_from)}）起交纳党费",
                         facts={"from": _month_text(first), "payable_from": _month_text(payable_from)})
    latest = add_months(month_of(paid_on), advance_months)
    if last > latest:
        return Violation("DUES.MONTHLY",
                         en=f"dues are paid in advance for at most {advance_months} months: on {paid_on}, up to "
                            f"{_month_text(latest)}",
                         zh=f"预交党费一般不超过{advance_months}个月：{paid_on}交纳的，最多预交至{_month_text(latest)}",
                         facts={"to": _month_text(last), "latest": _month_text(latest)})
    return None


def dues_paid_in_full(due: Decimal, paid: Decimal, months: int) -> Violation | None:
    """DUES.MONTHLY: a payment settles whole months at their amount; more is a voluntary extra (规定 一.6)."""
    if _decimal(paid) >= _decimal(due):
        return None
    return Violation("DUES.MONTHLY",
                     en=f"the dues of the {months} months paid are {fen(_decimal(due))} yuan; {fen(_decimal(paid))} "
                        "does not cover them",
                     zh=f"所交{months}个月的党费应为{fen(_decimal(due))}元，实交{fen(_decimal(paid))}元不足",
                     facts={"due": str(fen(_decimal(due))), "paid": str(fen(_decimal(paid)))})


def _runs(months: list[date]) -> list[tuple[date, date, int]]:
    runs: list[tuple[date, date, int]] = []
    for month in sorted(set(months)):
        if runs and add_months(runs[-1][1], 1) == month:
            runs[-1] = (runs[-1][0], month, runs[-1][2] + 1)
        else:
            runs.append((month, month, 1))
    return runs


def dues_arrears(unpaid: list[date], as_of: date, alert_months: int, ground_months: int) -> Violation | None:
    """DUES.ARREARS (deadline): six consecutive months unpaid without a valid reason are a ground of
    MEMBERS.UNQUALIFIED (自行脱党, 党章 art. 9); the branch is warned at three (*config*). ``unpaid``: the months
    billed and not paid; a month counts once it has ended (before the month of ``as_of``)."""
    ended = [m for m in unpaid if m < month_of(as_of)]
    if not ended:
        return None
    first, last, count = max(_runs(ended), key=lambda run: (run[2], run[0]))
    if count < alert_months:
        return None
    facts = {"since": first, "until": last, "months": count}
    span_en, span_zh = f"{_month_text(first)} to {_month_text(last)}", f"{_month_text(first)}至{_month_text(last)}"
    if count >= ground_months:
        return Violation("DUES.ARREARS",
                         en=f"dues unpaid for {count} consecutive months ({span_en}): a ground of MEMBERS.UNQUALIFIED "
                            "(自行脱党) for the branch to decide on",
                         zh=f"连续{count}个月（{span_zh}）未交纳党费，属于按自行脱党处理的情形，由党支部研究处置",
                         facts={**facts, "level": "ground"})
    return Violation("DUES.ARREARS",
                     en=f"dues unpaid for {count} consecutive months ({span_en}); at {ground_months} it is a ground "
                        "of MEMBERS.UNQUALIFIED",
                     zh=f"已连续{count}个月（{span_zh}）未交纳党费，请及时督促；连续{ground_months}个月不交纳的按自行脱党处理",
                     facts={**facts, "level": "alert"})


def dues_subsidy(granted_fen: int, amount_fen: int, collected_fen: int, year: int) -> Violation | None:
    """DUES.SUBSIDY: part of the dues a committee collected goes back to grassroots organizations for their
    activities (规定 三; the plan's task 6): what it grants in a year stays within what it collected in it."""
    if granted_fen + amount_fen <= collected_fen:
        return None
    granted, amount, collected = (Decimal(v).scaleb(-2) for v in (granted_fen, amount_fen, collected_fen))
    return Violation("DUES.SUBSIDY",
                     en=f"the subsidies of {year} would come to {granted + amount} yuan, more than the {collected} "
                        f"yuan of dues collected in the committee's organizations that year",
                     zh=f"{year}年下拨的党费补助将达{granted + amount}元，超过该党委所属组织当年收缴的党费{collected}元",
                     facts={"year": year, "granted": str(granted), "amount": str(amount), "collected": str(collected)})


# ----------------------------------------------------------------------------- transfer letters (TRANSFER.*)
# 党章 art. 8 and 管理条例 art. 25 (组织关系转接); the letter's three parts: 介绍信, 存根, 回执.

DEFAULTS.update({
    #: TRANSFER.LETTER: the issuing office's prefix of the letter number (鲁组转〔2026〕第000123号)
    "transfer_letter_prefix": "鲁组转",
    #: TRANSFER.LETTER: validity of a letter within the province, and to or from outside it (months)
    "transfer_letter_valid_months": 3,
    "transfer_letter_valid_months_outside": 3,
    #: TRANSFER.LETTER: a letter past its validity without arrival may be reissued this many times
    "transfer_letter_reissues": 1,
    #: TRANSFER.RECEIPT: the receipt goes back to the sending committee within this many months of arrival
    "transfer_receipt_months": 1,
})


def letter_number(prefix: str, year: int, seq: int) -> str:
    """TRANSFER.LETTER: the letter's number, unique in the province: ``{prefix}〔{year}〕第{seq:06d}号``."""
    return f"{prefix}〔{year}〕第{seq:06d}号"


def letter_valid_until(issued_on: date, months: int) -> date:
    """TRANSFER.LETTER: the last day a letter is valid: ``months`` after the day of issue (Counting dates)."""
    return add_months(issued_on, months)


def report_in(valid_until: date, arrived_on: date) -> Violation | None:
    """TRANSFER.REPORT_IN (deadline): the member reports to the receiving branch within the letter's validity;
    a later arrival is recorded as it happened, with this breach."""
    if arrived_on <= valid_until:
        return None
    late = (arrived_on - valid_until).days
    return Violation("TRANSFER.REPORT_IN",
                     en=f"reported in on {arrived_on}, {late} days after the letter's validity ended ({valid_until})",
                     zh=f"于{arrived_on}报到，超过介绍信有效期（{valid_until}）{late}天",
                     facts={"valid_until": valid_until, "arrived_on": arrived_on, "days_late": late})


def receipt_due(arrived_on: date, months: int) -> date:
    """TRANSFER.RECEIPT: the receipt is due back within ``months`` of the member's arrival."""
    return add_months(arrived_on, months)


def receipt_returned(arrived_on: date, returned_on: date, months: int) -> Violation | None:
    """TRANSFER.RECEIPT (deadline): the receiving committee returns the receipt (回执) within 1 month of the
    member's arrival (*config*); a later return is recorded with this breach."""
    due = receipt_due(arrived_on, months)
    if returned_on <= due:
        return None
    late = (returned_on - due).days
    return Violation("TRANSFER.RECEIPT",
                     en=f"the receipt came back on {returned_on}, {late} days after it was due ({due})",
                     zh=f"回执于{returned_on}退回，超过应退回日期（{due}）{late}天",
                     facts={"due_on": due, "returned_on": returned_on, "days_late": late})


def letter_expired(valid_until: date, on: date) -> Violation | None:
    """TRANSFER.LETTER: a letter is recorded expired only once its validity has ended without arrival."""
    if on > valid_until:
        return None
    return Violation("TRANSFER.LETTER", en=f"the letter is valid until {valid_until}: it has not expired on {on}",
                     zh=f"介绍信有效期至{valid_until}，{on}尚未过期", facts={"valid_until": valid_until, "on": on})


def letter_reissue(status: str, reissues: int, allowed: int) -> Violation | None:
    """TRANSFER.LETTER: a letter past its validity without arrival (recorded expired) can be reissued once
    (*config*)."""
    if status != "expired":
        return Violation("TRANSFER.LETTER", en=f"only an expired letter is reissued; this one is {status}",
                         zh="只有过期未报到的介绍信才能重新开具", facts={"status": status})
    if reissues >= allowed:
        return Violation("TRANSFER.LETTER",
                         en=f"the letter has been reissued {reissues} time(s) already (at most {allowed})",
                         zh=f"介绍信已重新开具{reissues}次，最多{allowed}次", facts={"reissues": reissues,
                                                                              "allowed": allowed})
    return None


# ----------------------------------------------------------------------------- annual statistics (STATS.*)
# The official tables (党内统计年报) modelled in RULES.md: counted as of 31 December of the year.

#: STATS.MEMBERS: the age groups (age on 31 December), each (label, youngest, oldest); None: open-ended
AGE_GROUPS: tuple[tuple[str, int | None, int | None], ...] = (
    ("30岁及以下", None, 30), ("31-35岁", 31, 35), ("36-40岁", 36, 40), ("41-45岁", 41, 45), ("46-50岁", 46, 50),
    ("51-55岁", 51, 55), ("56-60岁", 56, 60), ("61-70岁", 61, 70), ("71岁及以上", 71, None))
#: STATS.MEMBERS: the education groups, highest first, and the words a recorded education is known by
EDUCATION_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("研究生", ("研究生", "博士", "硕士", "postgraduate", "doctor", "master")),
    ("大学本科", ("本科", "学士", "bachelor", "undergraduate")),
    ("大学专科", ("专科", "大专", "高职", "college", "associate")),
    ("中专", ("中专", "中技", "技校", "职高", "secondary vocational")),
    ("高中", ("高中", "high school")),
    ("初中及以下", ("初中", "小学", "文盲", "middle school", "primary")),
)
EDUCATION_UNKNOWN = "未填报"
HAN = "汉族"


def latest_birth_for_age(age: int, on: date, feb29_birthday: str = "feb28") -> date:
    """STATS.MEMBERS: the latest birth date of a person ``age`` or older on ``on`` (Counting dates: a Feb 29
    birthday is reached on Feb 28 of a common year, *config*), so that age groups are date ranges in SQL."""
    bound = add_years(on, -age)                      # Feb 29 - n years in a common year: Feb 28
    leap_day = date(bound.year, 2, 29) if bound.month == 2 and bound.day == 28 and _is_leap(bound.year) else None
    if leap_day and feb29_birthday == "feb28" and on.month == 2 and on.day == 28 and not _is_leap(on.year):
        return leap_day                              # born Feb 29: the birthday of a common year is Feb 28
    return bound


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def age_group(birth: date, on: date, feb29_birthday: str = "feb28") -> str:
    """STATS.MEMBERS: the age group of a person born on ``birth``, by completed years on ``on``."""
    age = age_on(birth, on, feb29_birthday)
    for label, youngest, oldest in AGE_GROUPS:
        if (youngest is None or age >= youngest) and (oldest is None or age <= oldest):
            return label
    return AGE_GROUPS[-1][0]


def education_group(education: str | None) -> str:
    """STATS.MEMBERS: the table's education group of a recorded education (free text from the records)."""
    text = (education or "").strip().lower()
    if text:
        for group, words in EDUCATION_GROUPS:
            if group == text or any(word in text for word in words):
                return group
    return EDUCATION_UNKNOWN


def ethnicity_group(ethnicity: str | None) -> str:
    """STATS.MEMBERS: 汉族 or 少数民族 (a recorded ethnicity other than Han), or 未填报."""
    text = (ethnicity or "").strip()
    if not text:
        return "未填报"
    return HAN if text in (HAN, "汉", "han", "Han") else "少数民族"


#: STATS.BALANCE: the terms of the balance, with their sign
BALANCE_TERMS: tuple[tuple[str, int, str], ...] = (
    ("admitted", 1, "发展党员"), ("transferred_in", 1, "转入"), ("restored", 1, "恢复党籍"),
    ("transferred_out", -1, "转出"), ("died", -1, "死亡"), ("expelled", -1, "开除党籍"), ("removed", -1, "除名"),
    ("withdrawn", -1, "退党"), ("suspended", -1, "停止党籍"), ("cancelled", -1, "取消预备党员资格"))


def balance(start: int, flows: dict, end: int) -> Violation | None:
    """STATS.BALANCE: members at the start + admitted + transferred in + restored − transferred out − died −
    expelled − removed − withdrawn − suspended (− probation cancelled) = members at the end."""
    expected = start + sum(sign * int(flows.get(term, 0)) for term, sign, _ in BALANCE_TERMS)
    if expected == end:
        return None
    return Violation("STATS.BALANCE",
                     en=f"the balance does not close: {start} at the start and the year's changes give {expected}, "
                        f"but {end} are counted at the end ({end - expected:+d})",
                     zh=f"党员数量不平衡：年初{start}名加减本年变动应为{expected}名，年末实有{end}名（差{end - expected:+d}）",
                     facts={"start": start, "expected": expected, "end": end, "difference": end - expected})


RULEBOOK.declare("DUES.SUBSIDY", "gate", "规定 三; the plan's task 6",
                 "Part of the dues collected goes back to grassroots organizations for their activities (党费补助): "
                 "what a committee grants in a year stays within the dues its organizations paid that year; "
                 "recorded by org as support funds with source dues_subsidy.")
RULEBOOK.declare("TRANSFER.LETTER", "gate", "党章 art. 8; 管理条例 art. 25",
                 "A transfer issues a letter (介绍信) numbered in the province's sequence, valid 3 months, naming the "
                 "month dues are paid to; recorded expired only past its validity without arrival, reissued once.",
                 config=("transfer_letter_prefix", "transfer_letter_valid_months",
                         "transfer_letter_valid_months_outside", "transfer_letter_reissues"))
RULEBOOK.declare("TRANSFER.REPORT_IN", "deadline", "管理条例 art. 25",
                 "The member reports to the receiving branch within the letter's validity; a member not arrived "
                 "by then is flagged to both sides.")
RULEBOOK.declare("TRANSFER.RECEIPT", "deadline", "管理条例 art. 25",
                 "The receiving committee returns the receipt (回执) within 1 month of the member's arrival; an "
                 "unreturned receipt is flagged to both sides until it arrives.",
                 config=("transfer_receipt_months",))
RULEBOOK.declare("STATS.BALANCE", "report", "党内统计年报",
                 "Members at the start + admitted + transferred in + restored − transferred out − died − expelled − "
                 "removed − withdrawn − suspended (− probation cancelled) = members at the end; the people who "
                 "make a subtree's balance not close are listed.")
RULEBOOK.declare("STATS.MEMBERS", "report", "党内统计年报",
                 "Members at year end by stage, gender, ethnicity, age group, education and occupation, counted "
                 "where they were on 31 December.", config=("feb29_birthday",))
RULEBOOK.declare("STATS.DEVELOPMENT", "report", "党内统计年报",
                 "Admitted in the year by gender, age ≤ 35, education and occupation; applicants, activists and "
                 "targets at year end; conversions, extensions and cancellations of probation.")
