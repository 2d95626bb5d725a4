"""Scorecard templates per region with versions, and manual inputs with who entered them."""
import pytest
from sqlalchemy import func, select

from services.evaluation.models import ManualInput, Scorecard, ScorecardVersion
from shared.testing import kit_of
from tests.evaluation.conftest import API, YEAR, enter, satisfaction_scorecard

CRITERIA = [
    {"key": "meetings", "name": "组织生活", "weight": 70,
     "source": {"indicator": "meetings.ratio"}},
    {"key": "overdue", "name": "问题逾期", "weight": 30,
     "source": {"indicator": "problems.overdue", "transform": "penalty", "target": 3}},
]


def count(app, model) -> int:
    with kit_of(app).db.Session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_province_default_overridden_by_a_county(evaluation, feed, tree, admin):
    client = evaluation.test_client()
    branch = feed.unit("branch", "一支部", tree["township"])
    elsewhere = feed.unit("branch", "外县支部", tree["other_county"])
    assert client.get(f"{API}/units/{branch['id']}/scorecard", headers=admin).get_json()["built_in"] is True

    province = client.post(f"{API}/scorecards", headers=admin, json={
        "region_id": tree["province"]["id"], "name": "省级评分表", "criteria": CRITERIA})
    assert province.status_code == 201, province.get_json()
    body = province.get_json()
    assert body["version"] == 1
    assert province.headers["ETag"] == f'"{body["id"]}.1"'
    assert body["criteria"][0]["source"] == {"indicator": "meetings.ratio", "transform": "scaled", "target": 1.0}

    county = satisfaction_scorecard(evaluation, admin, tree["county"])
    ours = client.get(f"{API}/units/{branch['id']}/scorecard", headers=admin).get_json()
    theirs = client.get(f"{API}/units/{elsewhere['id']}/scorecard", headers=admin).get_json()
    assert ours["source"] == {"scorecard_id": county["id"], "region_id": tree["county"]["id"], "version": 1}
    assert theirs["source"]["scorecard_id"] == body["id"]
    assert theirs["name"] == "省级评分表"


def test_a_change_adds_a_version_and_keeps_the_old_one(evaluation, tree, admin):
    card = satisfaction_scorecard(evaluation, admin, tree["county"])
    client = evaluation.test_client()
    url = f"{API}/scorecards/{card['id']}"
    body = {"name": "组织生活与逾期", "criteria": CRITERIA, "note": "2026 修订"}
    assert client.put(url, json=body, headers=admin).status_code == 428
    changed = client.put(url, json=body, headers={**admin, "If-Match": f'"{card["id"]}.1"'})
    assert changed.status_code == 200
    assert changed.get_json()["version"] == 2
    assert client.put(url, json=body, headers={**admin, "If-Match": f'"{card["id"]}.1"'}).status_code == 412
    versions = client.get(f"{url}/versions", headers=admin).get_json()["items"]
    assert [(v["number"], v["name"]) for v in versions] == [(1, "满意度测评表"), (2, "组织生活与逾期")]
    assert client.get(f"{url}/versions/1", headers=admin).get_json()["criteria"][0]["key"] == "satisfaction"
    AuditEntry = kit_of(evaluation).models.AuditEntry
    with kit_of(evaluation).db.Session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == card["id"])).all()
    assert actions == ["created", "versioned"]


@pytest.mark.parametrize("change, field", [
    ({"criteria": [{**CRITERIA[0], "weight": 60}, CRITERIA[1]]}, "criteria"),           # weights add up to 90
    ({"criteria": [{**CRITERIA[0], "source": {"indicator": "no.such"}}, CRITERIA[1]]}, "criteria"),
    ({"criteria": [{**CRITERIA[0], "source": {"manual": "public_satisfaction", "min": 0, "max": 120}},
                   CRITERIA[1]]}, "criteria"),                                           # beyond the input's range
    ({"criteria": [{**CRITERIA[0], "source": {"indicator": "meetings.ratio", "manual": "public_satisfaction"}},
                   CRITERIA[1]]}, "criteria"),
    ({"criteria": [CRITERIA[0], {**CRITERIA[1], "key": "meetings"}]}, "criteria"),        # a key twice
    ({"vetoes": [{"key": "v", "name": "否决", "indicator": "problems.overdue", "op": "~", "value": 1}]}, "vetoes"),
    ({"region_id": None}, "region_id"),
])
def test_bad_scorecards_are_422_and_write_nothing(evaluation, tree, admin, change, field):
    body = {"region_id": tree["county"]["id"], "name": "评分表", "criteria": CRITERIA, **change}
    resp = evaluation.test_client().post(f"{API}/scorecards", json=body, headers=admin)
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["errors"]["json"]
    assert count(evaluation, Scorecard) == count(evaluation, ScorecardVersion) == 0


def test_a_scorecard_is_for_a_region_and_one_per_region(evaluation, tree, admin, auth_headers):
    client = evaluation.test_client()
    body = {"region_id": tree["township"]["id"], "name": "乡镇表", "criteria": CRITERIA}
    assert client.post(f"{API}/scorecards", json=body, headers=admin).status_code == 422
    satisfaction_scorecard(evaluation, admin, tree["county"])
    again = client.post(f"{API}/scorecards", json={**body, "region_id": tree["county"]["id"]}, headers=admin)
    assert again.status_code == 409
    county = auth_headers(evaluation, "organizer", scope=tree["other_county"]["id"])
    assert client.post(f"{API}/scorecards", json={**body, "region_id": tree["county"]["id"]},
                       headers=county).status_code == 404
    viewer = auth_headers(evaluation, "viewer", scope=tree["county"]["id"])
    assert client.post(f"{API}/scorecards", json={**body, "region_id": tree["county"]["id"]},
                       headers=viewer).status_code == 403


def test_manual_inputs_record_who_entered_them(evaluation, feed, tree, auth_headers):
    branch = feed.unit("branch", "一支部", tree["township"])
    inspector = auth_headers(evaluation, "organizer", scope=tree["county"]["id"], subject="county-inspector")
    entered = enter(evaluation, inspector, branch, "public_satisfaction", 88.5)
    assert entered["entered_by"] == "county-inspector"
    assert entered["org_path"] == branch["path"]
    client = evaluation.test_client()
    url = f"{API}/inputs/{entered['id']}"
    second = auth_headers(evaluation, "admin", subject="province-checker")
    changed = client.patch(url, json={"value": 72, "note": "复核"},
                           headers={**second, "If-Match": f'"{entered["id"]}.1"'})
    assert changed.status_code == 200
    assert (changed.get_json()["value"], changed.get_json()["entered_by"]) == (72.0, "province-checker")
    AuditEntry = kit_of(evaluation).models.AuditEntry
    with kit_of(evaluation).db.Session() as session:
        trail = session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.change)
                                .where(AuditEntry.entity_id == entered["id"]).order_by(AuditEntry.id)).all()
    assert [(a, act) for a, act, _ in trail] == [("county-inspector", "entered"), ("province-checker", "changed")]
    assert trail[1][2]["value"] == [88.5, 72.0]
    assert client.get(f"{API}/inputs?under={tree['county']['id']}&year={YEAR}", headers=inspector
                      ).get_json()["items"][0]["id"] == entered["id"]


@pytest.mark.parametrize("body, field", [
    ({"name": "public_satisfaction", "value": 101}, "value"),
    ({"name": "discipline_violation", "value": 2}, "value"),
    ({"name": "meetings_held", "value": 3}, "name"),       # a record gives that: never typed in
    ({"name": "public_satisfaction", "value": 80, "year": YEAR + 2}, "year"),
])
def test_manual_inputs_out_of_range_are_422(evaluation, feed, tree, admin, body, field):
    branch = feed.unit("branch", "一支部", tree["township"])
    resp = evaluation.test_client().post(f"{API}/inputs", json={"unit_id": branch["id"], "year": YEAR, **body},
                                         headers=admin)
    assert resp.status_code == 422, resp.get_json()
    assert field in resp.get_json()["errors"]["json"]
    assert count(evaluation, ManualInput) == 0


def test_the_scorecards_range_narrows_an_input(evaluation, feed, tree, admin):
    branch = feed.unit("branch", "一支部", tree["township"])
    evaluation.test_client().post(f"{API}/scorecards", headers=admin, json={
        "region_id": tree["county"]["id"], "name": "督查表", "criteria": [
            {"key": "findings", "name": "督查发现问题", "weight": 100,
             "source": {"manual": "inspection_findings", "min": 0, "max": 10, "higher_is_better": False}}]})
    resp = evaluation.test_client().post(f"{API}/inputs", headers=admin, json={
        "unit_id": branch["id"], "year": YEAR, "name": "inspection_findings", "value": 12})
    assert resp.status_code == 422
    assert enter(evaluation, admin, branch, "inspection_findings", 2)["value"] == 2.0


def test_a_second_entry_of_the_same_input_is_a_conflict(evaluation, feed, tree, admin, auth_headers):
    branch = feed.unit("branch", "一支部", tree["township"])
    enter(evaluation, admin, branch, "public_satisfaction", 90)
    again = evaluation.test_client().post(f"{API}/inputs", headers=admin, json={
        "unit_id": branch["id"], "year": YEAR, "name": "public_satisfaction", "value": 91})
    assert again.status_code == 409
    secretary = auth_headers(evaluation, "secretary", scope=branch["id"])
    own = evaluation.test_client().post(f"{API}/inputs", headers=secretary, json={
        "unit_id": branch["id"], "year": YEAR, "name": "county_listed", "value": 0})
    assert own.status_code == 403  # a branch does not rate itself
