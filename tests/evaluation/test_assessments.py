"""Assessments through the API: stars, the five-star quota, vetoes, weak-and-lax, scope and bad input."""
from datetime import date

from sqlalchemy import func, select

from services.evaluation.models import Assessment
from shared.testing import kit_of
from tests.conftest import deliver
from tests.evaluation.conftest import (API, YEAR, assessment, enter, new_id, recompute, satisfaction_scorecard)


def count_assessments(app) -> int:
    with kit_of(app).db.Session() as session:
        return session.scalar(select(func.count()).select_from(Assessment))


def stars_of(app, headers, branches) -> list[int]:
    return [assessment(app, headers, b)["assessment"]["stars"] for b in branches]


def county_of_healthy_branches(evaluation, feed, tree, admin, scores):
    satisfaction_scorecard(evaluation, admin, tree["county"])
    branches = []
    for i, score in enumerate(scores):
        branch = feed.healthy_branch(tree["township"], f"支部{i:02d}")
        enter(evaluation, admin, branch, "public_satisfaction", score)
        branches.append(branch)
    return branches


def test_stars_at_each_threshold_through_the_api(evaluation, feed, tree, admin):
    scores = [59.99, 60, 89.99, 90, 70, 70, 70, 70, 70, 70]
    branches = county_of_healthy_branches(evaluation, feed, tree, admin, scores)
    summary = recompute(evaluation, admin, tree["county"])
    assert summary["branches"] == 10
    assert summary["regions"] == 1
    found = [assessment(evaluation, admin, b)["assessment"] for b in branches[:4]]
    assert [a["score"] for a in found] == [59.99, 60, 89.99, 90]
    assert [a["stars"] for a in found] == [1, 2, 4, 5]
    assert [a["category"] for a in found] == ["backward", "backward", "advanced", "advanced"]
    assert found[0]["weak"]
    assert found[0]["signs"][0]["facts"]["sign"] == "low_satisfaction"  # below 60%


def test_thirty_percent_cap_with_ties_at_the_cut_line(evaluation, feed, tree, admin):
    scores = [99, 98, 95, 95, 95, 70, 70, 70, 70, 70]  # five qualify, the quota is 3, three tie for places 3-5
    branches = county_of_healthy_branches(evaluation, feed, tree, admin, scores)
    summary = recompute(evaluation, admin, tree["county"])
    assert summary["by_stars"] == {"5": 2, "4": 3, "3": 5, "2": 0, "1": 0}
    found = [assessment(evaluation, admin, b)["assessment"] for b in branches[:5]]
    assert [a["stars"] for a in found] == [5, 5, 4, 4, 4]
    assert [a["stars_by_score"] for a in found] == [5, 5, 5, 5, 5]
    limit = found[2]["limits"][0]
    assert limit["code"] == "EVAL.STARS"
    assert limit["facts"] == {"quota": 3, "county_branches": 10, "cut": 95.0, "score": 95.0}


def test_a_veto_on_a_95_point_branch(evaluation, feed, tree, admin):
    branch = feed.model_branch(tree["township"], "一支部", review=False)
    others = [feed.healthy_branch(tree["township"], f"支部{i}") for i in range(3)]
    enter(evaluation, admin, branch, "public_satisfaction", 100)  # the built-in scorecard: 100 - 5 (no review)
    recompute(evaluation, admin, tree["county"])
    before = assessment(evaluation, admin, branch)
    assert before["assessment"]["score"] == 95.0
    assert before["assessment"]["stars"] == 5

    enter(evaluation, admin, branch, "discipline_violation", 1)
    recompute(evaluation, admin, tree["county"])
    after = assessment(evaluation, admin, branch)["assessment"]
    assert after["score"] == 95.0
    assert after["stars_by_score"] == 5
    assert after["stars"] == 2
    assert after["category"] == "backward"
    assert after["vetoes"] == [{"key": "discipline", "name": "班子成员严重违纪违法", "value": 1.0}]
    assert after["limits"][0]["code"] == "EVAL.VETO"
    assert len(others) == 3


def test_breakdown_tells_where_each_number_came_from(evaluation, feed, tree, admin):
    branch = feed.model_branch(tree["township"], "一支部")
    entered = enter(evaluation, admin, branch, "public_satisfaction", 80)
    recompute(evaluation, admin, tree["county"])
    found = assessment(evaluation, admin, branch)
    assert found["scorecard"]["built_in"] is True
    by_key = {c["key"]: c for c in found["criteria"]}
    assert sum(c["points"] for c in found["criteria"]) == found["assessment"]["score"] == 98.0
    assert by_key["meetings"]["provenance"]["indicator"] == "meetings.ratio"
    assert "org.meeting.recorded" in by_key["meetings"]["provenance"]["from"]
    assert by_key["satisfaction"]["provenance"]["input_id"] == entered["id"]
    assert by_key["satisfaction"]["provenance"]["entered_by"] == "tester"
    assert (by_key["satisfaction"]["value"], by_key["satisfaction"]["points"]) == (80.0, 8.0)


def test_a_weak_and_lax_sign_from_events_caps_a_branch_at_two_stars(evaluation, feed, tree, admin):
    branch = feed.model_branch(tree["township"], "一支部", members=4)
    for i in range(9):
        feed.healthy_branch(tree["township"], f"支部{i}")
    enter(evaluation, admin, branch, "public_satisfaction", 100)
    recompute(evaluation, admin, tree["county"])
    assert assessment(evaluation, admin, branch)["assessment"]["stars"] == 5

    # the secretary left the seat in March: empty 3 months by June
    feed.committee(branch, [{"role": "secretary", "person_id": None, "since": None}], version=2,
                   elected_on=date(YEAR - 1, 6, 1), vacant_since=date(YEAR, 3, 1), change="vacancy",
                   committee_id=new_id())
    recompute(evaluation, admin, tree["county"])
    found = assessment(evaluation, admin, branch)["assessment"]
    assert found["stars"] == 2
    assert found["weak"] is True
    sign = next(s for s in found["signs"] if s["facts"]["sign"] == "secretary_vacant")
    assert sign["code"] == "EVAL.WEAK"
    assert sign["facts"]["vacant_since"] == f"{YEAR}-03-01"
    assert sign["facts"]["weak_from"] == f"{YEAR}-06-01"

    weak = evaluation.test_client().get(f"{API}/weak?under={tree['county']['id']}&year={YEAR}", headers=admin)
    assert [w["unit_id"] for w in weak.get_json()["items"]] == [branch["id"]]


def test_each_countys_bottom_for_re_ranking_with_ties(evaluation, feed, tree, admin):
    scores = [61, 62, 62] + [90 - i for i in range(17)]  # 20 branches: bottom 5% = 1, 10% = 2 (ties share a rank)
    branches = county_of_healthy_branches(evaluation, feed, tree, admin, scores)
    recompute(evaluation, admin, tree["county"])
    resp = evaluation.test_client().get(f"{API}/weak/bottom?under={tree['county']['id']}&year={YEAR}",
                                        headers=admin).get_json()
    rows = resp["items"]
    assert [(r["unit_id"], r["rank"], r["within_least"]) for r in rows] == [
        (branches[0]["id"], 1, True), (branches[1]["id"], 2, False), (branches[2]["id"], 2, False)]
    assert {(r["least"], r["most"], r["region_branches"]) for r in rows} == {(1, 2, 20)}


def test_recompute_refuses_bad_input_and_writes_nothing(evaluation, feed, tree, admin):
    feed.healthy_branch(tree["township"], "一支部")
    client = evaluation.test_client()
    cases = [
        ({"under": tree["county"]["id"]}, "year"),
        ({"under": "not-a-uuid", "year": YEAR}, "under"),
        ({"under": tree["township"]["id"], "year": YEAR}, "under"),   # not a whole county
        ({"under": tree["county"]["id"], "year": YEAR + 2}, "year"),  # not begun
        ({"under": tree["county"]["id"], "year": 1900}, "year"),
    ]
    for body, field in cases:
        resp = client.post(f"{API}/assessments/recompute", json=body, headers=admin)
        assert resp.status_code == 422, (body, resp.get_json())
        assert field in resp.get_json()["errors"]["json"], resp.get_json()
    assert count_assessments(evaluation) == 0


def test_a_county_sees_only_its_own_branches(make_app, auth_headers):
    org, evaluation = make_app("org"), make_app("evaluation")
    admin = auth_headers(org, "admin")
    client = org.test_client()

    def unit(kind, name, parent=None):
        body = {"kind": kind, "name": name, "code": new_id()[:8]}
        if parent:
            body["parent_id"] = parent["id"]
        resp = client.post("/api/org/v1/units", json=body, headers=admin)
        assert resp.status_code == 201, resp.get_json()
        return resp.get_json()

    province = unit("province", "山东省委")
    city = unit("city", "济宁市委", province)
    ours, theirs = unit("county", "邹城市委", city), unit("county", "曲阜市委", city)
    our_branch, their_branch = unit("branch", "一支部", ours), unit("branch", "二支部", theirs)
    deliver([org], [evaluation])  # the evaluation service learns the tree from org's events

    ev = evaluation.test_client()
    root = auth_headers(evaluation, "admin")
    for county in (ours, theirs):
        assert ev.post(f"{API}/assessments/recompute", json={"under": county["id"], "year": YEAR},
                       headers=root).status_code == 200
    county_organizer = auth_headers(evaluation, "organizer", scope=ours["id"])
    listed = ev.get(f"{API}/assessments?year={YEAR}", headers=county_organizer).get_json()
    assert [a["unit_id"] for a in listed["items"]] == [our_branch["id"]]
    assert ev.get(f"{API}/units/{our_branch['id']}/assessment?year={YEAR}",
                  headers=county_organizer).status_code == 200
    for url in (f"{API}/units/{their_branch['id']}/assessment?year={YEAR}",
                f"{API}/units/{their_branch['id']}/indicators?year={YEAR}",
                f"{API}/assessments?under={theirs['id']}&year={YEAR}",
                f"{API}/dashboard?under={theirs['id']}&year={YEAR}"):
        resp = ev.get(url, headers=county_organizer)
        assert resp.status_code == 404, url
        assert resp.get_json()["type"].endswith("not-found")
    resp = ev.post(f"{API}/assessments/recompute", json={"under": theirs["id"], "year": YEAR},
                   headers=county_organizer)
    assert resp.status_code == 404

    secretary = auth_headers(evaluation, "secretary", scope=our_branch["id"])
    assert ev.get(f"{API}/units/{our_branch['id']}/assessment?year={YEAR}", headers=secretary).status_code == 200
    resp = ev.post(f"{API}/assessments/recompute", json={"under": ours["id"], "year": YEAR}, headers=secretary)
    assert resp.status_code == 403


def test_a_province_recompute_agrees_with_county_recomputes(evaluation, feed, tree, admin):
    branches = [feed.model_branch(tree["township"], "一支部"), feed.healthy_branch(tree["township"], "二支部"),
                feed.model_branch(tree["other_county"], "外县支部"), feed.unit("branch", "空支部", tree["other_county"])]
    feed.person(tree["township"], "full")  # people of a unit that is not rated are left out
    enter(evaluation, admin, branches[0], "public_satisfaction", 90)

    def snapshot():
        return [{k: v for k, v in assessment(evaluation, admin, b)["assessment"].items() if k != "computed_at"}
                for b in branches]

    for county in (tree["county"], tree["other_county"]):
        recompute(evaluation, admin, county)
    by_county = snapshot()
    summary = recompute(evaluation, admin, tree["province"])
    assert summary["branches"] == 4
    assert summary["regions"] == 2
    assert snapshot() == by_county


def test_the_nightly_job_recomputes_this_years_assessments_of_every_branch(evaluation, feed, tree, admin):
    from services.evaluation.assessing import nightly_recompute
    from shared.dates import today

    jobs = kit_of(evaluation).jobs
    # the service's own jobs, then the kit's every service runs
    assert [job.name for job in jobs] == ["nightly-recompute", "deadline-reminders", "idempotency-purge",
                                          "changes-purge"]
    branches = [feed.healthy_branch(tree["township"], f"支部{i:02d}") for i in range(3)]
    result = nightly_recompute(evaluation)                       # what the worker calls at 02:30
    assert result["year"] == today().year
    assert sum(result["branches"].values()) == 3
    found = [assessment(evaluation, admin, b, year=today().year)["assessment"] for b in branches]
    assert all(a["computed_at"] for a in found)


def test_regions_are_cut_into_parts_only_where_every_branch_of_them_is_in():
    from services.evaluation.assessing import region_parts

    assert region_parts(["k1"] * 3 + ["k2"] * 2 + ["k3"] * 4, least=3) == [slice(0, 3), slice(3, 9)]
    assert region_parts(["k1"] * 3 + ["k2"] * 2, least=1) == [slice(0, 3), slice(3, 5)]
    # a city's own branches on either side of its counties' hold the part open until the last of them
    assert region_parts(["city", "k1", "k1", "k2", "city", "k3"], least=1) == [slice(0, 5), slice(5, 6)]
    assert region_parts([], least=1) == []


def test_a_recompute_scored_in_parts_of_whole_regions_agrees_with_one_pass(evaluation, feed, tree, admin, monkeypatch):
    from services.evaluation import assessing

    # five qualify for five stars in the county, whose quota is 3: a part cutting the county would let them keep them
    branches = county_of_healthy_branches(evaluation, feed, tree, admin, [99, 98, 95, 95, 95, 70, 70, 70, 70, 70])
    branches += [feed.model_branch(tree["other_county"], "外县支部"),
                 feed.unit("branch", "市直机关一支部", tree["city"], key="a0"),   # the city's own, before its counties
                 feed.unit("branch", "市直机关二支部", tree["city"], key="a1")]

    def snapshot():
        return [{k: v for k, v in assessment(evaluation, admin, b)["assessment"].items() if k != "computed_at"}
                for b in branches]

    in_one_pass = recompute(evaluation, admin, tree["province"])
    assessed_in_one_pass = snapshot()
    assert in_one_pass["by_stars"]["5"] == 2
    cut_into = []
    region_parts = assessing.region_parts
    monkeypatch.setattr(assessing, "PART_BRANCHES", 1)
    monkeypatch.setattr(assessing, "region_parts", lambda *args: cut_into.append(region_parts(*args)) or cut_into[-1])
    in_parts = recompute(evaluation, admin, tree["province"])
    assert cut_into == [[slice(0, 2), slice(2, 12), slice(12, 13)]]  # the city's own, the county, the other county
    assert {**in_parts, "computed_at": None} == {**in_one_pass, "computed_at": None}
    assert snapshot() == assessed_in_one_pass
