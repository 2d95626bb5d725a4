"""Problem lists (EVAL.PROBLEMS): the status flow, escalation, the weak-and-lax scope, overdue lists, audit, events."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.evaluation.models import Problem
from shared.dates import today
from shared.testing import kit_of, pending_events
from tests.evaluation.conftest import API, YEAR, assessment, recompute

THIS_YEAR = today().year


def open_problem(app, headers, unit, **overrides):
    body = {"unit_id": unit["id"], "source": "inspection", "description": "三会一课记录不全",
            "responsible": "王书记", "measures": "补齐记录，按月开展主题党日",
            "deadline": (today() + timedelta(days=30)).isoformat(), **overrides}
    resp = app.test_client().post(f"{API}/problems", json=body, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json(), resp.headers["ETag"]


def act(app, headers, problem_id, etag, path, body, method="post"):
    return getattr(app.test_client(), method)(f"{API}/problems/{problem_id}{path}", json=body,
                                              headers={**headers, "If-Match": etag})


def audit_actions(app, problem_id) -> list[str]:
    AuditEntry = kit_of(app).models.AuditEntry
    with kit_of(app).db.Session() as session:
        return list(session.scalars(select(AuditEntry.action).where(AuditEntry.entity == "problem",
                                                                    AuditEntry.entity_id == problem_id)
                                    .order_by(AuditEntry.id)))


@pytest.fixture
def branch(feed, tree):
    return feed.unit("branch", "一支部", tree["township"])


def test_the_status_flow_with_comments_audit_and_events(evaluation, branch, admin):
    problem, etag = open_problem(evaluation, admin, branch)
    assert problem["status"] == "open"
    assert problem["year"] == THIS_YEAR
    assert problem["overdue"] is False
    steps = [("in_progress", None), ("rectified", "记录已补齐"), ("in_progress", "抽查仍缺两次记录"),
             ("rectified", "已全部补齐"), ("verified", "验收合格，销号")]
    for status, comment in steps:
        resp = act(evaluation, admin, problem["id"], etag, "/transitions", {"status": status, "comment": comment})
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["status"] == status
        etag = resp.headers["ETag"]
    done = resp.get_json()
    assert done["verified_on"] == today().isoformat()
    assert done["rectified_on"] == today().isoformat()
    comments = evaluation.test_client().get(f"{API}/problems/{problem['id']}/comments", headers=admin).get_json()
    assert [(c["status_from"], c["status_to"], c["body"]) for c in comments["items"]] == [
        ("in_progress", "rectified", "记录已补齐"), ("rectified", "in_progress", "抽查仍缺两次记录"),
        ("in_progress", "rectified", "已全部补齐"), ("rectified", "verified", "验收合格，销号")]
    assert audit_actions(evaluation, problem["id"]) == ["opened"] + ["status"] * 5
    types = [e.type for e in pending_events(evaluation) if e.data.get("problem_id") == problem["id"]]
    assert types == ["evaluation.problem.opened"] + ["evaluation.problem.changed"] * 4 + ["evaluation.problem.closed"]
    versions = [e.data["problem_version"] for e in pending_events(evaluation)
                if e.data.get("problem_id") == problem["id"]]
    assert versions == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("path, wanted", [
    ("", "rectified"), ("", "verified"), ("in_progress", "verified"), ("in_progress,rectified,verified", "in_progress"),
])
def test_illegal_transitions_are_409_with_the_rule_code(evaluation, branch, admin, path, wanted):
    problem, etag = open_problem(evaluation, admin, branch)
    for status in filter(None, path.split(",")):
        resp = act(evaluation, admin, problem["id"], etag, "/transitions", {"status": status, "comment": "ok"})
        etag = resp.headers["ETag"]
    resp = act(evaluation, admin, problem["id"], etag, "/transitions", {"status": wanted, "comment": "ok"})
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "EVAL.PROBLEMS"
    assert resp.mimetype == "application/problem+json"
    assert resp.headers.get("ETag") is None


def test_work_starts_only_with_measures(evaluation, branch, admin):
    problem, etag = open_problem(evaluation, admin, branch, measures=None)
    resp = act(evaluation, admin, problem["id"], etag, "/transitions", {"status": "in_progress"})
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "EVAL.PROBLEMS"
    resp = act(evaluation, admin, problem["id"], etag, "", {"measures": "每月检查"}, method="patch")
    assert resp.status_code == 200
    resp = act(evaluation, admin, problem["id"], resp.headers["ETag"], "/transitions", {"status": "in_progress"})
    assert resp.status_code == 200


def test_a_secretary_cannot_verify_and_a_send_back_needs_a_reason(evaluation, branch, admin, auth_headers):
    secretary = auth_headers(evaluation, "secretary", scope=branch["id"])
    problem, etag = open_problem(evaluation, secretary, branch, source="self_check")
    for status in ("in_progress", "rectified"):
        etag = act(evaluation, secretary, problem["id"], etag, "/transitions", {"status": status}).headers["ETag"]
    assert act(evaluation, secretary, problem["id"], etag, "/transitions", {"status": "verified"}).status_code == 403
    resp = act(evaluation, admin, problem["id"], etag, "/transitions", {"status": "in_progress"})
    assert resp.status_code == 422
    assert "comment" in resp.get_json()["errors"]["json"]


def test_updates_need_the_current_etag(evaluation, branch, admin):
    problem, etag = open_problem(evaluation, admin, branch)
    client = evaluation.test_client()
    no_etag = client.patch(f"{API}/problems/{problem['id']}", json={"measures": "x"}, headers=admin)
    assert no_etag.status_code == 428
    fresh = act(evaluation, admin, problem["id"], etag, "", {"responsible": "李委员"}, method="patch")
    assert fresh.status_code == 200
    stale = act(evaluation, admin, problem["id"], etag, "", {"responsible": "赵委员"}, method="patch")
    assert stale.status_code == 412
    assert client.get(f"{API}/problems/{problem['id']}", headers=admin).get_json()["responsible"] == "李委员"
    assert audit_actions(evaluation, problem["id"]) == ["opened", "changed"]


def test_escalation_goes_one_level_up_each_time(evaluation, branch, tree, admin, auth_headers):
    problem, etag = open_problem(evaluation, admin, branch)
    for expected in (tree["township"], tree["county"], tree["city"], tree["province"]):
        resp = act(evaluation, admin, problem["id"], etag, "/escalations", {"reason": "支部无力解决"})
        assert resp.status_code == 200, resp.get_json()
        assert resp.get_json()["level_unit_id"] == expected["id"]
        etag = resp.headers["ETag"]
    resp = act(evaluation, admin, problem["id"], etag, "/escalations", {"reason": "再上报"})
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "EVAL.PROBLEMS"
    escalated = [e for e in pending_events(evaluation) if e.type == "evaluation.problem.escalated"]
    assert [e.data["level_unit_id"] for e in escalated] == [tree[k]["id"] for k in ("township", "county", "city",
                                                                                       "province")]
    county = auth_headers(evaluation, "organizer", scope=tree["county"]["id"])
    mine = evaluation.test_client().get(f"{API}/problems?level={tree['county']['id']}", headers=county).get_json()
    assert mine["items"] == []  # it has gone past the county


def test_the_weak_and_lax_rectification_scope_caps_the_branch(evaluation, feed, tree, admin):
    model = feed.model_branch(tree["township"], "一支部", year=THIS_YEAR - 1)
    problem, etag = open_problem(evaluation, admin, model, year=THIS_YEAR - 1, deadline=f"{THIS_YEAR - 1}-12-31")
    recompute(evaluation, admin, tree["county"], YEAR)
    assert assessment(evaluation, admin, model)["assessment"]["weak"] is False
    resp = act(evaluation, admin, problem["id"], etag, "/weak-scope", {"in_scope": True, "reason": "班子软弱，列入整顿"},
               method="put")
    assert resp.status_code == 200
    assert resp.get_json()["in_weak_scope"] is True
    recompute(evaluation, admin, tree["county"], YEAR)
    found = assessment(evaluation, admin, model)["assessment"]
    assert found["weak"] is True
    assert found["stars"] <= 2
    sign = next(s for s in found["signs"] if s["facts"]["sign"] == "rectification_scope")
    assert sign["facts"]["problems"] == [problem["id"]]
    assert audit_actions(evaluation, problem["id"]) == ["opened", "weak_scope"]


def test_overdue_lists_per_subtree(evaluation, feed, tree, admin, auth_headers):
    other_branch = feed.unit("branch", "外县支部", tree["other_county"])
    ours = feed.unit("branch", "一支部", tree["township"])
    late, _ = open_problem(evaluation, admin, ours, deadline=(today() - timedelta(days=1)).isoformat())
    open_problem(evaluation, admin, ours)  # not due yet
    old, _ = open_problem(evaluation, admin, ours, year=THIS_YEAR - 1, deadline=f"{THIS_YEAR}-03-01")  # past year's end
    open_problem(evaluation, admin, other_branch, deadline=(today() - timedelta(days=1)).isoformat())
    county = auth_headers(evaluation, "organizer", scope=tree["county"]["id"])
    listed = evaluation.test_client().get(f"{API}/problems?overdue=true", headers=county).get_json()["items"]
    assert sorted(p["id"] for p in listed) == sorted([late["id"], old["id"]])
    assert all(p["overdue"] for p in listed)
    assert next(p for p in listed if p["id"] == old["id"])["due"] == f"{THIS_YEAR - 1}-12-31"
    not_overdue = evaluation.test_client().get(f"{API}/problems?overdue=false", headers=county).get_json()["items"]
    assert len(not_overdue) == 1
    assert not not_overdue[0]["overdue"]


def test_bad_input_is_422_and_writes_nothing(evaluation, branch, tree, admin):
    client = evaluation.test_client()
    good = {"unit_id": branch["id"], "source": "inspection", "description": "d", "responsible": "r",
            "deadline": "2026-12-31"}
    for change, field in [({"source": "rumour"}, "source"), ({"deadline": "soon"}, "deadline"),
                          ({"description": ""}, "description"), ({"unit_id": tree["township"]["id"]}, "unit_id"),
                          ({"year": THIS_YEAR + 1}, "year")]:
        resp = client.post(f"{API}/problems", json={**good, **change}, headers=admin)
        assert resp.status_code == 422, change
        assert field in resp.get_json()["errors"]["json"], resp.get_json()
    resp = client.post(f"{API}/problems", json={k: v for k, v in good.items() if k != "responsible"}, headers=admin)
    assert resp.status_code == 422
    with kit_of(evaluation).db.Session() as session:
        assert session.scalar(select(func.count()).select_from(Problem)) == 0
    assert pending_events(evaluation) == []


def test_another_countys_problem_is_404(evaluation, feed, tree, admin, auth_headers):
    theirs = feed.unit("branch", "外县支部", tree["other_county"])
    problem, etag = open_problem(evaluation, admin, theirs)
    county = auth_headers(evaluation, "organizer", scope=tree["county"]["id"])
    client = evaluation.test_client()
    assert client.get(f"{API}/problems/{problem['id']}", headers=county).status_code == 404
    assert act(evaluation, county, problem["id"], etag, "/transitions", {"status": "in_progress"}).status_code == 404
    resp = client.post(f"{API}/problems", headers=county, json={
        "unit_id": theirs["id"], "source": "inspection", "description": "d", "responsible": "r",
        "deadline": "2026-12-31"})
    assert resp.status_code == 404


def test_a_moved_branch_takes_its_problems_along(evaluation, feed, tree, admin, auth_headers):
    branch = feed.unit("branch", "一支部", tree["township"])
    problem, _ = open_problem(evaluation, admin, branch)
    moved = {k: v for k, v in branch.items() if k != "people"}
    moved.update(parent_id=tree["other_county"]["id"], path=tree["other_county"]["path"] + branch["key"] + "/",
                 old_path=branch["path"], unit_version=2)
    feed.send("org.unit.moved", moved, org_path=moved["path"])
    other = auth_headers(evaluation, "organizer", scope=tree["other_county"]["id"])
    found = evaluation.test_client().get(f"{API}/problems/{problem['id']}", headers=other)
    assert found.status_code == 200
    assert found.get_json()["org_path"] == moved["path"]
    ours = auth_headers(evaluation, "organizer", scope=tree["county"]["id"])
    assert evaluation.test_client().get(f"{API}/problems/{problem['id']}", headers=ours).status_code == 404
