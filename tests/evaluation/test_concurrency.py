"""Issue 11 defect 1 in evaluation, on the real PostgreSQL with real concurrent requests: of two writers sending
the same ETag (a scorecard's new version, a manual input, a problem's change, transition, escalation or weak
scope) exactly one wins, the other gets 412, and the stored state is the winner's; two recomputes or two
publications of overlapping regions at once wait for each other: none fails (409, 503) and no version is
published twice."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.evaluation.models import Assessment, RatingBatch
from shared.dates import today
from shared.testing import at_once, kit_of

from .conftest import API, YEAR, enter, satisfaction_scorecard

pytestmark = pytest.mark.infra


@pytest.fixture
def evaluation(make_app, pg_url):
    """The conftest's evaluation app (and so its feed, tree and tokens) on PostgreSQL."""
    return make_app("evaluation", database_url=pg_url("evaluation"))


def read(app, headers, url) -> tuple[dict, str]:
    resp = app.test_client().get(url, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json(), resp.headers["ETag"]


def send(method, url, headers, etag=None, body=None):
    headers = {**headers, **({"If-Match": etag} if etag else {})}
    return lambda client: client.open(url, method=method, json=body, headers=headers)


def one_winner(first, second, won: int = 200):
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == sorted([won, 412]), (first.status_code, first.get_json(), second.status_code,
                                            second.get_json())
    return first if first.status_code == won else second


def card_body(name: str, weight: int) -> dict:
    return {"name": name, "criteria": [
        {"key": "satisfaction", "name": "群众满意度", "weight": weight,
         "source": {"manual": "public_satisfaction", "min": 0, "max": 100}},
        {"key": "inspection", "name": "检查", "weight": 100 - weight,
         "source": {"manual": "inspection_findings", "min": 0, "max": 100}}]}


def open_problem(app, headers, unit) -> dict:
    resp = app.test_client().post(f"{API}/problems", headers=headers, json={
        "unit_id": unit["id"], "source": "inspection", "description": "三会一课记录不全", "responsible": "王书记",
        "measures": "补齐记录", "deadline": (today() + timedelta(days=30)).isoformat()})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


@pytest.fixture
def branch(feed, tree):
    return feed.unit("branch", "一支部", tree["township"])


def test_of_two_scorecard_versions_with_one_etag_exactly_one_is_added_every_round(evaluation, tree, admin):
    card = satisfaction_scorecard(evaluation, admin, tree["county"])
    url = f"{API}/scorecards/{card['id']}"
    for round_ in range(15):
        before, etag = read(evaluation, admin, url)
        first, second = at_once(evaluation, send("PUT", url, admin, etag, card_body(f"甲{round_}", 60)),
                                send("PUT", url, admin, etag, card_body(f"乙{round_}", 70)))
        winner = one_winner(first, second).get_json()
        after, _ = read(evaluation, admin, url)
        assert (after["name"], after["criteria"], after["version"]) == (
            winner["name"], winner["criteria"], before["version"] + 1), round_
        versions = evaluation.test_client().get(f"{url}/versions?limit=100", headers=admin).get_json()["items"]
        assert [v["number"] for v in versions] == list(range(1, after["version"] + 1)), round_


def test_of_two_input_changes_with_one_etag_exactly_one_is_kept_every_round(evaluation, branch, admin):
    entered = enter(evaluation, admin, branch, "public_satisfaction", 50)
    url = f"{API}/inputs/{entered['id']}"
    for round_ in range(15):
        before, etag = read(evaluation, admin, url)
        first, second = at_once(evaluation, send("PATCH", url, admin, etag, {"value": 60 + round_, "note": "甲"}),
                                send("PATCH", url, admin, etag, {"value": 80 + round_, "note": "乙"}))
        winner = one_winner(first, second).get_json()
        after, _ = read(evaluation, admin, url)
        assert (after["value"], after["note"], after["version"]) == (winner["value"], winner["note"],
                                                                     before["version"] + 1), round_


def test_of_two_problem_changes_with_one_etag_exactly_one_is_kept_every_round(evaluation, branch, admin):
    url = f"{API}/problems/{open_problem(evaluation, admin, branch)['id']}"
    for round_ in range(15):
        before, etag = read(evaluation, admin, url)
        first, second = at_once(evaluation, send("PATCH", url, admin, etag, {"responsible": f"甲{round_}"}),
                                send("PATCH", url, admin, etag, {"responsible": f"乙{round_}"}))
        winner = one_winner(first, second).get_json()
        after, _ = read(evaluation, admin, url)
        assert (after["responsible"], after["version"]) == (winner["responsible"], before["version"] + 1), round_


def test_of_two_transitions_with_one_etag_exactly_one_is_taken_every_round(evaluation, branch, admin):
    url = f"{API}/problems/{open_problem(evaluation, admin, branch)['id']}"
    flow = ["in_progress"] + ["rectified", "in_progress"] * 5
    for round_, status in enumerate(flow):
        before, etag = read(evaluation, admin, url)
        first, second = at_once(evaluation, send("POST", f"{url}/transitions", admin, etag,
                                                 {"status": status, "comment": f"甲{round_}"}),
                                send("POST", f"{url}/transitions", admin, etag,
                                     {"status": status, "comment": f"乙{round_}"}))
        one_winner(first, second)
        after, _ = read(evaluation, admin, url)
        assert (after["status"], after["version"]) == (status, before["version"] + 1), round_
    comments = evaluation.test_client().get(f"{url}/comments?limit=100", headers=admin).get_json()["items"]
    assert len(comments) == len(flow)              # one per transition taken, none of a loser's


def test_of_two_escalations_with_one_etag_the_problem_goes_up_one_level(evaluation, feed, tree, admin):
    for round_ in range(8):
        branch = feed.unit("branch", f"支部{round_}", tree["township"])
        url = f"{API}/problems/{open_problem(evaluation, admin, branch)['id']}"
        _, etag = read(evaluation, admin, url)
        first, second = at_once(evaluation, send("POST", f"{url}/escalations", admin, etag, {"reason": "甲"}),
                                send("POST", f"{url}/escalations", admin, etag, {"reason": "乙"}))
        one_winner(first, second)
        after, _ = read(evaluation, admin, url)
        assert (after["level_unit_id"], after["escalations"], after["version"]) == (
            tree["township"]["id"], 1, 2), round_


def test_of_two_weak_scope_decisions_with_one_etag_exactly_one_is_kept(evaluation, branch, admin):
    url = f"{API}/problems/{open_problem(evaluation, admin, branch)['id']}"
    for round_ in range(15):
        before, etag = read(evaluation, admin, url)
        first, second = at_once(evaluation, send("PUT", f"{url}/weak-scope", admin, etag,
                                                 {"in_scope": True, "reason": f"甲{round_}"}),
                                send("PUT", f"{url}/weak-scope", admin, etag,
                                     {"in_scope": False, "reason": f"乙{round_}"}))
        winner = one_winner(first, second).get_json()
        after, _ = read(evaluation, admin, url)
        assert (after["in_weak_scope"], after["version"]) == (winner["in_weak_scope"],
                                                              before["version"] + 1), round_


@pytest.fixture
def rated(evaluation, feed, tree, admin):
    """Branches under both counties, each with public satisfaction entered."""
    satisfaction_scorecard(evaluation, admin, tree["city"])
    other_township = feed.unit("township", "时庄街道党工委", tree["other_county"])
    branches = [feed.unit("branch", f"支部{i}", tree["township"] if i % 2 else other_township) for i in range(40)]
    for i, branch in enumerate(branches):
        enter(evaluation, admin, branch, "public_satisfaction", 50 + i)
    return branches


def recompute(region, headers):
    return lambda client: client.post(f"{API}/assessments/recompute", json={"under": region["id"], "year": YEAR},
                                      headers=headers)


def test_recomputes_of_a_county_and_of_its_city_at_once_both_succeed(evaluation, tree, admin, rated):
    """Each recompute replaces its subtree's assessments (delete, then insert): two at once of overlapping
    subtrees would insert the same branch's row twice (409) or lock the rows in different orders (503)."""
    for round_ in range(6):
        regions = [tree["county"], tree["city"]] if round_ % 2 else [tree["city"], tree["county"]]
        first, second = at_once(evaluation, recompute(regions[0], admin), recompute(regions[1], admin))
        assert (first.status_code, second.status_code) == (200, 200), (round_, first.get_json(), second.get_json())
        with kit_of(evaluation).db.Session() as session:
            assert session.scalar(select(func.count()).select_from(Assessment)
                                  .where(Assessment.year == YEAR)) == len(rated), round_


def test_two_publications_of_a_county_at_once_publish_two_versions(evaluation, tree, admin, rated):
    def publish(reason):
        return lambda client: client.post(f"{API}/ratings", headers=admin, json={
            "region_id": tree["county"]["id"], "year": YEAR, "reason": reason})

    for round_ in range(4):
        first, second = at_once(evaluation, publish(f"甲{round_}"), publish(f"乙{round_}"))
        # whichever runs second sees the other's batch and publishes the next version, as a correction
        assert (first.status_code, second.status_code) == (201, 201), (round_, first.get_json(), second.get_json())
        with kit_of(evaluation).db.Session() as session:
            versions = session.scalars(select(RatingBatch.version).where(RatingBatch.region_id == tree["county"]["id"])
                                       .order_by(RatingBatch.version)).all()
        assert versions == list(range(1, 2 * round_ + 3)), round_
