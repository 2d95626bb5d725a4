"""The evaluation regulations as pure functions (EVAL.* of RULES.md, with the LIFE.* and ORG.* they lean on).

Sources: 中国共产党支部工作条例（试行）2018 ("条例"), the 2019 党员教育管理工作条例, and the
Shandong / Jinan / Zoucheng grading practice for stars and ledgers. No database, no request,
no clock: the caller passes "today" (``as_of``) and the *config* values of ``DEFAULTS``.
"""
from __future__ import annotations

from datetime import date
from fractions import Fraction

from shared.dates import add_months, add_years
from shared.rulebook import Rulebook
from shared.violations import Violation

MEETING_TYPES = ("general_meeting", "committee_meeting", "group_meeting", "party_lecture", "theme_day",
                 "review_meeting", "heart_to_heart_talk", "member_review")

MEETING_NAMES_ZH = {
    "general_meeting": "支部党员大会", "committee_meeting": "支委会", "group_meeting": "党小组会",
    "party_lecture": "党课", "theme_day": "主题党日", "review_meeting": "组织生活会",
    "heart_to_heart_talk": "谈心谈话", "member_review": "民主评议党员",
}

CATEGORIES = ("advanced", "middle", "backward")
CATEGORY_NAMES_ZH = {"advanced": "先进", "middle": "中间", "backward": "后进"}
CHANGE_NAMES_ZH = {"up": "晋位升级", "down": "降级", "same": "持平", "new": "首次评定"}

#: the *config* values of RULES.md that this service reads (``shared.request.rule_config()``)
DEFAULTS: dict = {
    # LIFE.*: how many times a year each kind of organizational life is due (条例 art. 19-21)
    "LIFE.FREQUENCIES": {
        "general_meeting": 4,        # LIFE.GENERAL_MEETING: at least quarterly
        "committee_meeting": 12,     # LIFE.COMMITTEE_MEETING: at least monthly (branches with a committee)
        "group_meeting": 12,         # LIFE.GROUP_MEETING: at least monthly (branches with party groups)
        "party_lecture": 4,          # LIFE.LECTURE: at least quarterly (*config*)
        "theme_day": 12,             # LIFE.THEME_DAY: monthly
        "review_meeting": 1,         # LIFE.REVIEW_MEETING: at least yearly
        "heart_to_heart_talk": 1,    # LIFE.TALKS: at least yearly
        "member_review": 1,          # LIFE.MEMBER_REVIEW: yearly
    },
    # ORG.COMMITTEE_REQUIRED: 7+ full members need a committee of at least 3 (条例 art. 8)
    "ORG.COMMITTEE_REQUIRED": {"min_full_members": 7, "min_seats": 3},
    # ORG.VACANCY: a secretary seat empty this many months marks the branch weak
    "ORG.VACANCY_MONTHS": 3,
    # TRAIN.MEMBER_HOURS: class hours a year that count a member as trained
    "TRAIN.MEMBER_HOURS": 32,
    # MEMBERS.POINTS: the most points a member can earn in a year under the city's scheme (*config*)
    "MEMBERS.POINTS_MAX": 100,
    # EVAL.STARS: the lowest score of five, four, three and two stars (Zoucheng practice, *config*)
    "EVAL.STARS": [90, 80, 70, 60],
    # EVAL.STARS: five stars for at most this share of a county's rated branches (*config*)
    "EVAL.FIVE_STAR_CAP": 0.30,
    # EVAL.VETO: the most stars of a weak-and-lax branch or one that hits a veto item
    "EVAL.VETO_MAX_STARS": 2,
    # EVAL.CATEGORY: the fewest stars of an advanced and of a middle branch; fewer is backward (*config*)
    "EVAL.CATEGORY": {"advanced": 4, "middle": 3},
    # EVAL.WEAK: where the signs start (*config* where the county's list differs)
    "EVAL.WEAK": {"meeting_ratio_below": 0.5, "no_development_years": 2, "satisfaction_below": 60},
    # EVAL.WEAK: each county re-ranks at least / at most this share of its branches from the bottom
    "EVAL.REVIEW_BOTTOM": [0.05, 0.10],
    # which kinds of unit get a star rating
    "EVAL.RATED_KINDS": ["branch", "joint_branch", "general_branch"],
    # the scorecard used where no province, city or county template exists yet (docs/evaluation.md)
    "EVAL.DEFAULT_SCORECARD": {
        "name": "省级默认评分表（内置）",
        "criteria": [
            {"key": "meetings", "name": "三会一课等组织生活", "weight": 25,
             "source": {"indicator": "meetings.ratio", "transform": "scaled", "target": 1}},
            {"key": "committee", "name": "班子健全", "weight": 10,
             "source": {"indicator": "committee.complete", "transform": "flag"}},
            {"key": "term", "name": "按期换届", "weight": 5,
             "source": {"indicator": "committee.term_in_force", "transform": "flag"}},
            {"key": "development", "name": "近三年发展党员", "weight": 10,
             "source": {"indicator": "members.developed_3y", "transform": "scaled", "target": 1}},
            {"key": "review", "name": "民主评议党员", "weight": 5,
             "source": {"indicator": "review.done", "transform": "flag"}},
            {"key": "points", "name": "党员量化积分", "weight": 10,
             "source": {"indicator": "points.average", "transform": "scaled", "target": 100}},
            {"key": "training", "name": "党员教育培训学时", "weight": 10,
             "source": {"indicator": "training.hour_coverage", "transform": "scaled", "target": 1}},
            {"key": "rotation", "name": "书记轮训", "weight": 5,
             "source": {"indicator": "training.rotation", "transform": "flag"}},
            {"key": "venue", "name": "活动阵地", "weight": 5,
             "source": {"indicator": "support.venue", "transform": "flag"}},
            {"key": "rectification", "name": "问题整改", "weight": 5,
             "source": {"indicator": "problems.rectified_ratio", "transform": "scaled", "target": 1}},
            {"key": "satisfaction", "name": "群众满意度", "weight": 10,
             "source": {"manual": "public_satisfaction", "min": 0, "max": 100, "higher_is_better": True}},
        ],
        "vetoes": [
            {"key": "discipline", "name": "班子成员严重违纪违法", "manual": "discipline_violation", "op": ">=",
             "value": 1},
        ],
    },
    #: deadline reminders (shared/reminders.py): days before a problem's due date that
    #: evaluation.deadline.approaching is sent, by rule code ("default" for the others);
    #: evaluation.deadline.overdue the day after, caught up for reminder_catch_up_days
    "reminder_days": {"default": [30, 7]},
    "reminder_catch_up_days": 7,
}


#: the rules evaluation declares (docs/rules.md is generated from it: ``zhibu rules``)
RULEBOOK = Rulebook("evaluation", DEFAULTS)
RULEBOOK.declare("EVAL.STARS", "report", "Zoucheng practice",
                 "Stars by score: 90+ five, 80-89 four, 70-79 three, 60-69 two, below 60 one; five stars for at "
                 "most 30% of a county's rated branches.",
                 config=("EVAL.STARS", "EVAL.FIVE_STAR_CAP", "EVAL.RATED_KINDS", "EVAL.DEFAULT_SCORECARD"))
RULEBOOK.declare("EVAL.VETO", "report", "-",
                 "A weak-and-lax branch or one hitting a veto item cannot rate 3 stars or more.",
                 config=("EVAL.VETO_MAX_STARS",))
RULEBOOK.declare("EVAL.CATEGORY", "report", "-",
                 "Each county keeps advanced / middle / backward ledgers (先进 / 中间 / 后进) by stars, and the change "
                 "against last year (晋位升级).",
                 config=("EVAL.CATEGORY",))
RULEBOOK.declare("EVAL.WEAK", "report", "条例 art. 8, 10",
                 "Weak and lax (软弱涣散) signs: committee incomplete or secretary seat empty 3+ months, life not "
                 "held, no development in 2 years, no venue, satisfaction below 60%, signs found by inspection; "
                 "counties re-rank their bottom 5-10% yearly.",
                 config=("EVAL.WEAK", "EVAL.REVIEW_BOTTOM"))
RULEBOOK.declare("EVAL.PROBLEMS", ("gate", "deadline"), "-",
                 "A problem list: open -> in progress -> rectified -> verified (closed, 销号), measures before the "
                 "work starts, escalation one level up (gates); rectified by its deadline and by year end (the "
                 "deadline).")
RULEBOOK.declare("EVAL.REPORTS", "report", "the work plan's standing mechanisms",
                 "The hearings, the yearly screening and the secretaries' 述职评议 count in each branch's indicators; "
                 "the dashboard shows per county the share of branches heard every quarter and screened this year.")
RULEBOOK.declare("EVAL.EXEMPLARS", "gate", "the work plan",
                 "Demonstration branches (示范党支部) are chosen from the year's five-star, advanced branches and lose "
                 "the title when a published rating drops them; advanced examples (先进典型) are recorded with what "
                 "they are recognised for, for publication.")
RULEBOOK.measures("LIFE.HEARING")
RULEBOOK.measures("LIFE.SCREENING")
RULEBOOK.measures("LIFE.SECRETARY_REPORT")
RULEBOOK.measures("LIFE.GENERAL_MEETING", config=("LIFE.FREQUENCIES",))
RULEBOOK.measures("LIFE.COMMITTEE_MEETING", config=("LIFE.FREQUENCIES",))
RULEBOOK.measures("LIFE.GROUP_MEETING", config=("LIFE.FREQUENCIES",))
RULEBOOK.measures("LIFE.LECTURE", config=("LIFE.FREQUENCIES",))
RULEBOOK.measures("LIFE.THEME_DAY", config=("LIFE.FREQUENCIES",))
RULEBOOK.measures("LIFE.REVIEW_MEETING", config=("LIFE.FREQUENCIES",))
RULEBOOK.measures("LIFE.TALKS", config=("LIFE.FREQUENCIES",))
RULEBOOK.measures("LIFE.MEMBER_REVIEW", config=("LIFE.FREQUENCIES",))
RULEBOOK.measures("ORG.COMMITTEE_REQUIRED", config=("ORG.COMMITTEE_REQUIRED",))
RULEBOOK.measures("ORG.VACANCY", config=("ORG.VACANCY_MONTHS",))
RULEBOOK.measures("ORG.TERM_EXPIRED")
RULEBOOK.measures("TRAIN.MEMBER_HOURS", config=("TRAIN.MEMBER_HOURS",))
RULEBOOK.measures("MEMBERS.POINTS", config=("MEMBERS.POINTS_MAX",))


# ----------------------------------------------------------------------------- organizational life

def months_ended(year: int, as_of: date) -> int:
    """How many whole months of ``year`` have ended by ``as_of`` (0-12)."""
    if as_of.year < year:
        return 0
    if as_of.year > year or (as_of.month == 12 and as_of.day == 31):
        return 12
    last_day = add_months(date(as_of.year, as_of.month, 1), 1).toordinal() - 1
    return as_of.month - 1 + (1 if as_of.toordinal() == last_day else 0)


def meetings_required(frequencies: dict, year: int, as_of: date, *, has_committee: bool,
                      has_groups: bool) -> dict[str, int]:
    """LIFE.*: the meetings of each type due by ``as_of``: one per period (month, quarter, year) that has
    ended. Committee meetings are due only where there is a committee, group meetings only where the
    branch has party groups (条例 art. 19-21)."""
    ended = months_ended(year, as_of)
    required = {}
    for meeting_type, per_year in frequencies.items():
        if meeting_type == "committee_meeting" and not has_committee:
            required[meeting_type] = 0
        elif meeting_type == "group_meeting" and not has_groups:
            required[meeting_type] = 0
        else:
            required[meeting_type] = ended * int(per_year) // 12
    return required


def meeting_shortfall(held: dict[str, int], required: dict[str, int]) -> tuple[int, int]:
    """LIFE.*: (meetings missing, meetings due); a surplus of one type never makes up for another."""
    due = sum(required.values())
    missing = sum(max(0, req - held.get(t, 0)) for t, req in required.items())
    return missing, due


def life_irregular(held: dict[str, int], required: dict[str, int], missing: int, due: int, ratio_below: float,
                   as_of: date) -> Violation | None:
    """EVAL.WEAK: organizational life not held (组织生活不经常、不认真) -- fewer than ``ratio_below`` of the
    meetings due were held and counted (quorum met). ``missing, due`` are ``meeting_shortfall(held, required)``."""
    if due == 0 or (due - missing) / due >= ratio_below:
        return None
    short = {t: [held.get(t, 0), req] for t, req in required.items() if held.get(t, 0) < req}
    return Violation(
        "EVAL.WEAK",
        en=f"only {due - missing} of the {due} meetings due by {as_of} were held",
        zh=f"截至{as_of}应开展组织生活{due}次，实际开展{due - missing}次，组织生活不经常",
        facts={"sign": "life_irregular", "held": due - missing, "due": due, "short_by_type": short},
    )


# ----------------------------------------------------------------------------- committee and term

def committee_structure(on_record: bool, seats_filled: int, full_members: int, *, min_full_members: int,
                        min_seats: int) -> Violation | None:
    """EVAL.WEAK (班子不健全) via ORG.COMMITTEE_REQUIRED: a branch needs a secretary on record, and one with
    ``min_full_members``+ full members a committee of at least ``min_seats`` (条例 art. 8)."""
    if not on_record:
        return Violation("EVAL.WEAK", en="no committee or secretary election is on record for this branch",
                         zh="未查到该支部选举产生支部委员会或书记的记录，班子不健全",
                         facts={"sign": "committee_incomplete", "on_record": False})
    if full_members >= min_full_members and seats_filled < min_seats:
        return Violation(
            "EVAL.WEAK",
            en=f"{full_members} full members need a committee of at least {min_seats}; {seats_filled} seats are filled",
            zh=f"支部有正式党员{full_members}名，应设支部委员会（至少{min_seats}人），现仅{seats_filled}人在岗",
            facts={"sign": "committee_incomplete", "on_record": True, "full_members": full_members,
                   "seats_filled": seats_filled, "min_seats": min_seats})
    return None


def committee_complete(on_record: bool, seats_total: int, seats_filled: int, secretary_filled: bool,
                       full_members: int, *, min_full_members: int, min_seats: int) -> bool:
    """ORG.COMMITTEE_REQUIRED / ORG.VACANCY: the secretary and every seat filled, and the committee as large
    as the member count requires."""
    return (on_record and secretary_filled and seats_filled == seats_total
            and committee_structure(True, seats_filled, full_members, min_full_members=min_full_members,
                                    min_seats=min_seats) is None)


def secretary_vacancy(vacant_since: date | None, as_of: date, months: int) -> Violation | None:
    """EVAL.WEAK via ORG.VACANCY: the secretary seat empty ``months`` months or more (条例 art. 10)."""
    if vacant_since is None:
        return None
    since_months = add_months(vacant_since, months)
    if as_of < since_months:
        return None
    return Violation(
        "EVAL.WEAK",
        en=f"the secretary seat has been empty since {vacant_since}, {months} months or more by {since_months}",
        zh=f"书记职位自{vacant_since}起空缺，至{since_months}已满{months}个月",
        facts={"sign": "secretary_vacant", "vacant_since": vacant_since, "months": months,
               "weak_from": since_months})


def term_expired(term_ends_on: date | None, as_of: date) -> Violation | None:
    """ORG.TERM_EXPIRED: the committee's term ended on ``term_ends_on`` and no re-election is on record
    (党内选举工作条例 art. 7)."""
    if term_ends_on is None or as_of <= term_ends_on:
        return None
    return Violation("ORG.TERM_EXPIRED",
                     en=f"the committee's term ended on {term_ends_on} and no re-election is on record",
                     zh=f"支部委员会任期已于{term_ends_on}届满，未见换届记录",
                     facts={"term_ends_on": term_ends_on})


# ----------------------------------------------------------------------------- other weak-and-lax signs

def no_development(developed: int, targets: int, last_admitted: date | None, years: int,
                   as_of: date) -> Violation | None:
    """EVAL.WEAK: no member developed and no development target in ``years`` years (长期不发展党员)."""
    if developed > 0 or targets > 0:
        return None
    since = add_years(as_of, -years)
    last = f"; the last admission was on {last_admitted}" if last_admitted else ""
    last_zh = f"，最近一次发展党员在{last_admitted}" if last_admitted else ""
    return Violation("EVAL.WEAK",
                     en=f"no member developed since {since} and no development target now{last}",
                     zh=f"自{since}以来未发展党员，目前也无发展对象{last_zh}",
                     facts={"sign": "no_development", "since": since, "last_admitted": last_admitted})


def no_venue(has_venue: bool | None) -> Violation | None:
    """EVAL.WEAK: no place for activities (无活动场所); only a recorded "no venue" is evidence."""
    if has_venue is False:
        return Violation("EVAL.WEAK", en="the branch has no activity venue on record",
                         zh="支部无固定活动场所", facts={"sign": "no_venue"})
    return None


def low_satisfaction(satisfaction: float | None, below: float, entered_by: str | None) -> Violation | None:
    """EVAL.WEAK: public satisfaction below ``below`` per cent (群众满意度低)."""
    if satisfaction is None or satisfaction >= below:
        return None
    return Violation("EVAL.WEAK", en=f"public satisfaction is {satisfaction:g}%, below {below:g}%",
                     zh=f"群众满意度{satisfaction:g}%，低于{below:g}%",
                     facts={"sign": "low_satisfaction", "satisfaction": satisfaction, "entered_by": entered_by})


#: weak-and-lax signs that only an inspection can find, entered by hand as 0 / 1 (manual inputs)
JUDGED_SIGNS = {
    "secretary_unfit": ("the upper committee found the secretary unfit for the post", "书记不胜任现职"),
    "life_formality": ("organizational life is held only on paper", "组织生活流于形式"),
    "county_listed": ("listed by the county as weak and lax", "列入县级软弱涣散排查名单的其他情形"),
}


def judged_sign(name: str, flag: float | None, entered_by: str | None, note: str | None) -> Violation | None:
    """EVAL.WEAK: a sign found by inspection (secretary unfit, life only on paper, the county's own list)."""
    if not flag:
        return None
    en, zh = JUDGED_SIGNS[name]
    return Violation("EVAL.WEAK", en=en, zh=zh, facts={"sign": name, "entered_by": entered_by, "note": note})


def in_rectification_scope(problem_ids: list[str]) -> Violation | None:
    """EVAL.PROBLEMS: a hard problem put the branch inside the weak-and-lax rectification scope this year."""
    if not problem_ids:
        return None
    return Violation("EVAL.WEAK", en="the branch is inside this year's weak-and-lax rectification scope",
                     zh="该支部已列入本年度软弱涣散整顿范围",
                     facts={"sign": "rectification_scope", "problems": sorted(problem_ids)})


# ----------------------------------------------------------------------------- the standing mechanisms (EVAL.REPORTS)

ASSESSMENT_NAMES_ZH = {"good": "好", "fairly_good": "较好", "average": "一般", "poor": "差"}
#: LIFE.SECRETARY_REPORT: the grade as an indicator (好 4 ... 差 1)
ASSESSMENT_GRADES = {"good": 4, "fairly_good": 3, "average": 2, "poor": 1}


def quarters_due(year: int, as_of: date) -> int:
    """LIFE.HEARING: the quarters of ``year`` that have ended by ``as_of`` (each needs a hearing)."""
    return months_ended(year, as_of) // 3


def quarters_heard(quarters: set[int], due: int) -> float:
    """EVAL.REPORTS via LIFE.HEARING: the share of the quarters due in which the branch was heard (1.0 when none
    is due yet)."""
    if due == 0:
        return 1.0
    return sum(1 for q in quarters if q <= due) / due


def secretary_poor(assessment: str | None, year: int | None, assessed_by: str | None = None,
                   assessed_on: date | None = None, secretary: str | None = None) -> Violation | None:
    """EVAL.WEAK (书记不胜任) via LIFE.SECRETARY_REPORT: the secretary was assessed 差 (poor) in the latest 述职评议."""
    if assessment != "poor":
        return None
    return Violation("EVAL.WEAK",
                     en=f"the secretary {secretary or ''} was assessed poor (差) in the {year} report by {assessed_by}",
                     zh=f"书记{secretary or ''}{year}年度述职评议结果为“差”（{assessed_by}，{assessed_on}）",
                     facts={"sign": "secretary_poor", "year": year, "secretary": secretary,
                            "assessed_by": assessed_by, "assessed_on": assessed_on})


def demonstration_eligible(stars: int | None, category: str | None, year: int) -> Violation | None:
    """EVAL.EXEMPLARS: a demonstration branch (示范党支部) is chosen from the year's five-star, advanced branches
    (its latest published rating of the year)."""
    if stars == 5 and category == "advanced":
        return None
    if stars is None:
        en, zh = f"the branch has no published rating for {year}", f"该支部尚无{year}年度星级评定结果"
    else:
        en = f"the branch rated {stars} star(s), {category} in {year}: a demonstration branch is five-star and advanced"
        zh = f"该支部{year}年度评定为{stars}星、{CATEGORY_NAMES_ZH.get(category, category)}，示范党支部须为五星级先进党支部"
    return Violation("EVAL.EXEMPLARS", en=en, zh=zh, facts={"year": year, "stars": stars, "category": category})


def demonstration_dropped(stars: int, category: str, year: int) -> Violation | None:
    """EVAL.EXEMPLARS: a demonstration branch loses the title when a published rating (of its year or later)
    drops it below five stars or out of the advanced ledger."""
    if stars == 5 and category == "advanced":
        return None
    return Violation("EVAL.EXEMPLARS",
                     en=f"withdrawn: rated {stars} star(s), {category} in {year}",
                     zh=f"{year}年度评定为{stars}星、{CATEGORY_NAMES_ZH.get(category, category)}，撤销示范党支部称号",
                     facts={"year": year, "stars": stars, "category": category})


# ----------------------------------------------------------------------------- stars, caps, categories

def stars_for(score: float, thresholds: list) -> int:
    """EVAL.STARS: 90+ five, 80-89 four, 70-79 three, 60-69 two, below 60 one (Zoucheng practice, *config*)."""
    for i, threshold in enumerate(thresholds):
        if score >= threshold:
            return 5 - i
    return 1


def veto_limit(stars: int, vetoes: list[dict], signs: list, max_stars: int) -> Violation | None:
    """EVAL.VETO: a weak-and-lax branch or one hitting a veto item cannot rate 3 stars or more."""
    if stars <= max_stars or not (vetoes or signs):
        return None
    reasons = [v["name"] for v in vetoes] + [s.facts.get("sign", s.code) for s in signs]
    return Violation("EVAL.VETO",
                     en=f"limited to {max_stars} stars: {', '.join(reasons)}",
                     zh=f"存在一票否决事项或软弱涣散情形（{'、'.join(reasons)}），最高评为{max_stars}星",
                     facts={"stars_by_score": stars, "max_stars": max_stars, "reasons": reasons})


def five_star_quota(branches: int, share: float) -> int:
    """EVAL.STARS: at most ``share`` of a county's rated branches, rounded down, get five stars."""
    return int(Fraction(str(share)) * branches)


def five_star_cut(candidate_scores: list[float], quota: int) -> float | None:
    """EVAL.STARS tie-break: the score a candidate must exceed to keep five stars, or None when all keep it.

    Candidates are ranked by score. If more than ``quota`` qualify, a branch keeps five stars only when
    its score is strictly above the best score left outside the quota: branches tied at the cut line
    all drop to four stars together, so the cap is never exceeded and equal scores get equal stars.
    """
    if len(candidate_scores) <= quota:
        return None
    ranked = sorted(candidate_scores, reverse=True)
    return ranked[quota]


def five_star_capped(score: float, cut: float, quota: int, county_branches: int) -> Violation:
    """EVAL.STARS: the county's five-star quota is full; this branch rates four."""
    return Violation("EVAL.STARS",
                     en=f"five stars are capped at {quota} of the county's {county_branches} branches; "
                        f"a score above {cut:.2f} was needed",
                     zh=f"五星级党支部不超过全县（市、区）{county_branches}个党支部的限额（{quota}个），"
                        f"需高于{cut:.2f}分，评为四星",
                     facts={"quota": quota, "county_branches": county_branches, "cut": cut, "score": score})


def category_for(stars: int, mapping: dict) -> str:
    """EVAL.CATEGORY: advanced / middle / backward by stars (*config*: 4-5 advanced, 3 middle, 1-2 backward)."""
    if stars >= mapping["advanced"]:
        return "advanced"
    if stars >= mapping["middle"]:
        return "middle"
    return "backward"


def change_from_last_year(stars: int, previous: int | None) -> str:
    """EVAL.CATEGORY: 晋位升级 (up) / 降级 (down) / 持平 (same) against last year's published stars."""
    if previous is None:
        return "new"
    if stars > previous:
        return "up"
    if stars < previous:
        return "down"
    return "same"


def review_bottom_sizes(branches: int, shares: list) -> tuple[int, int]:
    """EVAL.WEAK: a county re-ranks at least its bottom 5% and at most its bottom 10% (rounded up, *config*)."""
    low, high = (Fraction(str(s)) for s in shares)
    least = -(-low * branches // 1)
    most = -(-high * branches // 1)
    return int(least), int(most)


# ----------------------------------------------------------------------------- problem lists

PROBLEM_FLOW = {
    "open": ("in_progress",),
    "in_progress": ("rectified",),
    "rectified": ("verified", "in_progress"),  # verified, or sent back when the check fails
    "verified": (),
}

STATUS_NAMES_ZH = {"open": "待整改", "in_progress": "整改中", "rectified": "已整改", "verified": "已验收销号"}


def problem_transition(current: str, wanted: str) -> Violation | None:
    """EVAL.PROBLEMS: open -> in progress -> rectified -> verified; a failed check sends it back."""
    if wanted in PROBLEM_FLOW[current]:
        return None
    allowed = PROBLEM_FLOW[current]
    return Violation(
        "EVAL.PROBLEMS",
        en=f"a problem that is {current} cannot become {wanted}"
           + (f"; it can become {' or '.join(allowed)}" if allowed else "; it is closed"),
        zh=f"问题当前为“{STATUS_NAMES_ZH[current]}”，不能改为“{STATUS_NAMES_ZH[wanted]}”",
        facts={"status": current, "wanted": wanted, "allowed": list(allowed)})


def problem_closed(status: str) -> Violation | None:
    """EVAL.PROBLEMS: a verified problem is closed (销号); a new finding is a new problem."""
    if status != "verified":
        return None
    return Violation("EVAL.PROBLEMS", en="the problem is verified and closed; put a new finding on the list instead",
                     zh="问题已验收销号，不能再修改；新发现的问题请重新列入清单", facts={"status": status})


def problem_needs_measures(measures: str | None) -> Violation | None:
    """EVAL.PROBLEMS: each problem has rectification measures before the work on it starts."""
    if measures and measures.strip():
        return None
    return Violation("EVAL.PROBLEMS", en="write the rectification measures before starting the rectification",
                     zh="开始整改前须明确整改措施", facts={})


def problem_escalation(status: str, has_upper_level: bool) -> Violation | None:
    """EVAL.PROBLEMS: a problem the branch cannot solve goes one level up; a closed one, or one already at
    the top, does not."""
    if status == "verified":
        return Violation("EVAL.PROBLEMS", en="a verified problem is closed and cannot be escalated",
                         zh="问题已验收销号，不能再上报", facts={"status": status})
    if not has_upper_level:
        return Violation("EVAL.PROBLEMS", en="the problem is already at the top level", zh="问题已在最高层级",
                         facts={"status": status})
    return None


def problem_due(deadline: date | None, year: int) -> date:
    """EVAL.PROBLEMS: due by its deadline, and in any case by the end of the year it belongs to."""
    year_end = date(year, 12, 31)
    return min(deadline, year_end) if deadline else year_end


def problem_overdue(status: str, deadline: date | None, year: int, as_of: date) -> Violation | None:
    """EVAL.PROBLEMS (deadline): a problem not yet rectified after its due date is overdue (never refused)."""
    if status in ("rectified", "verified"):
        return None
    due = problem_due(deadline, year)
    if as_of <= due:
        return None
    return Violation("EVAL.PROBLEMS", en=f"the problem was due to be rectified by {due}",
                     zh=f"该问题应于{due}前整改完毕，已逾期", facts={"due": due})
