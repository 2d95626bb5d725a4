"""The real producers: org, members and training apps write through their APIs; their outbox events,
delivered through the evaluation inbox, move the branch's indicators (the catalog is the contract)."""
import pytest

from tests.conftest import deliver
from tests.evaluation.conftest import API, YEAR


@pytest.fixture
def suite(make_app, auth_headers):
    apps = {name: make_app(name) for name in ("org", "members", "training", "evaluation")}
    headers = {name: auth_headers(app, "admin") for name, app in apps.items()}
    return apps, headers


def post(app, headers, url, body, status=201):
    resp = app.test_client().post(url, json=body, headers=headers)
    assert resp.status_code == status, resp.get_json()
    return resp.get_json()


def test_org_members_and_training_events_move_the_indicators(suite):
    apps, headers = suite
    org, members, training, evaluation = (apps[n] for n in ("org", "members", "training", "evaluation"))
    ids = {}
    for kind, parent in [("province", None), ("city", "province"), ("county", "city"), ("branch", "county")]:
        body = {"kind": kind, "name": f"{kind}-unit", "code": kind} | ({"parent_id": ids[parent]} if parent else {})
        ids[kind] = post(org, headers["org"], "/api/org/v1/units", body)["id"]
    deliver([org], [members, training, evaluation])

    def indicators():
        resp = evaluation.test_client().get(f"{API}/units/{ids['branch']}/indicators?year={YEAR}",
                                            headers=headers["evaluation"])
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    before = indicators()
    assert before["evidence"]["meetings"]["theme_day"] == {"held": 0, "due": 12}
    assert before["indicators"]["members.full"] == 0

    post(org, headers["org"], "/api/org/v1/meetings",
         {"unit_id": ids["branch"], "type": "theme_day", "held_on": f"{YEAR}-03-10", "topic": "主题党日"})
    person = post(members, headers["members"], "/api/members/v1/people", {
        "unit_id": ids["branch"], "name": "张三", "gender": "male", "birth_date": "1980-01-01", "stage": "full",
        "probationary_since": "2009-07-01", "full_member_since": "2010-07-01"})["id"]
    deliver([org, members], [training, evaluation])
    after = indicators()
    assert after["evidence"]["meetings"]["theme_day"] == {"held": 1, "due": 12}
    assert after["indicators"]["members.full"] == 1
    assert after["indicators"]["training.hour_coverage"] == 0.0

    sessions = [{"starts_at": f"{YEAR}-05-0{d}T08:00:00", "ends_at": f"{YEAR}-05-0{d}T18:00:00", "hours": 8}
                for d in range(1, 5)]
    cls = post(training, headers["training"], "/api/training/v1/classes", {
        "kind": "member_training", "title": "党员集中培训", "organizer_unit_id": ids["county"], "place": "县委党校",
        "starts_on": f"{YEAR}-05-01", "ends_on": f"{YEAR}-05-04", "capacity": 10, "sessions": sessions})
    post(training, headers["training"], f"/api/training/v1/classes/{cls['id']}/enrollments", {"person_ids": [person]})
    for session in cls["sessions"][:3]:
        post(training, headers["training"], f"/api/training/v1/classes/{cls['id']}/attendance",
             {"person_ids": [person], "session_id": session["id"]})
    deliver([training], [evaluation])
    assert indicators()["indicators"]["training.hour_coverage"] == 0.0  # 24 hours of 32

    post(training, headers["training"], f"/api/training/v1/classes/{cls['id']}/attendance",
         {"person_ids": [person], "session_id": cls["sessions"][3]["id"]})
    deliver([training], [evaluation])
    assert indicators()["indicators"]["training.hour_coverage"] == 1.0
