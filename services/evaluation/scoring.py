"""Scorecards as arithmetic: the fixed set of indicator names, the manual inputs, and the score.

Pure: no database, no request, no clock. ``score_columns`` takes indicator values as columns
(one list per indicator name, one position per branch) and returns each branch's score and its
breakdown by criterion, so that 330,000 branches are scored in one pass over lists.
"""
from __future__ import annotations

import operator
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from . import rules
from .rules import MEETING_TYPES

#: every name a criterion or veto may use, with where its value comes from (docs/evaluation.md)
INDICATORS: dict[str, str] = {
    "meetings.ratio": "meetings held and counted (quorum met) against meetings due by LIFE.*, each type "
                      "capped at its due count; 1 when nothing is due yet (org.meeting.recorded)",
    "meetings.shortfall": "meetings due by LIFE.* and not held, all types (org.meeting.recorded)",
    **{f"meetings.{t}": f"{t} meetings held against due, capped at 1; 1 when none is due (org.meeting.recorded)"
       for t in MEETING_TYPES},
    "committee.complete": "1 when the secretary and every seat are filled and the committee is as large as "
                          "ORG.COMMITTEE_REQUIRED asks (org.committee.*, members.*)",
    "committee.secretary_vacant_3m": "1 when the secretary seat has been empty 3 months or more "
                                     "(org.committee.* secretary_vacant_since)",
    "committee.term_in_force": "1 when a committee is on record and its term has not ended "
                               "(org.committee.* term_ends_on)",
    "members.full": "full members now (members.* person state)",
    "members.probationary": "probationary members now (members.*)",
    "members.target": "development targets now (members.*)",
    "members.activist": "activists now (members.*)",
    "members.applicant": "applicants now (members.*)",
    "members.developed_1y": "members admitted (probationary_since) in the last year (members.*)",
    "members.developed_2y": "members admitted in the last 2 years (members.*)",
    "members.developed_3y": "members admitted in the last 3 years (members.*)",
    "review.done": "1 when the year's democratic review of members is on record (members.review.recorded)",
    "points.average": "quantified points of the year per full or probationary member (members.points.awarded)",
    "training.hour_coverage": "share of full and probationary members with the year's class hours "
                              "(training.attendance.recorded, training.requirement.met)",
    "training.rotation": "1 when the secretary on record met the year's rotation training "
                         "(training.requirement.met secretary_rotation)",
    "support.venue": "1 when the branch has an activity venue on record (org.support.changed)",
    "problems.open": "problems of the year not yet rectified (this service's problem lists)",
    "problems.overdue": "problems of the year past their due date and not rectified",
    "problems.rectified": "problems of the year rectified or verified",
    "problems.rectified_ratio": "rectified problems of the year over all of them; 1 when there are none",
}

#: what may be entered by hand (nothing any record holds), with its allowed range
MANUAL_INPUTS: dict[str, dict] = {
    "public_satisfaction": {"min": 0, "max": 100, "zh": "群众满意度（%）"},
    "inspection_findings": {"min": 0, "max": 100, "zh": "督查发现问题数"},
    "discipline_violation": {"min": 0, "max": 1, "zh": "班子成员严重违纪违法（1 = 是）"},
    "secretary_unfit": {"min": 0, "max": 1, "zh": "书记不胜任现职（1 = 是）"},
    "life_formality": {"min": 0, "max": 1, "zh": "组织生活流于形式（1 = 是）"},
    "county_listed": {"min": 0, "max": 1, "zh": "县级排查认定的其他软弱涣散情形（1 = 是）"},
}

TRANSFORMS = ("scaled", "flag", "penalty")
VETO_OPS = (">=", ">", "<=", "<", "==")

_CENT = Decimal("0.01")


def round2(value: float) -> float:
    """Scores are kept to 2 decimals, half up, so that 89.995 is 90.00 on every machine."""
    return float(Decimal(repr(value)).quantize(_CENT, rounding=ROUND_HALF_UP))


def criterion_fraction(source: dict, value: float | None) -> float:
    """The share of a criterion's weight a value earns (0..1); a missing value earns nothing."""
    return points_column(source, 1.0, [value])[0]


def source_name(source: dict) -> str:
    return source.get("indicator") or source.get("manual")


_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "==": operator.eq}


def veto_hit(veto: dict, value: float | None) -> bool:
    return value is not None and _OPS[veto["op"]](value, veto["value"])


def points_column(source: dict, weight: float, values: list) -> list[float]:
    """A criterion's points for a column of values, one comprehension per transform (no call per value):

    - indicator, ``scaled``: weight x min(value / target, 1), at least 0;
    - indicator, ``flag``: weight when value >= 1;
    - indicator, ``penalty``: weight x max(1 - value / target, 0);
    - manual input: weight x the value's position in ``min..max`` (reversed unless ``higher_is_better``).
    A missing value (None) earns 0.
    """
    if "manual" in source:
        low, span = source["min"], source["max"] - source["min"]
        shares = [None if v is None else (v - low) / span for v in values]
        shares = [0.0 if s is None or s <= 0 else 1.0 if s >= 1 else s for s in shares]
        if not source.get("higher_is_better", True):
            shares = [1.0 - s if v is not None else 0.0 for s, v in zip(shares, values)]
        return [weight * s for s in shares]
    transform = source.get("transform", "scaled")
    if transform == "flag":
        return [weight if v is not None and v >= 1 else 0.0 for v in values]
    target = source.get("target", 1) or 1
    if transform == "penalty":
        return [0.0 if v is None or v >= target else weight if v <= 0 else weight * (1.0 - v / target)
                for v in values]
    return [0.0 if v is None or v <= 0 else weight if v >= target else weight * v / target for v in values]


def score_columns(criteria: list[dict], vetoes: list[dict], columns: dict[str, list],
                  manual: dict[str, list], rows: list[int]) -> tuple[list[float], list[list], list[list]]:
    """Score the branches at positions ``rows`` with one scorecard.

    ``columns[name][i]`` is indicator ``name`` of branch ``i``; ``manual[name][i]`` is the hand-entered
    value (or None). Returns, per row: the score (2 decimals), the breakdown ``{"values": [...],
    "points": [...]}`` in the criteria's order, and the veto items hit ``[{"key", "name", "value"}]``.
    """
    value_columns, point_columns = [], []
    for criterion in criteria:
        source = criterion["source"]
        name = source_name(source)
        values = manual[name] if "manual" in source else columns[name]
        picked = [values[i] for i in rows]
        value_columns.append(picked)
        point_columns.append(points_column(source, float(criterion["weight"]), picked))
    totals = [round2(sum(points)) for points in zip(*point_columns)] if criteria else [0.0] * len(rows)
    rounded = [[round(p, 2) for p in column] for column in point_columns]
    breakdown = ([{"values": list(vs), "points": list(ps)} for vs, ps in zip(zip(*value_columns), zip(*rounded))]
                 if criteria else [{"values": [], "points": []} for _ in rows])
    hits: list[list] = [[] for _ in rows]
    for veto in vetoes:
        name = veto.get("indicator") or veto.get("manual")
        values = manual[name] if "manual" in veto else columns[name]
        compare, limit = _OPS[veto["op"]], veto["value"]
        for j, i in enumerate(rows):
            value = values[i]
            if value is not None and compare(value, limit):
                hits[j].append({"key": veto["key"], "name": veto["name"], "value": value})
    return totals, breakdown, hits


@dataclass(frozen=True)
class Card:
    """The scorecard in force for a region: a stored version, or the built-in default (``version_id`` None)."""

    version_id: str | None
    name: str
    criteria: list
    vetoes: list


def rate(columns: dict[str, list], manual: dict[str, list], signs: list[list], region_of: list[str],
         card_of_region: dict[str, Card], previous_stars: list, config: dict) -> dict[str, list]:
    """Score, stars, limits, category and change of every branch, as columns (pure; EVAL.STARS, EVAL.VETO,
    EVAL.CATEGORY).

    Order: the score gives stars by the thresholds; a veto item or a weak-and-lax sign limits them to
    ``EVAL.VETO_MAX_STARS``; then each region's five-star quota is applied to the branches still at
    five stars (tie-break in ``rules.five_star_cut``); the category and the change from last year
    follow from the final stars. Every region in ``region_of`` must be complete (all its branches).
    """
    n = len(region_of)
    score = [0.0] * n
    breakdown: list = [None] * n
    vetoes: list = [None] * n
    rows_of_card: dict[str, list[int]] = defaultdict(list)
    for i, region in enumerate(region_of):
        rows_of_card[region].append(i)
    for region, rows in rows_of_card.items():
        card = card_of_region[region]
        scores, parts, hits = score_columns(card.criteria, card.vetoes, columns, manual, rows)
        for j, i in enumerate(rows):
            score[i], breakdown[i], vetoes[i] = scores[j], parts[j], hits[j]

    thresholds = config["EVAL.STARS"]
    max_stars = config["EVAL.VETO_MAX_STARS"]
    stars_by_score = [rules.stars_for(s, thresholds) for s in score]
    stars = list(stars_by_score)
    limits: list[list] = [[] for _ in range(n)]
    for i in range(n):
        limit = rules.veto_limit(stars[i], vetoes[i], signs[i], max_stars)
        if limit is not None:
            stars[i] = max_stars
            limits[i].append(limit.as_dict())

    region_size = Counter(region_of)
    for region, rows in rows_of_card.items():
        candidates = [i for i in rows if stars[i] == 5]
        quota = rules.five_star_quota(region_size[region], config["EVAL.FIVE_STAR_CAP"])
        cut = rules.five_star_cut([score[i] for i in candidates], quota)
        if cut is None:
            continue
        for i in candidates:
            if score[i] <= cut:
                stars[i] = 4
                limits[i].append(rules.five_star_capped(score[i], cut, quota, region_size[region]).as_dict())

    mapping = config["EVAL.CATEGORY"]
    return {
        "score": score,
        "stars_by_score": stars_by_score,
        "stars": stars,
        "category": [rules.category_for(s, mapping) for s in stars],
        "change": [rules.change_from_last_year(s, p) for s, p in zip(stars, previous_stars)],
        "weak": [bool(s) for s in signs],
        "breakdown": breakdown,
        "vetoes": vetoes,
        "signs": [[v.as_dict() for v in s] for s in signs],
        "limits": limits,
    }
