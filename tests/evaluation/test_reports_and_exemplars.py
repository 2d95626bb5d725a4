"""EVAL.REPORTS (hearings, the screening and the 述职评议 in the indicators, the dashboard and the problem lists),
the weak-and-lax sign of a secretary assessed 差 (EVAL.WEAK), and exemplars (EVAL.EXEMPLARS)."""
import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from services.evaluation import rules
from shared.testing import pending_events
from tests.evaluation.conftest import API, YEAR, enter, new_id, satisfaction_scorecard
from tests.evaluation.test_ratings import publish


def hearing(feed, branch, held_on, points=(), version=1, hearing_id=None):
    hearing_id = hearing_id or new_id()
    feed.send("org.hearing.recorded", {
        "hearing_id": hearing_id, "unit_id": branch["id"], "committee_unit_id": branch["parent_id"],
        "held_on": held_on, "reporter": "王书记", "points": list(points), "hearing_version": version},
        org_path=branch["path"])
    return hearing_id


def screening(feed, branch, on, findings=(), version=1, record_id=None):
    record_id = record_id or new_id()
    feed.send("org.screening.recorded", {
        "record_id": record_id, "campaign_id": new_id(), "county_unit_id": new_id(), "unit_id": branch["id"],
        "year": on.year, "screened_on": on, "screened_by": "县委组织部", "findings": list(findings),
        "record_version": version}, org_path=branch["path"])
    return record_id


def assessed(feed, branch, assessment, year=YEAR, version=1):
    feed.send("org.secretary.assessed", {
        "report_id": new_id(), "unit_id": branch["id"], "year": year, "secretary_name": "王书记",
        "secretary_person_id": None, "assessment": assessment, "assessed_by": "钢山街道党工委",
        "assessed_on": date(year, 12, 28), "report_version": version}, org_path=branch["path"])


def indicators(evaluation, admin, branch, year=YEAR):
    resp = evaluation.test_client().get(f"{API}/units/{branch['id']}/indicators?year={year}", headers=admin)
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


@pytest.mark.parametrize("quarters, due, share", [
    (set(), 4, 0.0), ({1, 3}, 4, 0.5), ({1, 2, 3, 4}, 4, 1.0), ({1, 2}, 1, 1.0), (set(), 0, 1.0)])
def test_the_share_of_quarters_heard(quarters, due, share):
    assert rules.quarters_heard(quarters, due) == share


@pytest.mark.parametrize("as_of, due", [
    (date(2025, 3, 30), 0), (date(2025, 3, 31), 1), (date(2025, 12, 30), 3), (date(2025, 12, 31), 4),
    (date(2026, 1, 1), 4)])
def test_quarters_are_due_once_they_end(as_of, due):
    assert rules.quarters_due(2025, as_of) == due


@pytest.mark.parametrize("assessment, sign", [("good", False), ("fairly_good", False), ("average", False),
                                              ("poor", True)])
def test_only_a_secretary_assessed_poor_is_a_weak_sign(assessment, sign):
    violation = rules.secretary_poor(assessment, 2025, "党工委", date(2025, 12, 28), "王")
    assert (violation is not None) == sign


@pytest.mark.parametrize("stars, category, broken", [
    (5, "advanced", None), (4, "advanced", "EVAL.EXEMPLARS"), (5, "middle", "EVAL.EXEMPLARS"),
    (None, None, "EVAL.EXEMPLARS")])
def test_a_demonstration_branch_is_five_star_and_advanced(stars, category, broken):
    violation = rules.demonstration_eligible(stars, category, 2025)
    assert (violation.code if violation else None) == broken


def test_hearings_screening_and_the_secretary_report_count_in_the_indicators(evaluation, feed, tree, admin):
    branch = feed.healthy_branch(tree["township"], "甲支部")
    hearing(feed, branch, date(YEAR, 2, 10))
    moved = hearing(feed, branch, date(YEAR, 5, 10))
    hearing(feed, branch, date(YEAR, 8, 10))
    hearing(feed, branch, date(YEAR, 8, 20), hearing_id=moved, version=2)   # corrected into Q3: Q2 is empty again
    hearing(feed, branch, date(YEAR, 5, 10), hearing_id=moved, version=1)   # a late, older event changes nothing
    screening(feed, branch, date(YEAR, 4, 2))
    assessed(feed, branch, "poor")
    row = indicators(evaluation, admin, branch)
    assert row["indicators"]["reports.hearings"] == 0.5
    assert row["indicators"]["reports.screened"] == 1
    assert row["indicators"]["reports.secretary_assessed"] == 1
    assert row["indicators"]["reports.secretary_grade"] == 1
    assert row["evidence"]["reports"]["quarters_heard"] == [1, 3]
    sign = next(s for s in row["signs"] if s["facts"].get("sign") == "secretary_poor")
    assert sign["facts"]["assessed_by"] == "钢山街道党工委"
    assert sign["facts"]["year"] == YEAR


def test_points_and_findings_marked_problem_enter_the_problem_list_once(evaluation, feed, tree, admin):
    branch = feed.healthy_branch(tree["township"], "甲支部")
    point = {"text": "三会一课记录不全", "problem": True, "responsible": None, "deadline": None}
    kept = {"text": "活动室整洁", "problem": False, "responsible": None, "deadline": None}
    first = hearing(feed, branch, date(YEAR, 2, 10), points=[point, kept])
    hearing(feed, branch, date(YEAR, 2, 10), points=[point, kept], hearing_id=first, version=2)  # corrected
    screening(feed, branch, date(YEAR, 4, 2), findings=[{**point, "text": "发展党员断档", "responsible": "李委员",
                                                         "deadline": date(YEAR, 9, 30)}])
    items = evaluation.test_client().get(f"{API}/problems?year={YEAR}", headers=admin).get_json()["items"]
    assert sorted((p["source"], p["description"], p["responsible"]) for p in items) == [
        ("hearing", "三会一课记录不全", "王书记"), ("screening", "发展党员断档", "李委员")]
    assert next(p for p in items if p["source"] == "hearing")["deadline"] == f"{YEAR}-12-31"
    opened = [e for e in pending_events(evaluation) if e.type == "evaluation.problem.opened"]
    assert len(opened) == 2


def test_a_county_that_screened_90_percent_shows_90_percent(evaluation, feed, tree, admin):
    branches = [feed.unit("branch", f"支部{i}", tree["township"]) for i in range(10)]
    for branch in branches[:9]:
        screening(feed, branch, date(YEAR, 4, 2))
    for branch in branches[:4]:
        for month in (2, 5, 8, 11):
            hearing(feed, branch, date(YEAR, month, 10))
    hearing(feed, branches[4], date(YEAR, 2, 10))
    other = feed.unit("branch", "曲阜支部", tree["other_county"])
    assessed(feed, other, "poor", year=YEAR - 1)                  # the latest 述职评议 counts: last year's
    mended = feed.unit("branch", "曲阜二支部", tree["other_county"])
    assessed(feed, mended, "poor", year=YEAR - 1)
    assessed(feed, mended, "good")                                # this year's replaces it
    resp = evaluation.test_client().get(f"{API}/dashboard?year={YEAR}&under={tree['county']['id']}", headers=admin)
    reports = resp.get_json()["reports"]
    assert reports["branches"] == 10
    assert reports["screened"] == 9
    assert reports["screened_share"] == 0.9
    assert reports["quarters_due"] == 4
    assert reports["heard_every_quarter"] == 4
    assert reports["heard_share"] == 0.4
    city = evaluation.test_client().get(f"{API}/dashboard?year={YEAR}&under={tree['city']['id']}",
                                        headers=admin).get_json()["reports"]
    by_county = {c["name"]: c for c in city["counties"]}
    assert by_county["邹城市委"]["screened_share"] == 0.9
    assert by_county["邹城市委"]["heard_every_quarter"] == 4
    assert by_county["邹城市委"]["branches"] == 10
    assert by_county["曲阜市委"]["heard_every_quarter"] == 0
    assert by_county["曲阜市委"]["screened_share"] == 0.0
    assert by_county["曲阜市委"]["secretaries_poor"] == 1
    assert by_county["曲阜市委"]["secretaries_assessed"] == 2
    assert city["branches"] == 12


@pytest.fixture
def rated(evaluation, feed, tree, admin):
    """Four branches rated by public satisfaction: 甲 five stars (advanced), 乙 four, 丙 three, 丁 one."""
    satisfaction_scorecard(evaluation, admin, tree["county"])
    branches = []
    for name, score in zip(["甲支部", "乙支部", "丙支部", "丁支部"], [95, 85, 75, 59]):
        branch = feed.healthy_branch(tree["township"], name)
        branch["input"] = enter(evaluation, admin, branch, "public_satisfaction", score, YEAR)
        branches.append(branch)
    publish(evaluation, admin, tree["county"], YEAR)
    return branches


def exemplar(evaluation, admin, branch, kind="demonstration", **extra):
    return evaluation.test_client().post(f"{API}/exemplars", json={
        "kind": kind, "unit_id": branch["id"], "year": YEAR, "recognised_for": "三会一课规范，党员作用发挥好", **extra},
        headers=admin)


def test_demonstration_branches_come_from_five_star_advanced_ones_and_drop_with_them(evaluation, admin, tree, rated):
    first, second = rated[0], rated[1]
    chosen = exemplar(evaluation, admin, first)
    assert chosen.status_code == 201, chosen.get_json()
    assert chosen.get_json()["rating"]["stars"] == 5
    refused = exemplar(evaluation, admin, second)
    assert refused.status_code == 409
    assert refused.get_json()["code"] == "EVAL.EXEMPLARS"
    assert exemplar(evaluation, admin, first).status_code == 409          # already one this year
    example = exemplar(evaluation, admin, second, kind="advanced_example", subject_name="张三",
                       recognised_for="带领群众发展特色产业")
    assert example.status_code == 201
    url = f"{API}/inputs/{first['input']['id']}"
    etag = evaluation.test_client().get(url, headers=admin).headers["ETag"]
    assert evaluation.test_client().patch(url, json={"value": 70}, headers={**admin, "If-Match": etag}).status_code == 200
    publish(evaluation, admin, tree["county"], YEAR, reason="满意度复核")
    listed = evaluation.test_client().get(f"{API}/exemplars?year={YEAR}", headers=admin).get_json()["items"]
    demo = next(e for e in listed if e["kind"] == "demonstration")
    assert demo["status"] == "withdrawn"
    assert demo["rating"]["stars"] == 3
    assert "撤销示范党支部称号" in demo["withdrawn_reason"]
    assert next(e for e in listed if e["kind"] == "advanced_example")["status"] == "active"


def test_exemplars_are_listed_per_county_for_publication(evaluation, admin, tree, rated, auth_headers):
    exemplar(evaluation, admin, rated[0])
    exemplar(evaluation, admin, rated[2], kind="advanced_example", subject_name="李四", recognised_for="调解纠纷")
    resp = evaluation.test_client().get(f"{API}/exemplars?year={YEAR}&format=csv", headers=admin)
    assert resp.status_code == 200
    table = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["党组织名称"], r["类别"], r["星级"]) for r in table] == [("丙支部", "先进典型", "3"),
                                                                 ("甲支部", "示范党支部", "5")]
    assert table[0]["县（市、区）"] == "邹城市委"
    book = load_workbook(io.BytesIO(evaluation.test_client().get(
        f"{API}/exemplars?year={YEAR}&format=xlsx", headers=admin).get_data()))
    assert book.sheetnames == ["示范党支部", "先进典型"]
    outsider = auth_headers(evaluation, "organizer", scope=tree["other_county"]["id"])
    assert evaluation.test_client().get(f"{API}/exemplars?year={YEAR}", headers=outsider).get_json()["items"] == []
    one = evaluation.test_client().get(f"{API}/exemplars?year={YEAR}", headers=admin).get_json()["items"][0]
    assert evaluation.test_client().get(f"{API}/exemplars/{one['id']}", headers=outsider).status_code == 404
