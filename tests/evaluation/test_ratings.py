"""Published ratings (immutable, corrected by new versions), their events, and the county ledgers."""
import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from services.evaluation.models import PublishedRatingIsImmutable, Rating, RatingBatch
from shared.testing import kit_of, pending_events
from tests.evaluation.conftest import API, YEAR, assessment, enter, recompute, satisfaction_scorecard


def publish(app, headers, region, year=YEAR, reason=None, status=201):
    body = {"region_id": region["id"], "year": year}
    if reason:
        body["reason"] = reason
    resp = app.test_client().post(f"{API}/ratings", json=body, headers=headers)
    assert resp.status_code == status, resp.get_json()
    return resp.get_json()


def count(app, model) -> int:
    with kit_of(app).db.Session() as session:
        return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def county(evaluation, feed, tree, admin):
    """Four branches scored by public satisfaction alone; last year published, this year entered."""
    satisfaction_scorecard(evaluation, admin, tree["county"])
    names = ["甲支部", "乙支部", "丙支部", "丁支部"]
    last_year = [85, 95, 75, 65]
    this_year = [95, 85, 75, 59]
    branches = []
    for name, before, now in zip(names, last_year, this_year):
        branch = feed.healthy_branch(tree["township"], name)
        feed.full_year_of_meetings(branch, YEAR - 1)
        enter(evaluation, admin, branch, "public_satisfaction", before, YEAR - 1)
        enter(evaluation, admin, branch, "public_satisfaction", now, YEAR)
        branches.append(branch)
    publish(evaluation, admin, tree["county"], YEAR - 1)
    return branches


def test_publishing_a_county_emits_one_event_per_branch(evaluation, tree, admin, county):
    before = {e.id for e in pending_events(evaluation)}
    published = publish(evaluation, admin, tree["county"])
    assert published["batch"]["version"] == 1
    assert published["batch"]["branches"] == 4
    assert published["by_stars"] == {"5": 1, "4": 1, "3": 1, "2": 0, "1": 1}
    events = [e for e in pending_events(evaluation) if e.id not in before]
    assert {e.type for e in events} == {"evaluation.rating.published"}
    by_unit = {e.data["unit_id"]: e.data for e in events}
    assert by_unit[county[0]["id"]]["stars"] == 5
    assert by_unit[county[0]["id"]]["category"] == "advanced"
    assert by_unit[county[3]["id"]]["stars"] == 1
    assert by_unit[county[3]["id"]]["rating_version"] == 1
    assert all(e.org_path.startswith(tree["county"]["path"]) for e in events)


def test_a_published_rating_does_not_change_when_the_template_changes(evaluation, feed, tree, admin, county):
    published = publish(evaluation, admin, tree["county"])
    client = evaluation.test_client()
    first = client.get(f"{API}/ratings?under={tree['county']['id']}&year={YEAR}", headers=admin).get_json()["items"]
    rating_id = next(r["id"] for r in first if r["unit_id"] == county[0]["id"])
    before = client.get(f"{API}/ratings/{rating_id}", headers=admin).get_json()
    assert before["rating"]["score"] == 95.0
    assert before["criteria"][0]["weight"] == 100.0

    card = client.get(f"{API}/scorecards?under={tree['county']['id']}", headers=admin).get_json()["items"][0]
    changed = client.put(f"{API}/scorecards/{card['id']}", headers={**admin, "If-Match": f'"{card["id"]}.1"'}, json={
        "name": "满意度与阵地", "criteria": [
            {"key": "satisfaction", "name": "群众满意度", "weight": 50,
             "source": {"manual": "public_satisfaction", "min": 0, "max": 100}},
            {"key": "venue", "name": "活动阵地", "weight": 50,
             "source": {"indicator": "support.venue", "transform": "flag"}}]})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["version"] == 2

    after = client.get(f"{API}/ratings/{rating_id}", headers=admin).get_json()
    assert after == before  # the published rating, its breakdown and criteria are as published
    recompute(evaluation, admin, tree["county"])
    assert assessment(evaluation, admin, county[0])["assessment"]["score"] == 47.5  # the new template, unpublished

    # a correction is a new version, with a reason; the first stays as it was
    assert publish(evaluation, admin, tree["county"], status=422)["errors"]["json"]["reason"]
    assert count(evaluation, RatingBatch) == 2  # last year's and this year's first
    corrected = publish(evaluation, admin, tree["county"], reason="评分表修订后重新发布")
    assert corrected["batch"]["version"] == 2
    assert corrected["batch"]["scorecard_name"] == "满意度与阵地"
    latest = client.get(f"{API}/ratings?under={tree['county']['id']}&year={YEAR}", headers=admin).get_json()["items"]
    assert {r["rating_version"] for r in latest} == {2}
    every = client.get(f"{API}/ratings?under={tree['county']['id']}&year={YEAR}&all_versions=true",
                       headers=admin).get_json()["items"]
    assert len(every) == 8
    assert client.get(f"{API}/ratings/{rating_id}", headers=admin).get_json() == before
    assert published["batch"]["id"] != corrected["batch"]["id"]


def test_a_published_rating_cannot_be_updated_in_the_database(evaluation, tree, admin, county):
    publish(evaluation, admin, tree["county"])
    with kit_of(evaluation).db.Session() as session:
        rating = session.scalars(select(Rating)).first()
        rating.stars = 5
        with pytest.raises(PublishedRatingIsImmutable):
            session.flush()


def test_change_from_last_year_in_the_json_ledger(evaluation, tree, admin, county):
    publish(evaluation, admin, tree["county"])
    resp = evaluation.test_client().get(f"{API}/ledgers?under={tree['city']['id']}&year={YEAR}", headers=admin)
    assert resp.status_code == 200
    assert resp.mimetype == "application/json"
    body = resp.get_json()
    assert body["year"] == YEAR
    assert len(body["counties"]) == 1
    ledger = body["counties"][0]
    assert ledger["region_name"] == "邹城市委"
    assert [(e["name"], e["stars"], e["previous_stars"], e["change"]) for e in ledger["advanced"]] == [
        ("甲支部", 5, 4, "up"), ("乙支部", 4, 5, "down")]
    assert [(e["name"], e["change"]) for e in ledger["middle"]] == [("丙支部", "same")]
    assert [(e["name"], e["stars"], e["weak"]) for e in ledger["backward"]] == [("丁支部", 1, True)]


HEADERS = ["县（市、区）", "党组织名称", "组织编码", "得分", "星级", "上年星级", "晋位升级 / 降级", "软弱涣散", "版本",
           "发布日期"]


def test_the_xlsx_ledger_cell_by_cell(evaluation, tree, admin, county):
    published = publish(evaluation, admin, tree["county"])
    day = published["batch"]["published_at"][:10]
    resp = evaluation.test_client().get(f"{API}/ledgers?under={tree['county']['id']}&year={YEAR}&format=xlsx",
                                        headers=admin)
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames == ["先进", "中间", "后进"]
    codes = [b["code"] for b in county]

    def rows(sheet):
        return [[cell.value for cell in row] for row in book[sheet].iter_rows()]

    assert rows("先进") == [
        HEADERS,
        ["邹城市委", "甲支部", codes[0], 95, 5, 4, "晋位升级", "否", 1, day],
        ["邹城市委", "乙支部", codes[1], 85, 4, 5, "降级", "否", 1, day],
    ]
    assert rows("中间") == [HEADERS, ["邹城市委", "丙支部", codes[2], 75, 3, 3, "持平", "否", 1, day]]
    assert rows("后进") == [HEADERS, ["邹城市委", "丁支部", codes[3], 59, 1, 2, "降级", "是", 1, day]]
    assert book["先进"]["A1"].font.bold


def test_the_csv_ledger(evaluation, tree, admin, county):
    publish(evaluation, admin, tree["county"])
    resp = evaluation.test_client().get(f"{API}/ledgers?year={YEAR}", headers={**admin, "Accept": "text/csv"})
    assert resp.status_code == 200
    assert resp.mimetype == "text/csv"
    text = resp.data.decode("utf-8")
    assert text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(text[1:])))
    assert table[0] == ["类别", *HEADERS]
    assert [(r[0], r[2], r[7]) for r in table[1:]] == [("先进", "甲支部", "晋位升级"), ("先进", "乙支部", "降级"),
                                                       ("中间", "丙支部", "持平"), ("后进", "丁支部", "降级")]


def test_ledgers_are_scoped_and_check_their_input(evaluation, tree, admin, auth_headers, county):
    publish(evaluation, admin, tree["county"])
    client = evaluation.test_client()
    other = auth_headers(evaluation, "organizer", scope=tree["other_county"]["id"])
    assert client.get(f"{API}/ledgers?year={YEAR}", headers=other).get_json()["counties"] == []
    assert client.get(f"{API}/ledgers?under={tree['county']['id']}&year={YEAR}", headers=other).status_code == 404
    resp = client.get(f"{API}/ledgers?year={YEAR}&format=pdf", headers=admin)
    assert resp.status_code == 422
    assert "format" in resp.get_json()["errors"]["query"]


def test_publishing_refuses_a_unit_that_is_not_a_region_and_writes_nothing(evaluation, tree, admin, county):
    batches = count(evaluation, RatingBatch)
    resp = evaluation.test_client().post(f"{API}/ratings", json={"region_id": tree["township"]["id"], "year": YEAR},
                                         headers=admin)
    assert resp.status_code == 422
    assert "region_id" in resp.get_json()["errors"]["json"]
    resp = evaluation.test_client().post(f"{API}/ratings", json={"region_id": tree["county"]["id"]}, headers=admin)
    assert resp.status_code == 422
    assert count(evaluation, RatingBatch) == batches
