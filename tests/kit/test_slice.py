"""The thin vertical slice in process: org creates a tree; members learns of a unit by its event."""
from tests.conftest import deliver


def test_members_learns_units_from_org_events_not_calls(make_app, auth_headers):
    org = make_app("org")
    members = make_app("members")
    admin = auth_headers(org, "admin")
    province = org.test_client().post("/api/org/v1/units", json={"kind": "province", "name": "山东省委", "code": "37"},
                                      headers=admin)
    assert province.status_code == 201, province.json
    city = org.test_client().post("/api/org/v1/units", headers=admin, json={
        "kind": "city", "name": "济南市委", "code": "3701", "parent_id": province.json["id"]})
    assert city.json["path"] == province.json["path"] + city.json["path"].split("/")[-2] + "/"

    body = {"unit_id": city.json["id"], "name": "张三", "gender": "male", "birth_date": "1990-01-01"}
    before = members.test_client().post("/api/members/v1/people", json=body, headers=admin)
    assert before.status_code == 404  # not yet known: no synchronous call to org

    assert deliver([org], [members]) == 2
    created = members.test_client().post("/api/members/v1/people", json=body, headers=admin)
    assert created.status_code == 201, created.json
    assert created.json["org_path"] == city.json["path"]

    listed = members.test_client().get(f"/api/members/v1/people?under={province.json['id']}", headers=admin)
    assert [p["id"] for p in listed.json["items"]] == [created.json["id"]]
