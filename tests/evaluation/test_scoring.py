"""The scoring as a pure function over columns: criteria, vetoes, stars, the five-star quota, categories."""
import pytest

from services.evaluation import rules, scoring
from services.evaluation.scoring import Card
from shared.violations import Violation

CONFIG = rules.DEFAULTS


@pytest.mark.parametrize("source, value, share", [
    ({"indicator": "meetings.ratio", "transform": "scaled", "target": 1}, 0.5, 0.5),
    ({"indicator": "meetings.ratio", "transform": "scaled", "target": 1}, 1.4, 1.0),
    ({"indicator": "members.developed_3y", "transform": "scaled", "target": 2}, 1, 0.5),
    ({"indicator": "review.done", "transform": "flag"}, 1, 1.0),
    ({"indicator": "review.done", "transform": "flag"}, 0, 0.0),
    ({"indicator": "problems.overdue", "transform": "penalty", "target": 4}, 1, 0.75),
    ({"indicator": "problems.overdue", "transform": "penalty", "target": 4}, 9, 0.0),
    ({"manual": "public_satisfaction", "min": 0, "max": 100, "higher_is_better": True}, 80, 0.8),
    ({"manual": "inspection_findings", "min": 0, "max": 10, "higher_is_better": False}, 2, 0.8),
    ({"manual": "public_satisfaction", "min": 0, "max": 100}, None, 0.0),  # nothing entered earns nothing
    ({"indicator": "points.average", "transform": "scaled", "target": 100}, None, 0.0),
])
def test_criterion_share(source, value, share):
    assert scoring.criterion_fraction(source, value) == pytest.approx(share)
    assert scoring.points_column(source, 20.0, [value, value]) == pytest.approx([20 * share, 20 * share])


@pytest.mark.parametrize("raw, kept", [(89.995, 90.0), (89.994, 89.99), (59.995, 60.0), (0.1 + 0.2, 0.3)])
def test_scores_keep_two_decimals_half_up(raw, kept):
    assert scoring.round2(raw) == kept


SATISFACTION_ONLY = Card("v1", "满意度", [
    {"key": "satisfaction", "name": "群众满意度", "weight": 100,
     "source": {"manual": "public_satisfaction", "min": 0, "max": 100, "higher_is_better": True}}],
    [{"key": "discipline", "name": "严重违纪", "manual": "discipline_violation", "op": ">=", "value": 1}])


def rate(scores, *, regions=None, vetoes=None, weak=None, previous=None):
    n = len(scores)
    regions = regions or ["county"] * n
    manual = {name: [None] * n for name in scoring.MANUAL_INPUTS}
    manual["public_satisfaction"] = list(scores)
    manual["discipline_violation"] = [1 if (vetoes and i in vetoes) else None for i in range(n)]
    signs = [[Violation("EVAL.WEAK", en="", zh="", facts={"sign": "no_venue"})] if weak and i in weak else []
             for i in range(n)]
    cards = {r: SATISFACTION_ONLY for r in set(regions)}
    return scoring.rate({}, manual, signs, regions, cards, previous or [None] * n, CONFIG)


@pytest.mark.parametrize("score, stars", [(59.99, 1), (60, 2), (89.99, 4), (90, 5)])
def test_stars_at_the_thresholds(score, stars):
    # ten branches so that the five-star quota (3) does not interfere
    result = rate([score] + [10.0] * 9)
    assert result["score"][0] == score
    assert result["stars"][0] == stars


def test_five_stars_capped_at_30_percent_of_the_county():
    scores = [99, 98, 97, 96, 95, 10, 10, 10, 10, 10]
    result = rate(scores)
    assert result["stars"][:5] == [5, 5, 5, 4, 4]
    assert result["limits"][3][0]["code"] == "EVAL.STARS"
    assert result["limits"][3][0]["facts"]["quota"] == 3


def test_ties_at_the_cut_line_all_drop_and_the_cap_holds():
    scores = [99, 98, 95, 95, 95, 10, 10, 10, 10, 10]  # quota 3; three tied for places 3-5
    result = rate(scores)
    assert result["stars"][:5] == [5, 5, 4, 4, 4]
    assert sum(1 for s in result["stars"] if s == 5) <= 3
    assert all(result["stars"][i] == result["stars"][2] for i in (2, 3, 4))  # equal scores, equal stars


def test_a_tie_inside_the_quota_keeps_both():
    result = rate([99, 95, 95, 91, 10, 10, 10, 10, 10, 10])
    assert result["stars"][:4] == [5, 5, 5, 4]


def test_each_county_has_its_own_quota():
    scores = [99, 98, 97, 96] + [10] * 6 + [99, 98, 97, 96] + [10] * 6
    regions = ["a"] * 10 + ["b"] * 10
    result = rate(scores, regions=regions)
    assert result["stars"][:4] == [5, 5, 5, 4]
    assert result["stars"][10:14] == [5, 5, 5, 4]


def test_a_veto_on_a_95_point_branch_gives_two_stars():
    result = rate([95.0] + [10.0] * 9, vetoes={0})
    assert result["score"][0] == 95.0
    assert result["stars_by_score"][0] == 5
    assert result["stars"][0] == 2
    assert result["category"][0] == "backward"
    assert result["vetoes"][0] == [{"key": "discipline", "name": "严重违纪", "value": 1}]
    assert result["limits"][0][0]["code"] == "EVAL.VETO"


def test_a_weak_and_lax_branch_gets_at_most_two_stars_and_frees_a_five_star_place():
    scores = [99, 98, 97, 96] + [10] * 6
    result = rate(scores, weak={0})
    assert result["stars"][0] == 2
    assert result["weak"][0]
    assert result["stars"][1:4] == [5, 5, 5]  # the quota counts the branches still at five stars


def test_change_from_last_year():
    result = rate([85, 65, 75] + [10] * 7, previous=[3, 3, 3] + [None] * 7)
    assert result["change"][:4] == ["up", "down", "same", "new"]


def test_breakdown_names_every_criterion_with_value_and_points():
    card = Card(None, "两项", [
        {"key": "meetings", "name": "组织生活", "weight": 60,
         "source": {"indicator": "meetings.ratio", "transform": "scaled", "target": 1}},
        {"key": "venue", "name": "阵地", "weight": 40, "source": {"indicator": "support.venue", "transform": "flag"}},
    ], [])
    scores, breakdown, hits = scoring.score_columns(card.criteria, card.vetoes,
                                                    {"meetings.ratio": [0.5, 1.0], "support.venue": [1, 0]},
                                                    {}, [0, 1])
    assert scores == [70.0, 60.0]
    assert breakdown[0] == {"values": [0.5, 1], "points": [30.0, 40.0]}
    assert hits == [[], []]
