"""The dashboard: one call for a subtree and year."""
from datetime import date

from tests.evaluation.conftest import API, YEAR, enter, recompute


def test_the_dashboard_adds_up_a_subtree(evaluation, feed, tree, admin, auth_headers):
    model = feed.model_branch(tree["township"], "一支部")
    enter(evaluation, admin, model, "public_satisfaction", 100)
    bare = feed.unit("branch", "二支部", tree["township"])          # nothing on record: weak, every meeting missing
    feed.person(bare, "full")
    feed.person(bare, "full")
    expired = feed.healthy_branch(tree["township"], "三支部")
    feed.committee(expired, [{"role": "secretary", "person_id": expired["people"][0], "since": None}],
                   elected_on=date(YEAR - 1, 6, 1), term_ends_on=date(YEAR, 6, 30), version=2)  # ended mid-year
    elsewhere = feed.model_branch(tree["other_county"], "外县支部")
    for region in (tree["county"], tree["other_county"]):
        recompute(evaluation, admin, region)

    client = evaluation.test_client()
    problem = client.post(f"{API}/problems", headers=admin, json={
        "unit_id": bare["id"], "year": YEAR, "source": "inspection", "description": "无活动记录",
        "responsible": "张书记", "measures": "恢复组织生活", "deadline": f"{YEAR}-06-30"})
    assert problem.status_code == 201
    done = client.post(f"{API}/problems", headers=admin, json={
        "unit_id": model["id"], "year": YEAR, "source": "self_check", "description": "台账不规范",
        "responsible": "李书记", "measures": "规范台账", "deadline": f"{YEAR}-06-30"}).get_json()
    etag = f'"{done["id"]}.1"'
    for status in ("in_progress", "rectified"):
        resp = client.post(f"{API}/problems/{done['id']}/transitions", json={"status": status},
                           headers={**admin, "If-Match": etag})
        etag = resp.headers["ETag"]

    county = auth_headers(evaluation, "organizer", scope=tree["county"]["id"])
    body = client.get(f"{API}/dashboard?year={YEAR}", headers=county).get_json()
    assert body["branches"] == 3
    assert body["stars"] == {"5": 0, "4": 1, "3": 0, "2": 0, "1": 2}  # three branches: no five-star place
    assert body["categories"] == {"advanced": 1, "middle": 0, "backward": 2}
    assert body["weak"] == 1
    assert body["problems"] == {"open": 1, "overdue": 1, "rectified": 1, "total": 2}
    assert body["training"] == {"members": 3 + 2 + 1, "members_trained": 3, "hour_coverage": 0.5,
                                "secretaries": 2, "rotation_met": 1, "rotation_coverage": 0.5}
    assert body["terms_expired"] == 1
    assert body["meetings"] == {"branches_short": 1, "missing": 23, "due": 69}
    assert body["computed"]["first"]
    assert body["as_of"] == f"{YEAR}-12-31"

    province = client.get(f"{API}/dashboard?year={YEAR}", headers=admin).get_json()
    assert province["branches"] == 4
    assert province["stars"]["1"] == 2
    assert elsewhere["id"]


def test_the_dashboard_of_an_empty_year_is_zeros(evaluation, tree, admin):
    body = evaluation.test_client().get(f"{API}/dashboard?under={tree['county']['id']}&year={YEAR}",
                                        headers=admin).get_json()
    assert body["branches"] == 0
    assert body["training"]["hour_coverage"] is None
    assert body["computed"] == {"first": None, "last": None}
