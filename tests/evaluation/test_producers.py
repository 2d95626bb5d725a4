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


def test_a_meeting_corrected_in_org_changes_the_counts_in_evaluation(suite):
    """PATCH /meetings/{id} in org: org's year row and evaluation's indicators both follow the correction."""
    apps, headers = suite
    org, evaluation = apps["org"], apps["evaluation"]
    ids = {}
    for kind, parent in [("province", None), ("city", "province"), ("county", "city"), ("branch", "county")]:
        body = {"kind": kind, "name": f"{kind}-unit", "code": kind} | ({"parent_id": ids[parent]} if parent else {})
        ids[kind] = post(org, headers["org"], "/api/org/v1/units", body)["id"]
    meeting = post(org, headers["org"], "/api/org/v1/meetings", {
        "unit_id": ids["branch"], "type": "general_meeting", "held_on": f"{YEAR}-03-10", "topic": "支部党员大会",
        "entitled": 10, "present": 4})                           # no quorum: recorded, not counted
    assert meeting["counts"] is False
    deliver([org], [evaluation])

    def general_meetings():
        resp = evaluation.test_client().get(f"{API}/units/{ids['branch']}/indicators?year={YEAR}",
                                            headers=headers["evaluation"])
        return resp.get_json()["evidence"]["meetings"]["general_meeting"]["held"]

    def org_quarters():
        resp = org.test_client().get(f"/api/org/v1/units/{ids['branch']}/life?from={YEAR}-01-01&to={YEAR}-12-31",
                                     headers=headers["org"])
        return next(t for t in resp.get_json()["types"] if t["type"] == "general_meeting")["held"]

    assert general_meetings() == 0
    assert org_quarters() == 0
    url = f"/api/org/v1/meetings/{meeting['id']}"
    etag = org.test_client().get(url, headers=headers["org"]).headers["ETag"]
    fixed = org.test_client().patch(url, json={"present": 6}, headers={**headers["org"], "If-Match": etag})
    assert fixed.status_code == 200, fixed.get_json()
    deliver([org], [evaluation])
    assert org_quarters() == 1
    assert general_meetings() == 1
    etag = fixed.headers["ETag"]
    moved = org.test_client().patch(url, json={"held_on": f"{YEAR - 1}-12-10"},
                                    headers={**headers["org"], "If-Match": etag})
    assert moved.status_code == 200, moved.get_json()
    deliver([org], [evaluation])
    assert org_quarters() == 0
    assert general_meetings() == 0
